package chain

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/attune-dao/attune/internal/evm"
)

// FuzzDecodeLog feeds decodeLog logs of every event it reads with
// arbitrary topics and data: it must return an event or an error, never
// panic, and an event must carry the fields its kind needs.
func FuzzDecodeLog(f *testing.F) {
	logs := loadENSLogs(f)
	data, _ := evm.DecodeHex(logs[0].Data)
	f.Add(byte(10), []byte{}, data)
	fx := loadBravoFixture(f)
	for i, l := range fx.logs(f) {
		d, _ := evm.DecodeHex(l.Data)
		var extra []byte
		for _, tp := range l.Topics[1:] {
			b, _ := evm.DecodeHex(tp)
			extra = append(extra, b...)
		}
		f.Add(byte(i), extra, d)
	}
	f.Fuzz(func(t *testing.T, which byte, topics, data []byte) {
		l := rawLog{Address: compoundBravo.Hex(), Data: evm.EncodeHex(data), TxHash: "0x01"}
		l.Topics = []evm.Hash{eventTopics[int(which)%len(eventTopics)]}
		for i := 0; i+32 <= len(topics) && i < 32*4; i += 32 {
			l.Topics = append(l.Topics, evm.Hash(topics[i:i+32]))
		}
		ev, ok, err := decodeLog(l)
		if err != nil || !ok {
			return
		}
		switch ev.Name {
		case "ProposalCreated":
			if ev.Proposal == nil || ev.Start == nil || ev.End == nil {
				t.Fatalf("ProposalCreated without its numbers: %+v", ev)
			}
		case "VoteCast", "VoteCastWithParams":
			if ev.Proposal == nil || ev.Weight == nil || ev.Voter == "" {
				t.Fatalf("%s without its fields: %+v", ev.Name, ev)
			}
		}
	})
}

// FuzzParseRefusal: any error object is read without panic; a suggested
// range runs forwards, and the next span is always narrower than the
// refused one.
func FuzzParseRefusal(f *testing.F) {
	f.Add(-32005, "query returned more than 10000 results. Try with this block range [0x100E698, 0x100E6D4].", `{"from":"0x100E698","limit":10000,"to":"0x100E6D4"}`, uint64(0x100E698), uint64(0x1010000))
	f.Add(-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0xd043b8]", "", uint64(0), uint64(0xffffff))
	f.Add(-32614, "eth_getLogs is limited to a 10,000 range", "", uint64(1), uint64(100000))
	f.Add(-32600, "block range is too wide", "null", uint64(5), uint64(5))
	f.Add(-32602, "range 1000000 exceeds limit of 0", `"0x"`, uint64(0), uint64(1))
	f.Fuzz(func(t *testing.T, code int, msg, data string, from, to uint64) {
		e := &RPCError{Code: code, Message: msg}
		if json.Valid([]byte(data)) {
			e.Data = json.RawMessage(data)
		}
		r, ok := parseRefusal(e)
		if !ok {
			return
		}
		if r.Suggested && r.From > r.To {
			t.Fatalf("suggested range runs backwards: %+v", r)
		}
		if from > to {
			from, to = to, from
		}
		if to-from == ^uint64(0) {
			return
		}
		n := nextSpan(r, from, to)
		if n < 1 || (to > from && n >= to-from+1) {
			t.Fatalf("nextSpan(%+v, %d, %d) = %d; want 1 to less than the refused span", r, from, to, n)
		}
	})
}

// FuzzDecodeResponse feeds the answer decoders arbitrary bodies: single
// answers, batches and block headers.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":"0xd5a5a3"}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted","data":"0x08c379a0"}}`))
	f.Add([]byte(`[{"jsonrpc":"2.0","id":2,"result":{"number":"0xd5a5a3","timestamp":"0x61d37b46"}},{"jsonrpc":"2.0","id":1,"result":null}]`))
	f.Add([]byte(`[{"jsonrpc":"2.0","id":"1","error":{"code":-32000,"message":"header not found"}}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if res, err := decodeResponse(raw); err == nil {
			var h *blockHeader
			_ = json.Unmarshal(res, &h)
			var logs []rawLog
			_ = json.Unmarshal(res, &logs)
		} else if re, ok := err.(*RPCError); ok {
			_ = re.Error()
			_, _ = parseRefusal(re)
			_ = revertReason(re.revertData())
		}
		calls := map[uint64]*call{1: {Method: "a"}, 2: {Method: "b"}}
		byID := maps.Clone(calls)
		if err := decodeBatch(raw, byID); err == nil {
			for id, c := range calls {
				if _, left := byID[id]; !left && c.Result == nil && c.Err == nil {
					t.Fatalf("call %d marked answered with neither a result nor an error", id)
				}
			}
		}
	})
}
