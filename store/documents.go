package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

// Summary is a cycle as lists show it (schema.CycleSummary).
func Summary(c Cycle) schema.CycleSummary {
	s := schema.CycleSummary{
		ID: c.ID, DAO: c.DAO, State: string(c.State), Title: c.Title, Change: c.Change,
		ConfigHash: c.ConfigHash, InputsHash: c.InputsHash, Dir: c.Dir, Error: c.Error,
		Created: c.Created, Updated: c.Updated,
	}
	if r := c.Review; r != nil {
		s.Review = &schema.ReviewDoc{Verdict: string(r.Verdict), Reviewer: r.Reviewer, Comment: r.Comment, Time: r.Time}
	}
	return s
}

// Document reads cycle id whole as a schema.CycleDoc (what attune cycles
// show prints and the API answers): its summary, documents decoded,
// publications and audit trail.
func Document(ctx context.Context, s Store, id int64) (schema.CycleDoc, error) {
	c, err := s.Cycle(ctx, id)
	if err != nil {
		return schema.CycleDoc{}, err
	}
	return DocumentOf(ctx, s, c)
}

// DocumentOf is Document of a cycle already read whole (Store.Cycle); s
// gives its audit trail.
func DocumentOf(ctx context.Context, s Store, c Cycle) (schema.CycleDoc, error) {
	id := c.ID
	doc := schema.CycleDoc{Schema: schema.Cycle, Cycle: Summary(c), Publications: []schema.PublicationDoc{}, History: []schema.AuditEntryDoc{}}
	if c.Recommendation != nil {
		r, err := DecodeRecommendation(c.Recommendation)
		if err != nil {
			return doc, fmt.Errorf("cycle %d: %w", id, err)
		}
		doc.Recommendation = &r.Recommendation
	}
	if c.Proposal != nil {
		p, err := DecodeProposal(c.Proposal)
		if err != nil {
			return doc, fmt.Errorf("cycle %d: %w", id, err)
		}
		doc.Proposal = &p
	}
	for _, p := range c.Publications {
		var receipt map[string]any
		if err := json.Unmarshal(p.Receipt, &receipt); err != nil {
			return doc, fmt.Errorf("cycle %d: the receipt of sink %q: %w", id, p.Sink, err)
		}
		doc.Publications = append(doc.Publications, schema.PublicationDoc{Sink: p.Sink, Receipt: receipt, Time: p.Time})
	}
	es, err := s.Audit(ctx, AuditFilter{Subject: CycleSubject(id)})
	if err != nil {
		return doc, err
	}
	for _, e := range es {
		var detail map[string]any
		if err := json.Unmarshal(e.Detail, &detail); err != nil {
			return doc, fmt.Errorf("cycle %d: audit entry %d: %w", id, e.Seq, err)
		}
		doc.History = append(doc.History, schema.AuditEntryDoc{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Action: e.Action, Subject: e.Subject, Detail: detail, Hash: e.Hash})
	}
	return doc, nil
}

// Diff sets two cycles' recommendations side by side (what attune
// cycles diff prints): each parameter's value in force and recommended
// value, and the expected effect on the combined score and each
// objective, with a side absent where that cycle has none.
func Diff(a, b schema.CycleDoc) schema.CycleDiffDoc {
	d := schema.CycleDiffDoc{
		Schema: schema.CycleDiff, A: a.Cycle, B: b.Cycle,
		SameConfig: a.Cycle.ConfigHash == b.Cycle.ConfigHash,
		SameInputs: a.Cycle.InputsHash != "" && a.Cycle.InputsHash == b.Cycle.InputsHash,
		Params:     []schema.ParamDiff{}, Effects: []schema.EffectDiff{},
	}
	params := map[string]int{}
	effects := map[string]int{}
	for side, doc := range []schema.CycleDoc{a, b} {
		rec := doc.Recommendation
		if rec == nil {
			continue
		}
		for _, p := range rec.Params {
			i, ok := params[p.Name]
			if !ok {
				i = len(d.Params)
				params[p.Name] = i
				d.Params = append(d.Params, schema.ParamDiff{Name: p.Name, Unit: p.Unit})
			}
			ps := &schema.ParamSide{Current: p.Current, Recommended: p.Recommended, Held: p.Held}
			if side == 0 {
				d.Params[i].A = ps
			} else {
				d.Params[i].B = ps
			}
		}
		for _, e := range append([]oracle.Effect{rec.Score}, rec.Effects...) {
			i, ok := effects[e.Name]
			if !ok {
				i = len(d.Effects)
				effects[e.Name] = i
				d.Effects = append(d.Effects, schema.EffectDiff{Name: e.Name, Unit: e.Unit})
			}
			est := e.Difference
			if side == 0 {
				d.Effects[i].A = &est
			} else {
				d.Effects[i].B = &est
			}
		}
	}
	return d
}

// AuditDocument walks the audit log (Verify) and reports it as attune
// audit verify prints it (schema.AuditDoc); with an earlier head, it
// also checks that the log still holds that entry unchanged (CheckHead).
// When the log is broken, the document says where and the error wraps
// ErrTampered; any other error means there is no document.
func AuditDocument(ctx context.Context, s Store, earlier *Head) (schema.AuditDoc, error) {
	v, err := s.Verify(ctx)
	if err != nil {
		return schema.AuditDoc{}, err
	}
	doc := schema.AuditDoc{Schema: schema.Audit, Entries: v.Entries, Head: v.Head.String()}
	bad := v.Err()
	if p := v.Problem; p != nil {
		doc.Problem = &schema.AuditProblem{Seq: p.Seq, Kind: p.Kind, Detail: p.Detail}
	} else if earlier != nil {
		doc.Checked = earlier.String()
		if bad = CheckHead(ctx, s, *earlier); bad != nil {
			doc.Problem = &schema.AuditProblem{Seq: earlier.Seq, Kind: "rewritten", Detail: strings.TrimPrefix(bad.Error(), ErrTampered.Error()+": ")}
		}
	}
	doc.OK = bad == nil
	return doc, bad
}
