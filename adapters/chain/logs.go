package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/internal/evm"
)

// rawLog is one entry of an eth_getLogs answer, as nodes write it.
// BlockTimestamp is set by nodes that include it (geth since 1.16 and
// the providers built on it); it saves a block lookup.
type rawLog struct {
	Address        string     `json:"address"`
	Topics         []evm.Hash `json:"topics"`
	Data           string     `json:"data"`
	BlockNumber    quantity   `json:"blockNumber"`
	BlockTimestamp *quantity  `json:"blockTimestamp,omitempty"`
	TxHash         string     `json:"transactionHash"`
	LogIndex       quantity   `json:"logIndex"`
	Removed        bool       `json:"removed"`
}

// logFilter is eth_getLogs' parameter object.
type logFilter struct {
	Address   string       `json:"address"`
	Topics    [][]evm.Hash `json:"topics"`
	FromBlock string       `json:"fromBlock"`
	ToBlock   string       `json:"toBlock"`
}

// refusal is what a node said when it refused a block range: the widest
// span it serves (Cap, 0 when it did not say) and a range it suggests
// (From-To, when Suggested).
type refusal struct {
	Cap       uint64
	From, To  uint64
	Suggested bool
}

// Range refusals of the common providers, as they word them. The wording
// is the only reliable signal: the codes are generic (-32602 is "invalid
// params", -32600 "invalid request") and vary between providers.
var (
	// A range to try instead: Infura and geth-based providers
	// ("query returned more than 10000 results. Try with this block range
	// [0x100E698, 0x100E6D4]."), Alchemy ("... this block range should
	// work: [0x148aa7a, 0x148aa86]").
	suggestRe = regexp.MustCompile(`(?i)(?:try with this block range|this block range should work:?)\s*\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]`)
	// The widest span the node serves, as a number.
	capRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)range \d+ exceeds limit of (\d[\d,]*)`),                                   // Infura: "range 1000000 exceeds limit of 10000"
		regexp.MustCompile(`(?i)limited to a (\d[\d,]*)`),                                                 // QuickNode: "eth_getLogs is limited to a 10,000 range"
		regexp.MustCompile(`(?i)requests with up to a (\d[\d,]*) block range`),                            // Alchemy free tier: "up to a 500 block range"
		regexp.MustCompile(`(?i)block range is too wide \(maximum (\d[\d,]*)\)`),                          // Moonbeam
		regexp.MustCompile(`(?i)max(?:imum)? block range\D{0,4}?(\d[\d,]*)`),                              // PublicNode, Hyperliquid, geth forks
		regexp.MustCompile(`(?i)limit the query to at most (\d[\d,]*) blocks`),                            // Coinbase
		regexp.MustCompile(`(?i)maximum \[from, to\] blocks distance: (\d[\d,]*)`),                        // Ankr (some chains)
		regexp.MustCompile(`(?i)requested too many blocks from \d+ to \d+, maximum is set to (\d[\d,]*)`), // Avalanche
	}
	// Refusals that name no usable number: halve.
	halveRes = regexp.MustCompile(`(?i)query returned more than \d+ results|log response size exceeded|` +
		`query exceeds max results|block range is too wide|block range too (?:large|high|wide)|range is too large|` +
		`range too large|response size should not greater than|response is too big|query timeout exceeded|` +
		`logs matched by query exceeds limit|block range limit exceeded|exceeds? (?:the )?(?:max(?:imum)? )?block range`)
)

// parseRefusal reports whether e is a node refusing an eth_getLogs block
// range, and what it said about the range it would serve.
func parseRefusal(e *RPCError) (refusal, bool) {
	if e == nil {
		return refusal{}, false
	}
	msg := e.Message
	var r refusal
	found := false
	if m := suggestRe.FindStringSubmatch(msg); m != nil {
		a, err1 := parseQuantity(strings.ToLower(m[1]))
		b, err2 := parseQuantity(strings.ToLower(m[2]))
		if err1 == nil && err2 == nil && a <= b {
			r.From, r.To, r.Suggested = a, b, true
			found = true
		}
	}
	// Infura also puts the suggestion in data: {"from":"0x…","to":"0x…","limit":10000}.
	var d struct {
		From, To string
	}
	if !r.Suggested && len(e.Data) > 0 && json.Unmarshal(e.Data, &d) == nil && d.From != "" && d.To != "" {
		a, err1 := parseQuantity(strings.ToLower(d.From))
		b, err2 := parseQuantity(strings.ToLower(d.To))
		if err1 == nil && err2 == nil && a <= b {
			r.From, r.To, r.Suggested = a, b, true
			found = true
		}
	}
	// "Log response size exceeded. You can make eth_getLogs requests with
	// up to a 2K block range and no limit on the response size, or ... any
	// block range with a cap of 10K logs": a choice, not a cap.
	if !strings.Contains(strings.ToLower(msg), "response size") {
		for _, re := range capRes {
			m := re.FindStringSubmatch(msg)
			if m == nil {
				continue
			}
			n, err := strconv.ParseUint(strings.ReplaceAll(m[1], ",", ""), 10, 64)
			if err == nil && n > 0 {
				r.Cap = n
				found = true
				break
			}
		}
	}
	if !found && halveRes.MatchString(msg) {
		found = true
	}
	return r, found
}

// nextSpan is the span to try after a refusal of [from, to]: the
// suggested range's, the node's cap, or half, whichever is smallest, and
// always less than the refused span.
func nextSpan(r refusal, from, to uint64) uint64 {
	refused := to - from + 1
	next := refused / 2
	if r.Suggested && r.To >= from {
		s := r.To - max(r.From, from) + 1
		if s < refused {
			next = s
		}
	}
	if r.Cap > 0 && r.Cap < refused {
		next = min(next, r.Cap)
		if !r.Suggested {
			next = r.Cap
		}
	}
	return max(next, 1)
}

// logScanner reads a contract's logs over a block range in spans that
// shrink when the node refuses one and grow again after successes.
type logScanner struct {
	rpc     *rpcClient
	log     *slog.Logger
	address string
	topics  []evm.Hash
	// span is the span tried next; ceiling the largest it may grow to
	// (max_range, or the cap a node stated); minSpan the smallest.
	span, ceiling, minSpan uint64
	// Counters, for logs and tests.
	requests, refusals int
}

// scan calls visit with the logs of each span of [from, to], in order.
func (s *logScanner) scan(ctx context.Context, from, to uint64, visit func([]rawLog) error) error {
	for cur := from; cur <= to; {
		end := to
		if s.span-1 < to-cur {
			end = cur + s.span - 1
		}
		var logs []rawLog
		s.requests++
		err := s.rpc.Call(ctx, &logs, "eth_getLogs", logFilter{
			Address: s.address, Topics: [][]evm.Hash{s.topics}, FromBlock: hexQ(cur), ToBlock: hexQ(end),
		})
		var re *RPCError
		if errors.As(err, &re) {
			if r, ok := parseRefusal(re); ok {
				s.refusals++
				if r.Cap > 0 && r.Cap < s.ceiling {
					s.ceiling = max(r.Cap, s.minSpan)
				}
				if end-cur+1 <= s.minSpan {
					return fmt.Errorf("%s: eth_getLogs: the node at %s refuses even %d blocks (%d-%d): %w; lower min_range or use another endpoint",
						s.rpc.source, s.rpc.where, end-cur+1, cur, end, re)
				}
				s.span = max(nextSpan(r, cur, end), s.minSpan)
				s.log.Debug("eth_getLogs range refused; narrowing", "source", s.rpc.source, "from", cur, "to", end,
					"next_span", s.span, "refusal", oneLine(re.Message, 200))
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("%s: eth_getLogs blocks %d-%d: %w", s.rpc.source, cur, end, err)
		}
		kept := logs[:0]
		for i, l := range logs {
			if l.Removed {
				continue
			}
			if err := checkLog(l, s.address, cur, end); err != nil {
				return fmt.Errorf("%s: eth_getLogs blocks %d-%d, log %d: %w; the node's answer does not match the query", s.rpc.source, cur, end, i, err)
			}
			kept = append(kept, l)
		}
		if err := visit(kept); err != nil {
			return err
		}
		if end == to {
			break
		}
		cur = end + 1
		s.span = min(s.span*2, s.ceiling)
	}
	return nil
}

// checkLog checks that l is what the filter asked for.
func checkLog(l rawLog, address string, from, to uint64) error {
	if !strings.EqualFold(l.Address, address) {
		return fmt.Errorf("address %q is not the governor %s", oneLine(l.Address, 60), address)
	}
	if b := uint64(l.BlockNumber); b < from || b > to {
		return fmt.Errorf("block %d is outside the range asked for", b)
	}
	if len(l.Topics) == 0 {
		return errors.New("no topics")
	}
	return nil
}
