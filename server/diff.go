package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// Diff compares two cycles' recommendations: their verdicts, each
// parameter's value in force and recommended value, and the difference
// each expected its recommendation to make to the combined score and to
// each objective. from is the earlier cycle. Both need a recommendation.
func Diff(from, to store.Cycle) (schema.DiffDoc, error) {
	if from.DAO != to.DAO {
		return schema.DiffDoc{}, badRequest("cycle %d is %s's and cycle %d is %s's; compare two cycles of one DAO", from.ID, from.DAO, to.ID, to.DAO)
	}
	a, err := recommendation(from)
	if err != nil {
		return schema.DiffDoc{}, err
	}
	b, err := recommendation(to)
	if err != nil {
		return schema.DiffDoc{}, err
	}
	d := schema.DiffDoc{
		Schema: schema.Diff, DAO: to.DAO,
		From:   schema.DiffSide{Cycle: from.ID, CycleID: a.CycleID, Change: a.Change, Basis: a.Basis},
		To:     schema.DiffSide{Cycle: to.ID, CycleID: b.CycleID, Change: b.Change, Basis: b.Basis},
		Params: []schema.ParamDiff{}, Effects: []schema.EffectDiff{},
		Score: schema.EffectDiff{Name: "score", Unit: b.Score.Unit, From: effectValue(&a.Score), To: effectValue(&b.Score)},
	}
	// Parameters: the later cycle's order, then the earlier's leftovers.
	older := map[string]oracle.ParamChange{}
	for _, p := range a.Params {
		older[p.Name] = p
	}
	seen := map[string]bool{}
	for _, p := range b.Params {
		seen[p.Name] = true
		pd := schema.ParamDiff{Name: p.Name, Unit: p.Unit, To: &schema.ParamValue{Current: p.Current, Recommended: p.Recommended}}
		if o, ok := older[p.Name]; ok {
			pd.From = &schema.ParamValue{Current: o.Current, Recommended: o.Recommended}
			pd.Moved = o.Current != p.Current || o.Recommended != p.Recommended
		} else {
			pd.Moved = true
		}
		d.Params = append(d.Params, pd)
	}
	for _, o := range a.Params {
		if !seen[o.Name] {
			d.Params = append(d.Params, schema.ParamDiff{Name: o.Name, Unit: o.Unit, From: &schema.ParamValue{Current: o.Current, Recommended: o.Recommended}, Moved: true})
		}
	}
	// Objectives, alike.
	olderE := map[string]*oracle.Effect{}
	for i := range a.Effects {
		olderE[a.Effects[i].Name] = &a.Effects[i]
	}
	seen = map[string]bool{}
	for i := range b.Effects {
		e := &b.Effects[i]
		seen[e.Name] = true
		d.Effects = append(d.Effects, schema.EffectDiff{Name: e.Name, Unit: e.Unit, From: effectValue(olderE[e.Name]), To: effectValue(e)})
	}
	for i := range a.Effects {
		if e := &a.Effects[i]; !seen[e.Name] {
			d.Effects = append(d.Effects, schema.EffectDiff{Name: e.Name, Unit: e.Unit, From: effectValue(e)})
		}
	}
	return d, nil
}

// effectValue is an effect's expected difference; nil for none.
func effectValue(e *oracle.Effect) *schema.EffectValue {
	if e == nil {
		return nil
	}
	return &schema.EffectValue{Difference: e.Difference.Mean, Interval: e.Difference.CI, Verdict: e.Verdict()}
}

// recommendation decodes a cycle's stored recommendation.
func recommendation(c store.Cycle) (oracle.Recommendation, error) {
	if c.Recommendation == nil {
		return oracle.Recommendation{}, &requestError{status: http.StatusNotFound, code: "not_found",
			detail: fmt.Sprintf("cycle %d has no recommendation (it is %s)", c.ID, c.State)}
	}
	d, err := store.DecodeRecommendation(c.Recommendation)
	if err != nil {
		return oracle.Recommendation{}, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	return d.Recommendation, nil
}

// maxTrialsFile bounds a trials.json read.
const maxTrialsFile = 64 << 20

// readTrials reads the trials.json a cycle wrote into its directory.
func readTrials(c store.Cycle) (schema.TrialsDoc, error) {
	notFound := func(why string) error {
		return &requestError{status: http.StatusNotFound, code: "not_found", detail: fmt.Sprintf("cycle %d has no trials: %s", c.ID, why)}
	}
	if c.Dir == "" {
		return schema.TrialsDoc{}, notFound("it wrote no directory")
	}
	f, err := os.Open(filepath.Join(c.Dir, loop.TrialsFile))
	if os.IsNotExist(err) {
		return schema.TrialsDoc{}, notFound("its directory holds no " + loop.TrialsFile + " (written by attune from this version on)")
	}
	if err != nil {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTrialsFile+1))
	if err != nil {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	if len(b) > maxTrialsFile {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %s is over %d bytes", c.ID, loop.TrialsFile, maxTrialsFile)
	}
	var d schema.TrialsDoc
	if err := json.Unmarshal(b, &d); err != nil || d.Schema != schema.Trials {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %s is not a %s document: %v", c.ID, loop.TrialsFile, schema.Trials, err)
	}
	for i, s := range d.Searches {
		if s.Best < 0 || s.Best >= len(s.Trials) {
			return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %s: search %d's best is trial %d of %d", c.ID, loop.TrialsFile, i, s.Best, len(s.Trials))
		}
	}
	return d, nil
}
