package chain

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/evm"
)

const testKey = "0123456789abcdef0123456789abcdef"

func TestRedactEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://mainnet.infura.io/v3/" + testKey:              "https://mainnet.infura.io/v3/REDACTED",
		"https://eth-mainnet.g.alchemy.com/v2/" + testKey:      "https://eth-mainnet.g.alchemy.com/v2/REDACTED",
		"https://rpc.ankr.com/eth/" + testKey + testKey:        "https://rpc.ankr.com/eth/REDACTED",
		"https://user:pw@node.example:8545/?apikey=" + testKey: "https://node.example:8545/?apikey=REDACTED",
		"http://localhost:8545":                                "http://localhost:8545",
	} {
		if got := redactEndpoint(in); got != want {
			t.Errorf("redactEndpoint(%q) = %q; want %q", in, got, want)
		}
	}
}

// errorsOf reads the fake node's governor through a hook that answers
// every request with status and body, and returns the read's error.
func readWith(t *testing.T, status int, body string) error {
	t.Helper()
	n, _ := compoundNode(t, 14417075)
	n.hook = func(w http.ResponseWriter, _ []byte) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
	_, err := n.start(t, compoundConfig()).Read(context.Background())
	if err == nil {
		t.Fatalf("status %d body %q: no error", status, body)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("the key leaked: %v", err)
	}
	if n := strings.Count(err.Error(), "governor "+compoundBravo.Hex()); n != 1 {
		t.Errorf("the error names the source %d times; want once: %v", n, err)
	}
	return err
}

// Every failure names the source once, whichever layer it came from:
// the transport, an answer that is not JSON-RPC, a refused or
// half-answered batch.
func TestErrorsNameTheSourceOnce(t *testing.T) {
	cases := []struct {
		name string
		hook func(w http.ResponseWriter, body []byte) bool
		want string
	}{
		{"refused batch", func(w http.ResponseWriter, body []byte) bool {
			if len(body) > 0 && body[0] == '[' {
				writeJSON(w, http.StatusOK, rpcResp{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &RPCError{Code: -32600, Message: "batch requests are not supported"}})
				return true
			}
			return false
		}, "refused a batch"},
		{"half-answered batch", func(w http.ResponseWriter, body []byte) bool {
			if len(body) > 0 && body[0] == '[' {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`[]`))
				return true
			}
			return false
		}, "unanswered"},
		{"batch answered with HTML", func(w http.ResponseWriter, body []byte) bool {
			if len(body) > 0 && body[0] == '[' {
				_, _ = w.Write([]byte(`<html>maintenance</html>`))
				return true
			}
			return false
		}, "not a JSON-RPC 2.0 result"},
		{"eth_blockNumber answered with HTML", func(w http.ResponseWriter, _ []byte) bool {
			_, _ = w.Write([]byte(`<html>maintenance</html>`))
			return true
		}, "eth_blockNumber"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, _ := compoundNode(t, 14417075)
			n.hook = c.hook
			_, err := n.start(t, compoundConfig()).Read(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if k := strings.Count(err.Error(), "governor "+compoundBravo.Hex()); k != 1 || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v; want %q and the source named once (%d times)", err, c.want, k)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("5xx retried then transient", func(t *testing.T) {
		err := readWith(t, http.StatusBadGateway, "<html>502 Bad Gateway</html>")
		if !adapters.IsTransient(err) || !strings.Contains(err.Error(), "after 3 attempts") || !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("err %v; want a transient error after the retries, naming the endpoint without its key", err)
		}
	})
	t.Run("401 is terminal", func(t *testing.T) {
		err := readWith(t, http.StatusUnauthorized, `{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Must be authenticated!"}}`)
		var re *RPCError
		if adapters.IsTransient(err) || !errors.As(err, &re) || re.Status != 401 || !strings.Contains(err.Error(), "Must be authenticated!") {
			t.Errorf("err %v; want the node's error object, terminal", err)
		}
	})
	t.Run("not JSON-RPC", func(t *testing.T) {
		err := readWith(t, http.StatusOK, "<!doctype html><title>Welcome</title>")
		if !strings.Contains(err.Error(), "not a JSON-RPC 2.0 result") || !strings.Contains(err.Error(), "rpc_url") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		err := readWith(t, http.StatusTooManyRequests, `{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"daily request count exceeded, request rate limited"}}`)
		if !adapters.IsTransient(err) {
			t.Errorf("err %v; want transient", err)
		}
	})
}

func TestTimeout(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	release := make(chan struct{})
	n.hook = func(w http.ResponseWriter, _ []byte) bool {
		<-release
		return false
	}
	s := n.start(t, compoundConfig())
	s.rpc.http = newTestHTTPTimeout(s.rpc.http, 50*time.Millisecond)
	defer close(release)
	_, err := s.Read(context.Background())
	if err == nil || !adapters.IsTransient(err) || !strings.Contains(err.Error(), "no whole answer within") {
		t.Fatalf("err %v; want a transient timeout", err)
	}
}

