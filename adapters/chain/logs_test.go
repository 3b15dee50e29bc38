package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// Refusals as the providers word them (sources in testdata/README.md).
func TestParseRefusal(t *testing.T) {
	cases := []struct {
		name string
		e    RPCError
		want refusal
	}{
		{"infura results with range", RPCError{Code: -32005, Message: "query returned more than 10000 results. Try with this block range [0x100E698, 0x100E6D4].",
			Data: json.RawMessage(`{"from":"0x100E698","limit":10000,"to":"0x100E6D4"}`)}, refusal{From: 0x100E698, To: 0x100E6D4, Suggested: true}},
		{"infura range in data only", RPCError{Code: -32005, Message: "query returned more than 10000 results",
			Data: json.RawMessage(`{"from":"0xBDE5F8","limit":10000,"to":"0x102DBCC"}`)}, refusal{From: 0xBDE5F8, To: 0x102DBCC, Suggested: true}},
		{"infura block range", RPCError{Code: -32602, Message: "range 1000000 exceeds limit of 10000"}, refusal{Cap: 10000}},
		{"alchemy response size", RPCError{Code: -32602, Message: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0xd043b8]"},
			refusal{From: 0, To: 0xd043b8, Suggested: true}},
		{"alchemy 10,000 wording is not a cap", RPCError{Code: -32602, Message: "Log response size exceeded. You can make eth_getLogs requests with up to a 10,000 block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x1000000, 0x1007fff]"},
			refusal{From: 0x1000000, To: 0x1007fff, Suggested: true}},
		{"alchemy free tier", RPCError{Code: -32600, Message: "You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block range should work: [0x123c9b2, 0x123cba5]"},
			refusal{Cap: 500, From: 0x123c9b2, To: 0x123cba5, Suggested: true}},
		{"quicknode", RPCError{Code: -32614, Message: "eth_getLogs is limited to a 10,000 range"}, refusal{Cap: 10000}},
		{"quicknode blocks range", RPCError{Code: -32614, Message: "eth_getLogs and eth_newFilter are limited to a 10,000 blocks range"}, refusal{Cap: 10000}},
		{"ankr", RPCError{Code: -32600, Message: "block range is too wide"}, refusal{}},
		{"geth", RPCError{Code: -32005, Message: "query returned more than 10000 results"}, refusal{}},
		{"geth fork max block range", RPCError{Code: -32000, Message: "block range is larger than max block range, block range = 5120, max block range = 5000"}, refusal{Cap: 5000}},
		{"publicnode", RPCError{Code: -32701, Message: "maximum block range: 50000"}, refusal{Cap: 50000}},
		{"base", RPCError{Code: -32062, Message: "Block range is too large"}, refusal{}},
	}
	for _, c := range cases {
		got, ok := parseRefusal(&c.e)
		if !ok || got != c.want {
			t.Errorf("%s: %+v %v; want %+v", c.name, got, ok, c.want)
		}
	}
	for _, msg := range []string{"execution reverted", "header not found", "Must be authenticated!", "invalid argument 0: hex string without 0x prefix"} {
		if r, ok := parseRefusal(&RPCError{Code: -32000, Message: msg}); ok {
			t.Errorf("%q is not a range refusal; got %+v", msg, r)
		}
	}
}

func TestNextSpan(t *testing.T) {
	cases := []struct {
		r        refusal
		from, to uint64
		want     uint64
	}{
		{refusal{}, 0, 99, 50},
		{refusal{Suggested: true, From: 0, To: 9}, 0, 99, 10},
		{refusal{Suggested: true, From: 0, To: 200}, 0, 99, 50}, // a suggestion no narrower is ignored
		{refusal{Cap: 30}, 0, 99, 30},
		{refusal{Cap: 500, Suggested: true, From: 0, To: 9}, 0, 99, 10},
		{refusal{}, 5, 5, 1},
	}
	for _, c := range cases {
		if got := nextSpan(c.r, c.from, c.to); got != c.want {
			t.Errorf("nextSpan(%+v, %d, %d) = %d; want %d", c.r, c.from, c.to, got, c.want)
		}
	}
}

// suggestUpTo is the range a node suggests: from, up to the block before
// the one holding the (limit+1)th log.
func suggestUpTo(from uint64, matched []fakeLog, limit int) uint64 {
	end := matched[limit].block - 1
	if end < from {
		end = from
	}
	return end
}

