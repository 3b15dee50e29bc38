package server

import (
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

// cycleJSON is schema.CycleDoc with the stored documents as they are
// stored: they were checked against their schemas when stored, and
// copying them saves decoding and encoding each on every request. A test
// decodes its output strictly into schema.CycleDoc and validates it.
type cycleJSON struct {
	Schema string `json:"schema"`
	schema.CycleSummary
	Recommendation json.RawMessage      `json:"recommendation,omitempty"`
	Proposal       json.RawMessage      `json:"proposal,omitempty"`
	Publications   []schema.Publication `json:"publications"`
}

// cycleDoc is c whole as the API returns it.
func cycleDoc(c store.Cycle) cycleJSON {
	d := cycleJSON{Schema: schema.Cycle, CycleSummary: summary(c), Recommendation: c.Recommendation, Proposal: c.Proposal,
		Publications: []schema.Publication{}}
	for _, p := range c.Publications {
		d.Publications = append(d.Publications, schema.Publication{Sink: p.Sink, Receipt: p.Receipt, Time: p.Time})
	}
	return d
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
