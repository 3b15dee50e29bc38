package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// summary is a cycle as lists show it (schema.CycleSummary).
func summary(c store.Cycle) schema.CycleSummary {
	s := schema.CycleSummary{
		ID: c.ID, DAO: c.DAO, State: string(c.State), Title: c.Title, Change: c.Change, Error: c.Error,
		ConfigHash: c.ConfigHash, InputsHash: c.InputsHash, Created: c.Created, Updated: c.Updated,
	}
	if c.Review != nil {
		s.Review = &schema.Review{Verdict: string(c.Review.Verdict), Reviewer: c.Review.Reviewer, Comment: c.Review.Comment, Time: c.Review.Time}
	}
	return s
}

// cyclesDoc is a page of cycles; more says there is a next one.
func cyclesDoc(cs []store.Cycle, limit int) schema.CyclesDoc {
	d := schema.CyclesDoc{Schema: schema.Cycles, Cycles: []schema.CycleSummary{}}
	if len(cs) > limit {
		cs = cs[:limit]
		d.Next = cs[limit-1].ID
	}
	for _, c := range cs {
		d.Cycles = append(d.Cycles, summary(c))
	}
	return d
}

// cycleHead is schema.CycleDoc without the documents.
type cycleHead struct {
	Schema string `json:"schema"`
	schema.CycleSummary
	Publications []schema.Publication `json:"publications"`
}

// cycleJSON encodes c whole as the API returns it (schema.CycleDoc). The
// stored documents are copied in as they are stored: they were checked
// against their schemas when stored, and copying them saves decoding,
// encoding or even compacting each on every request. A test decodes the
// output strictly into schema.CycleDoc and validates it.
func cycleJSON(c store.Cycle) ([]byte, error) {
	d := cycleHead{Schema: schema.Cycle, CycleSummary: summary(c), Publications: []schema.Publication{}}
	for _, p := range c.Publications {
		d.Publications = append(d.Publications, schema.Publication{Sink: p.Sink, Receipt: p.Receipt, Time: p.Time})
	}
	head, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(c.Recommendation)+len(c.Proposal)+40)
	out = append(out, head[:len(head)-1]...) // without its closing brace
	for _, doc := range []struct {
		key string
		raw json.RawMessage
	}{{"recommendation", c.Recommendation}, {"proposal", c.Proposal}} {
		if len(doc.raw) > 0 {
			out = append(out, `,"`+doc.key+`":`...)
			out = append(out, bytes.TrimSpace(doc.raw)...)
		}
	}
	return append(out, "}\n"...), nil
}

// verificationDoc is the audit log's verification.
func verificationDoc(v store.Verification) schema.VerificationDoc {
	d := schema.VerificationDoc{Schema: schema.Verification, OK: v.Problem == nil, Entries: v.Entries,
		Head: schema.AuditHead{Seq: v.Head.Seq, Hash: v.Head.Hash}}
	if v.Problem != nil {
		d.Problem = &schema.AuditProblem{Seq: v.Problem.Seq, Kind: v.Problem.Kind, Detail: v.Problem.Detail}
	}
	return d
}

// receipt is a sink's receipt as the store keeps it (adapters.Receipt's
// JSON), read leniently: the desk shows what it finds.
type receipt struct {
	ID    string   `json:"id"`
	URL   string   `json:"url"`
	Files []string `json:"files"`
}

// readReceipt decodes a stored receipt; an unreadable one gives its raw
// text as the ID.
func readReceipt(raw json.RawMessage) receipt {
	var r receipt
	if json.Unmarshal(raw, &r) != nil {
		return receipt{ID: clip(string(raw), 200)}
	}
	return r
}

// fmtTime writes a time for the desk, in UTC to the minute.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