// Each provider's refusal, served by the fake node: the read still gets
// the whole history, by the spans the refusal calls for.
func TestRefusalsByProvider(t *testing.T) {
	want := func() string {
		n, _ := compoundNode(t, 14417075)
		d, err := n.start(t, compoundConfig()).Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(d.History)
		return string(b)
	}()
	const limit = 3 // results per query, scaled down from 10,000 to the fixture's 24 logs
	cases := []struct {
		name   string
		refuse refusalFn
		check  func(t *testing.T, ranges [][2]uint64)
	}{
		{"infura results, suggested range", func(from, to uint64, n int, m []fakeLog) (int, *RPCError) {
			if n <= limit {
				return 0, nil
			}
			end := suggestUpTo(from, m, limit)
			return http.StatusOK, &RPCError{Code: -32005, Message: fmt.Sprintf("query returned more than %d results. Try with this block range [%s, %s].", limit, strings.ToUpper(hexQ(from))[0:1]+hexQ(from)[1:], hexQ(end)),
				Data: json.RawMessage(fmt.Sprintf(`{"from":%q,"limit":%d,"to":%q}`, hexQ(from), limit, hexQ(end)))}
		}, nil},
		{"infura block range cap", func(from, to uint64, n int, m []fakeLog) (int, *RPCError) {
			if to-from+1 <= 10000 {
				return 0, nil
			}
			return http.StatusOK, &RPCError{Code: -32602, Message: fmt.Sprintf("range %d exceeds limit of 10000", to-from+1)}
		}, func(t *testing.T, rs [][2]uint64) {
			for _, r := range rs[2:] {
				if r[1]-r[0]+1 > 10000 {
					t.Errorf("after the cap, a range of %d blocks was asked for", r[1]-r[0]+1)
				}
			}
		}},
		{"alchemy response size over HTTP 400", func(from, to uint64, n int, m []fakeLog) (int, *RPCError) {
			if n <= limit || to-from+1 <= 2000 {
				return 0, nil
			}
			return http.StatusBadRequest, &RPCError{Code: -32602, Message: fmt.Sprintf("Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [%s, %s]", hexQ(from), hexQ(suggestUpTo(from, m, limit)))}
		}, nil},
		{"quicknode over HTTP 413", func(from, to uint64, n int, m []fakeLog) (int, *RPCError) {
			if to-from+1 <= 10000 {
				return 0, nil
			}
			return http.StatusRequestEntityTooLarge, &RPCError{Code: -32614, Message: "eth_getLogs is limited to a 10,000 range"}
		}, nil},
		{"ankr", func(from, to uint64, n int, m []fakeLog) (int, *RPCError) {
			if to-from+1 <= 3000 {
				return 0, nil
			}
			return http.StatusOK, &RPCError{Code: -32600, Message: "block range is too wide"}
		}, nil},
		{"geth results, halving", func(from, to uint64, n int, m []fakeLog) (int, *RPCError) {
			if n <= limit {
				return 0, nil
			}
			return http.StatusOK, &RPCError{Code: -32005, Message: fmt.Sprintf("query returned more than %d results", limit)}
		}, func(t *testing.T, rs [][2]uint64) {
			grew := false
			for i := 1; i < len(rs); i++ {
				if rs[i][1]-rs[i][0] > rs[i-1][1]-rs[i-1][0] && rs[i][0] == rs[i-1][1]+1 {
					grew = true
				}
			}
			if !grew {
				t.Error("the span never grew back after a success")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, _ := compoundNode(t, 14417075)
			n.refuse = c.refuse
			s := n.start(t, compoundConfig())
			d, err := s.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(d.History)
			if string(b) != want {
				t.Error("the history read through refusals differs from the one read without")
			}
			if s.lastScan.refusals == 0 {
				t.Error("the node refused nothing; the case tests nothing")
			}
			// The ranges served cover the blocks once, in order.
			next := uint64(12266840)
			for _, r := range n.served {
				if r[0] != next {
					t.Fatalf("served %v; want contiguous ranges from 12266840", n.served)
				}
				next = r[1] + 1
			}
			if next != 14417076 {
				t.Errorf("served up to %d; want 14417075", next-1)
			}
			if c.check != nil {
				c.check(t, n.ranges)
			}
		})
	}
}

func TestRefusedEvenOneBlock(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	n.refuse = func(from, to uint64, k int, m []fakeLog) (int, *RPCError) {
		return http.StatusOK, &RPCError{Code: -32005, Message: "query returned more than 10000 results"}
	}
	cfg := compoundConfig()
	cfg.MaxRange = 8
	_, err := n.start(t, cfg).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refuses even 1 blocks") || !strings.Contains(err.Error(), "governor "+compoundBravo.Hex()) {
		t.Fatalf("err %v; want the source named and the refusal of 1 block", err)
	}
	if strings.Contains(err.Error(), "0123456789abcdef0123456789abcdef") {
		t.Errorf("the key leaked: %v", err)
	}
}

func TestScanSpans(t *testing.T) {
	// A node serving at most 40 blocks a query: the span halves to 40,
	// never grows past the stated cap, and covers every block once.
	n, _ := compoundNode(t, 1000)
	n.refuse = func(from, to uint64, k int, m []fakeLog) (int, *RPCError) {
		if to-from+1 <= 40 {
			return 0, nil
		}
		return http.StatusOK, &RPCError{Code: -32614, Message: "eth_getLogs is limited to a 40 range"}
	}
	s := n.start(t, Config{Family: Bravo, Address: compoundBravo.Hex()})
	sc := &logScanner{rpc: s.rpc, log: s.env.Log(), address: compoundBravo.Hex(), topics: eventTopics, span: 100, ceiling: 100, minSpan: 1}
	if err := sc.scan(context.Background(), 0, 999, func([]rawLog) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var served [][2]uint64
	for _, r := range n.ranges {
		if r[1]-r[0]+1 <= 40 {
			served = append(served, r)
		}
	}
	want := [][2]uint64{}
	for b := uint64(0); b < 1000; b += 40 {
		want = append(want, [2]uint64{b, b + 39})
	}
	if !reflect.DeepEqual(served, want) {
		t.Errorf("served ranges %v; want 40-block ranges over 0-999", served)
	}
	if sc.refusals != 1 || sc.ceiling != 40 {
		t.Errorf("refusals %d ceiling %d; want one refusal and the cap kept", sc.refusals, sc.ceiling)
	}
}
