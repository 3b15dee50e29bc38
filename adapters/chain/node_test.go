package chain

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/evm"
)

// fakeLog is a log as nodes write it in eth_getLogs answers (fields this
// fixture does not know, such as blockHash, are left out).
type fakeLog struct {
	Address          string   `json:"address"`
	Topics           []string `json:"topics"`
	Data             string   `json:"data"`
	BlockNumber      string   `json:"blockNumber"`
	BlockHash        string   `json:"blockHash,omitempty"`
	BlockTimestamp   string   `json:"blockTimestamp,omitempty"`
	TransactionHash  string   `json:"transactionHash"`
	TransactionIndex string   `json:"transactionIndex,omitempty"`
	LogIndex         string   `json:"logIndex"`
	Removed          bool     `json:"removed"`

	block, index uint64
}

// contractFn answers an eth_call of one function: the ABI encoding of
// its result, or an error object (a revert).
type contractFn func(args []byte, block uint64) ([]byte, *RPCError)

// refusalFn decides whether the node refuses eth_getLogs over [from, to]
// that would match n logs: the HTTP status and error object, or nil.
type refusalFn func(from, to uint64, n int, matched []fakeLog) (int, *RPCError)

// fakeNode is an Ethereum JSON-RPC 2.0 node over HTTP serving a fixed set
// of logs, block timestamps and contract calls: single requests and
// batches (answered in reverse order, as nodes may), eth_blockNumber,
// eth_getLogs (address and topic-0 filters), eth_getBlockByNumber and
// eth_call.
type fakeNode struct {
	mu   sync.Mutex
	head uint64
	// times are known (block, timestamp) pairs, sorted; other blocks'
	// times are interpolated between them (past the last one, 12 s a
	// block).
	times [][2]uint64
	logs  []fakeLog
	fns   map[evm.Address]map[[4]byte]contractFn
	// refuse, when set, may refuse eth_getLogs ranges.
	refuse refusalFn
	// stamp adds blockTimestamp to logs, as geth 1.16 does.
	stamp bool
	// hook, when set, may answer a request body itself.
	hook func(w http.ResponseWriter, body []byte) bool

	requests, batches, getLogs, calls, blocks int
	// ranges are the eth_getLogs ranges asked for, served those answered.
	ranges, served [][2]uint64
}

func newFakeNode() *fakeNode {
	return &fakeNode{fns: map[evm.Address]map[[4]byte]contractFn{}}
}

// fn registers a contract function by signature.
func (n *fakeNode) fn(to evm.Address, sig string, f contractFn) {
	sel, err := evm.Selector(sig)
	if err != nil {
		panic(err)
	}
	if n.fns[to] == nil {
		n.fns[to] = map[[4]byte]contractFn{}
	}
	n.fns[to][sel] = f
}

// ret registers a function returning fixed values.
func (n *fakeNode) ret(to evm.Address, sig string, types []evm.Type, vals ...any) {
	out, err := evm.Encode(types, vals)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", sig, err))
	}
	n.fn(to, sig, func([]byte, uint64) ([]byte, *RPCError) { return out, nil })
}

// addLog adds a log; logs are kept in chain order.
func (n *fakeNode) addLog(l fakeLog) {
	l.block, _ = parseQuantity(l.BlockNumber)
	l.index, _ = parseQuantity(l.LogIndex)
	n.logs = append(n.logs, l)
	slices.SortStableFunc(n.logs, func(a, b fakeLog) int {
		return cmp.Or(cmp.Compare(a.block, b.block), cmp.Compare(a.index, b.index))
	})
}

// timeOf is a block's timestamp: known, interpolated, or extrapolated.
func (n *fakeNode) timeOf(b uint64) uint64 {
	ts := n.times
	i := sort.Search(len(ts), func(i int) bool { return ts[i][0] >= b })
	switch {
	case i < len(ts) && ts[i][0] == b:
		return ts[i][1]
	case i == 0:
		return ts[0][1] - (ts[0][0]-b)*12
	case i == len(ts):
		return ts[i-1][1] + (b-ts[i-1][0])*12
	}
	lo, hi := ts[i-1], ts[i]
	return lo[1] + (b-lo[0])*(hi[1]-lo[1])/(hi[0]-lo[0])
}

type rpcReq struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id"`
	Method  string            `json:"method"`
	Params  []json.RawMessage `json:"params"`
}

type rpcResp struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *RPCError       `json:"error,omitempty"`
}