func TestBatchErrorsAndRevert(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	// votingPeriod() reverts with a reason (geth: code 3, the reason's
	// Error(string) encoding in data).
	reason, _ := evm.EncodeCall("Error(string)", "GovernorBravo::votingPeriod: paused")
	n.fn(compoundBravo, "votingPeriod()", func([]byte, uint64) ([]byte, *RPCError) {
		return nil, &RPCError{Code: 3, Message: "execution reverted: GovernorBravo::votingPeriod: paused", Data: json.RawMessage(`"` + evm.EncodeHex(reason) + `"`)}
	})
	_, err := n.start(t, compoundConfig()).Read(context.Background())
	var rv *revertError
	if !errors.As(err, &rv) || rv.Reason != "GovernorBravo::votingPeriod: paused" || !strings.Contains(err.Error(), "votingPeriod() on "+compoundBravo.Hex()) {
		t.Fatalf("err %v; want the revert named with its reason", err)
	}
	if n.batches == 0 {
		t.Error("the calls were not batched")
	}
}

func TestBatchUnansweredAndForeignIDs(t *testing.T) {
	c := &call{Method: "eth_call"}
	d := &call{Method: "eth_getBlockByNumber"}
	byID := map[uint64]*call{7: c, 8: d}
	raw := `[{"jsonrpc":"2.0","id":99,"result":"0x1"},{"jsonrpc":"2.0","id":"7","result":"0x2a"}]`
	if err := decodeBatch([]byte(raw), byID); err != nil {
		t.Fatal(err)
	}
	if string(c.Result) != `"0x2a"` || len(byID) != 1 || byID[8] != d {
		t.Errorf("result %s, left %v; want id 7 answered (a string id too), 8 left, 99 ignored", c.Result, byID)
	}
	if err := decodeBatch([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}`), map[uint64]*call{}); err == nil {
		t.Error("an object where a batch was expected must be an error")
	}
}

func TestNodeRefusingBatches(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	n.hook = func(w http.ResponseWriter, body []byte) bool {
		if len(body) > 0 && body[0] == '[' {
			writeJSON(w, http.StatusOK, rpcResp{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &RPCError{Code: -32600, Message: "batch requests are not supported"}})
			return true
		}
		return false
	}
	_, err := n.start(t, compoundConfig()).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refused a batch") || !strings.Contains(err.Error(), "lower batch") {
		t.Fatalf("err %v; want the refusal and what to do", err)
	}
}

func TestMalformedLogs(t *testing.T) {
	for name, mutate := range map[string]func(l *fakeLog){
		"data not hex":         func(l *fakeLog) { l.Data = "0xzz" },
		"data truncated":       func(l *fakeLog) { l.Data = l.Data[:len(l.Data)-64] },
		"topic not 32 bytes":   func(l *fakeLog) { l.Topics[1] = "0x1234" },
		"a topic too many":     func(l *fakeLog) { l.Topics = append(l.Topics, l.Topics[1]) },
		"block number not hex": func(l *fakeLog) { l.BlockNumber = "12345" },
	} {
		t.Run(name, func(t *testing.T) {
			n, _ := compoundNode(t, 14417075)
			i := 0
			for len(n.logs[i].Topics) < 2 { // a VoteCast, with its voter in topic 1
				i++
			}
			l := n.logs[i]
			l.Topics = append([]string(nil), l.Topics...)
			mutate(&l)
			n.logs[i] = l
			_, err := n.start(t, compoundConfig()).Read(context.Background())
			if err == nil || !strings.Contains(err.Error(), "governor "+compoundBravo.Hex()) {
				t.Fatalf("err %v; want an error naming the source", err)
			}
		})
	}
}

func TestCheckLog(t *testing.T) {
	l := rawLog{Address: compoundBravo.Hex(), Topics: []evm.Hash{evVoteCast.Topic()}, BlockNumber: 10}
	if err := checkLog(l, strings.ToLower(compoundBravo.Hex()), 5, 10); err != nil {
		t.Errorf("a log of the governor (any case) in range: %v", err)
	}
	for name, bad := range map[string]rawLog{
		"another address": {Address: ozGovernor.Hex(), Topics: l.Topics, BlockNumber: 10},
		"after the range": {Address: l.Address, Topics: l.Topics, BlockNumber: 11},
		"no topics":       {Address: l.Address, BlockNumber: 10},
	} {
		if err := checkLog(bad, compoundBravo.Hex(), 5, 10); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLogsNameTheNodeWithoutItsKey(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	n.refuse = func(from, to uint64, k int, m []fakeLog) (int, *RPCError) {
		if k <= 3 {
			return 0, nil
		}
		return http.StatusOK, &RPCError{Code: -32005, Message: "query returned more than 3 results"}
	}
	var buf strings.Builder
	s := n.start(t, compoundConfig())
	s.env.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := s.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, testKey) || !strings.Contains(out, "REDACTED") || !strings.Contains(out, "range refused") {
		t.Errorf("logs %q; want the refusals and the node named without its key", out)
	}
}

// A node's message quoted in an error stays valid UTF-8 when the cut
// falls inside a character (an error that is not UTF-8 is garbled in
// JSON output and logs).
func TestOneLineCutsWholeCharacters(t *testing.T) {
	msg := strings.Repeat("a", 299) + "€ and more"
	e := &RPCError{Code: -32000, Message: msg}
	if s := e.Error(); !utf8.ValidString(s) || !strings.HasSuffix(s, "a?...") {
		t.Errorf("%q: want valid UTF-8 ending in a?...", s)
	}
}
