package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/attune-dao/attune/internal/evm"
)

// ethCall is one eth_call: a function of a contract at a block, and the
// types of what it returns.
type ethCall struct {
	to   evm.Address
	sig  string // "quorum(uint256)"
	args []any
	out  []evm.Type
	// Optional calls may revert: the contract may not have the function
	// (CLOCK_MODE on Bravo); vals is then nil and reverted true.
	optional bool

	vals     []any
	reverted bool
}

// revertError is an eth_call the contract reverted.
type revertError struct {
	Call   string
	Reason string
	Err    *RPCError
}

func (e *revertError) Error() string {
	s := e.Call + " reverted"
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s + " (" + e.Err.Error() + ")"
}

func (e *revertError) Unwrap() error { return e.Err }

// errorSelector is Error(string)'s, the selector of a require's message.
var errorSelector = [4]byte{0x08, 0xc3, 0x79, 0xa0}

// revertReason reads a revert's Error(string) message, "" when the data
// carries none.
func revertReason(data []byte) string {
	if len(data) < 4 || [4]byte(data[:4]) != errorSelector {
		return ""
	}
	v, err := evm.Decode([]evm.Type{evm.StringT}, data[4:])
	if err != nil {
		return ""
	}
	return oneLine(v[0].(string), 200)
}

// callAll runs calls at block (a QUANTITY or "latest") in batches and
// decodes their results. A revert of an optional call marks it reverted;
// any other failure is an error naming the call and the contract.
func (s *Source) callAll(ctx context.Context, block string, calls []*ethCall) error {
	rc := make([]*call, len(calls))
	for i, c := range calls {
		data, err := evm.EncodeCall(c.sig, c.args...)
		if err != nil {
			return fmt.Errorf("%s: encoding %s: %w", s.name, c.sig, err)
		}
		rc[i] = &call{Method: "eth_call", Params: []any{
			map[string]string{"to": c.to.Hex(), "data": evm.EncodeHex(data)}, block,
		}}
	}
	if err := s.rpc.Batch(ctx, rc); err != nil {
		return fmt.Errorf("%s: eth_call at block %s: %w", s.name, block, err)
	}
	var errs []error
	for i, c := range calls {
		c.vals, c.reverted = nil, false
		what := fmt.Sprintf("eth_call %s on %s at block %s", c.sig, c.to.Hex(), block)
		if err := rc[i].Err; err != nil {
			var re *RPCError
			if errors.As(err, &re) && re.isRevert() {
				if c.optional {
					c.reverted = true
					continue
				}
				err = &revertError{Call: c.sig, Reason: revertReason(re.revertData()), Err: re}
			}
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		var hexData string
		if err := json.Unmarshal(rc[i].Result, &hexData); err != nil {
			errs = append(errs, fmt.Errorf("%s: the result is not a hex string: %q", what, oneLine(string(rc[i].Result), 80)))
			continue
		}
		data, err := evm.DecodeHex(hexData)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		if len(data) == 0 && len(c.out) > 0 {
			// A call to an address without the function's code returns
			// nothing: a contract without it, or no contract at all.
			if c.optional {
				c.reverted = true
				continue
			}
			errs = append(errs, fmt.Errorf("%s returned no data: is %s the right contract for family %s?", what, c.to.Hex(), s.cfg.Family))
			continue
		}
		vals, err := evm.Decode(c.out, data)
		if err != nil && c.optional {
			c.reverted = true
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		c.vals = vals
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", s.name, errors.Join(errs...))
	}
	return nil
}

// num is the integer result i of c, or nil when c reverted.
func (c *ethCall) num(i int) *big.Int {
	if c.vals == nil || i >= len(c.vals) {
		return nil
	}
	v, _ := c.vals[i].(*big.Int)
	return v
}

// str is c's string result, "" when c reverted.
func (c *ethCall) str() string {
	if c.vals == nil {
		return ""
	}
	switch v := c.vals[0].(type) {
	case string:
		return v
	case []byte: // bytes32 symbols (MKR's)
		return strings.TrimRight(string(v), "\x00")
	}
	return ""
}

// addr is c's address result.
func (c *ethCall) addr() (evm.Address, bool) {
	if c.vals == nil {
		return evm.Address{}, false
	}
	a, ok := c.vals[0].(evm.Address)
	return a, ok
}

func newCall(to evm.Address, sig string, out ...evm.Type) *ethCall {
	return &ethCall{to: to, sig: sig, out: out}
}

func optCall(to evm.Address, sig string, out ...evm.Type) *ethCall {
	c := newCall(to, sig, out...)
	c.optional = true
	return c
}

// blockHeader is the part of eth_getBlockByNumber's answer this source
// reads.
type blockHeader struct {
	Number    quantity `json:"number"`
	Timestamp quantity `json:"timestamp"`
}

// blockTimes fetches the timestamps of blocks in batches.
func (s *Source) blockTimes(ctx context.Context, blocks []uint64) (map[uint64]uint64, error) {
	calls := make([]*call, len(blocks))
	for i, b := range blocks {
		calls[i] = &call{Method: "eth_getBlockByNumber", Params: []any{hexQ(b), false}}
	}
	if err := s.rpc.Batch(ctx, calls); err != nil {
		return nil, fmt.Errorf("%s: eth_getBlockByNumber: %w", s.name, err)
	}
	out := make(map[uint64]uint64, len(blocks))
	for i, c := range calls {
		if c.Err != nil {
			return nil, fmt.Errorf("%s: eth_getBlockByNumber %d: %w", s.name, blocks[i], c.Err)
		}
		var h *blockHeader
		if err := json.Unmarshal(c.Result, &h); err != nil {
			return nil, fmt.Errorf("%s: eth_getBlockByNumber %d: %w: %q", s.name, blocks[i], err, oneLine(string(c.Result), 80))
		}
		if h == nil {
			return nil, fmt.Errorf("%s: eth_getBlockByNumber %d: the node does not have the block; is it synced, and on the governor's chain?", s.name, blocks[i])
		}
		if uint64(h.Number) != blocks[i] {
			return nil, fmt.Errorf("%s: eth_getBlockByNumber %d answered block %d", s.name, blocks[i], h.Number)
		}
		out[blocks[i]] = uint64(h.Timestamp)
	}
	return out, nil
}