func (n *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.requests++
	if n.hook != nil && n.hook(w, body) {
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "want a POST of application/json", http.StatusUnsupportedMediaType)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		n.batches++
		var reqs []rpcReq
		if err := json.Unmarshal(trimmed, &reqs); err != nil || len(reqs) == 0 {
			writeJSON(w, http.StatusOK, rpcResp{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &RPCError{Code: -32600, Message: "invalid request"}})
			return
		}
		out := make([]rpcResp, 0, len(reqs))
		for i := len(reqs) - 1; i >= 0; i-- {
			resp, _ := n.handle(reqs[i])
			out = append(out, resp)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var req rpcReq
	if err := json.Unmarshal(trimmed, &req); err != nil {
		writeJSON(w, http.StatusOK, rpcResp{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &RPCError{Code: -32700, Message: "parse error"}})
		return
	}
	resp, status := n.handle(req)
	writeJSON(w, status, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (n *fakeNode) handle(req rpcReq) (rpcResp, int) {
	resp := rpcResp{JSONRPC: "2.0", ID: req.ID}
	fail := func(code int, msg string) (rpcResp, int) {
		resp.Error = &RPCError{Code: code, Message: msg}
		return resp, http.StatusOK
	}
	switch req.Method {
	case "eth_blockNumber":
		resp.Result = hexQ(n.head)
	case "eth_getBlockByNumber":
		n.blocks++
		var tag string
		if len(req.Params) != 2 || json.Unmarshal(req.Params[0], &tag) != nil {
			return fail(-32602, "invalid argument 0: hex string without 0x prefix")
		}
		b, err := parseQuantity(tag)
		if err != nil {
			return fail(-32602, "invalid argument 0: hex string without 0x prefix")
		}
		if b > n.head {
			resp.Result = nil
			return resp, http.StatusOK
		}
		resp.Result = map[string]any{"number": hexQ(b), "timestamp": hexQ(n.timeOf(b)), "transactions": []string{}}
	case "eth_getLogs":
		n.getLogs++
		var f struct {
			Address   string     `json:"address"`
			Topics    [][]string `json:"topics"`
			FromBlock string     `json:"fromBlock"`
			ToBlock   string     `json:"toBlock"`
		}
		if len(req.Params) != 1 || json.Unmarshal(req.Params[0], &f) != nil {
			return fail(-32602, "invalid argument 0: json: cannot unmarshal")
		}
		from, err1 := parseQuantity(f.FromBlock)
		to, err2 := parseQuantity(f.ToBlock)
		if err1 != nil || err2 != nil {
			return fail(-32602, "invalid argument 0: hex string without 0x prefix")
		}
		if from > to {
			return fail(-32602, "invalid block range")
		}
		n.ranges = append(n.ranges, [2]uint64{from, to})
		var matched []fakeLog
		for _, l := range n.logs {
			if l.block < from || l.block > to || !strings.EqualFold(l.Address, f.Address) {
				continue
			}
			if len(f.Topics) > 0 && len(f.Topics[0]) > 0 && !slices.ContainsFunc(f.Topics[0], func(t string) bool { return strings.EqualFold(t, l.Topics[0]) }) {
				continue
			}
			if n.stamp {
				l.BlockTimestamp = hexQ(n.timeOf(l.block))
			}
			matched = append(matched, l)
		}
		if n.refuse != nil {
			if status, e := n.refuse(from, to, len(matched), matched); e != nil {
				resp.Error = e
				return resp, status
			}
		}
		n.served = append(n.served, [2]uint64{from, to})
		if matched == nil {
			matched = []fakeLog{}
		}
		resp.Result = matched
	case "eth_call":
		n.calls++
		var c struct {
			To   string `json:"to"`
			Data string `json:"data"`
		}
		var tag string
		if len(req.Params) != 2 || json.Unmarshal(req.Params[0], &c) != nil || json.Unmarshal(req.Params[1], &tag) != nil {
			return fail(-32602, "invalid argument 0: json: cannot unmarshal")
		}
		to, err := evm.ParseAddress(c.To)
		data, err2 := evm.DecodeHex(c.Data)
		if err != nil || err2 != nil || len(data) < 4 {
			return fail(-32602, "invalid argument 0")
		}
		block := n.head
		if tag != "latest" {
			if block, err = parseQuantity(tag); err != nil {
				return fail(-32602, "invalid argument 1: hex string without 0x prefix")
			}
		}
		f := n.fns[to][[4]byte(data[:4])]
		if f == nil {
			if n.fns[to] == nil {
				resp.Result = "0x" // no code at the address: calls succeed with no data
				return resp, http.StatusOK
			}
			// geth's answer to a revert without a reason.
			return fail(-32000, "execution reverted")
		}
		out, e := f(data[4:], block)
		if e != nil {
			resp.Error = e
			return resp, http.StatusOK
		}
		resp.Result = evm.EncodeHex(out)
	default:
		return fail(-32601, fmt.Sprintf("the method %s does not exist/is not available", req.Method))
	}
	return resp, http.StatusOK
}

// start serves n and returns a source reading cfg from it.
func (n *fakeNode) start(t testing.TB, cfg Config) *Source {
	t.Helper()
	srv := httptest.NewServer(n)
	t.Cleanup(srv.Close)
	cfg.RPCURL = srv.URL + "/v3/0123456789abcdef0123456789abcdef"
	src, err := cfg.NewSource(adapters.Env{HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*Source)
	s.rpc.http = newTestHTTP(srv.Client())
	return s
}

// u256 is shorthand for a uint256 result type list.
var u256 = []evm.Type{evm.Uint256}

// bigStr parses a decimal integer or fails the test.
func bigStr(t testing.TB, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("not an integer: %q", s)
	}
	return v
}
