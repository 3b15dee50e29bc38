package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// seedDocs adds the golden documents and broken variants of them.
func seedDocs(f *testing.F, docs func(documents) []byte) {
	for _, name := range []string{"compound", "aave"} {
		d := docs(goldenDocs(f, name))
		f.Add(d)
		f.Add(d[:len(d)/2])
		f.Add(bytes.Replace(d, []byte(`"change": false`), []byte(`"change": "no"`), 1))
		f.Add(append(bytes.Clone(d), []byte(`{}`)...))
		f.Add(bytes.Replace(d, []byte(`"dao"`), []byte(`"surprise": 1, "dao"`), 1))
	}
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"schema":"attune.proposal/v1"}`, `{"schema":"attune.recommendation/v1","params":null}`, "{\"schema\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
}

// Decoding a stored recommendation never panics; what decodes encodes
// and decodes again to the same.
func FuzzDecodeRecommendation(f *testing.F) {
	seedDocs(f, func(d documents) []byte { return d.rec })
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeRecommendation(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("decoded document does not encode: %v", err)
		}
		d2, err := DecodeRecommendation(again)
		if err != nil {
			t.Fatalf("re-encoded document does not decode: %v", err)
		}
		third, _ := json.Marshal(d2)
		if !bytes.Equal(again, third) {
			t.Fatalf("decode/encode is not stable:\n%s\n%s", again, third)
		}
	})
}

// Decoding a stored proposal never panics; what decodes encodes and
// decodes again to the same.
func FuzzDecodeProposal(f *testing.F) {
	seedDocs(f, func(d documents) []byte { return d.prop })
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeProposal(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("decoded document does not encode: %v", err)
		}
		d2, err := DecodeProposal(again)
		if err != nil {
			t.Fatalf("re-encoded document does not decode: %v", err)
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatal("decode/encode is not stable")
		}
	})
}

// No two different entries have the same canonical encoding, however
// their fields' bytes are split.
func FuzzCanonicalEncoding(f *testing.F) {
	f.Add(int64(1), int64(2), "alice", "cycle.review", "cycle/1", `{"a":1}`, ZeroHash, "alic", "ecycle.review", "cycle/1")
	f.Add(int64(1), int64(1), "a", "b", "c", `{}`, "", "a", "b", "c")
	f.Add(int64(12), int64(3), "", "cycle.create", "cycle/2", `{}`, ZeroHash, "", "cycle.create", "cycle/21")
	f.Fuzz(func(t *testing.T, seq, ns int64, actor, action, subject, detail, prev, actor2, action2, subject2 string) {
		at := time.Unix(0, ns)
		a := Entry{Seq: seq, Time: at, Actor: actor, Action: action, Subject: subject, Detail: json.RawMessage(detail), PrevHash: prev}
		b := Entry{Seq: seq, Time: at, Actor: actor2, Action: action2, Subject: subject2, Detail: json.RawMessage(detail), PrevHash: prev}
		same := actor == actor2 && action == action2 && subject == subject2
		if enc := bytes.Equal(a.canonical(), b.canonical()); enc != same {
			t.Fatalf("entries equal: %v, encodings equal: %v", same, enc)
		}
		if same != (a.ComputeHash() == b.ComputeHash()) {
			t.Fatal("hash equality differs from entry equality")
		}
	})
}

// chain builds a valid chain of n entries and its head.
func chain(n int) ([]Entry, Head) {
	es := make([]Entry, n)
	prev := ZeroHash
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range es {
		es[i] = Entry{Seq: int64(i + 1), Time: base.Add(time.Duration(i) * time.Minute), Actor: "attune",
			Action: ActionAdvance, Subject: fmt.Sprintf("cycle/%d", i/4+1), Detail: json.RawMessage(`{"from":"fetching","to":"calibrating"}`), PrevHash: prev}
		es[i].Hash = es[i].ComputeHash()
		prev = es[i].Hash
	}
	return es, Head{Seq: int64(n), Hash: prev}
}

func verify(es []Entry, head Head) Verification {
	v := newVerifier(head)
	for _, e := range es {
		if !v.add(e) {
			break
		}
	}
	return v.finish()
}

// Any change to a valid chain that leaves the head alone is found, and
// the entry named is the one changed.
func FuzzVerifyFindsEveryChange(f *testing.F) {
	f.Add(uint8(0), uint8(3), int64(0), "x")
	f.Add(uint8(1), uint8(0), int64(0), "")
	f.Add(uint8(2), uint8(9), int64(10), "mallory")
	f.Add(uint8(3), uint8(4), int64(0), "mallory")
	f.Add(uint8(4), uint8(2), int64(5), "")
	f.Fuzz(func(t *testing.T, op, at uint8, seq int64, text string) {
		const n = 10
		es, head := chain(n)
		if v := verify(es, head); v.Err() != nil {
			t.Fatalf("valid chain: %v", v.Err())
		}
		i := int(at) % n
		var wantSeq int64
		switch op % 5 {
		case 0: // edit a field, leave the hash
			if es[i].Actor == text {
				return
			}
			es[i].Actor = text
			wantSeq = es[i].Seq
		case 1: // delete
			es = append(es[:i:i], es[i+1:]...)
			wantSeq = int64(i + 1)
		case 2: // insert a well-formed entry with any number, in order
			e := Entry{Seq: seq, Time: time.Unix(0, seq), Actor: text, Action: ActionReview, Subject: "cycle/1", Detail: json.RawMessage(`{}`)}
			if seq >= 1 && seq <= n {
				e.PrevHash = es[seq-1].PrevHash // take the place of entry seq
			} else {
				e.PrevHash = es[n-1].Hash
			}
			e.Hash = e.ComputeHash()
			if seq >= 1 && seq <= n && e.Hash == es[seq-1].Hash {
				return // the entry itself
			}
			pos := 0
			for pos < len(es) && es[pos].Seq <= seq {
				pos++
			}
			es = append(es[:pos:pos], append([]Entry{e}, es[pos:]...)...)
			wantSeq = -1 // named as inserted, edited or deleted, depending on where
		case 3: // edit and rehash
			if es[i].Actor == text {
				return
			}
			es[i].Actor = text
			es[i].Hash = es[i].ComputeHash()
			wantSeq = es[i].Seq
		case 4: // swap two entries' contents
			j := (i + 1 + int(seq&7)) % n
			if i == j {
				return
			}
			es[i], es[j] = es[j], es[i]
			wantSeq = -1
		}
		v := verify(es, head)
		if v.Problem == nil {
			t.Fatalf("op %d at %d: change not found", op%5, i)
		}
		if wantSeq >= 0 && v.Problem.Seq != wantSeq {
			t.Fatalf("op %d at %d: problem %+v names entry %d, want %d", op%5, i, v.Problem, v.Problem.Seq, wantSeq)
		}
	})
}
