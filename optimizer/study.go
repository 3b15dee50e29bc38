package optimizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// The study and trial attributes Search keeps beside goptuna's own.
const (
	// evalAttr (a trial's) is the Evaluation the objective returned; the
	// trial's value is only its penalised score.
	evalAttr = "attune:evaluation"
	// baselineAttr (the study's) is the baseline's Evaluation when the
	// baseline lies outside the space and is evaluated beside the study.
	baselineAttr = "attune:baseline"
	// spaceAttr (the study's) is the searched space, so that resuming a
	// study under a different space is refused.
	spaceAttr = "attune:space"
	// budgetAttr (the study's) is the number of trials the study is to
	// hold, which processes that join it work towards.
	budgetAttr = "attune:trials"
)

// ErrNoStudy is returned when joining a study the storage does not hold
// (yet).
var ErrNoStudy = errors.New("no such study")

var errNoTrials = errors.New("optimizer: the study holds no evaluated trial")

// study is a goptuna study as Search drives it.
type study struct {
	study   *goptuna.Study
	resumed bool
}

// openStudy creates the study, or loads it when its storage already holds
// one of that name.
func openStudy(space Space, sampler sampling.Sampler, opt Options) (*study, error) {
	storage := opt.Storage
	if storage == nil {
		storage = goptuna.NewInMemoryStorage()
	}
	name := opt.Study
	if name == "" {
		name = "attune"
	}
	spaceJSON, err := json.Marshal(space)
	if err != nil {
		return nil, fmt.Errorf("optimizer: encode space: %w", err)
	}
	opts := []goptuna.StudyOption{
		goptuna.StudyOptionStorage(storage),
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMaximize),
		goptuna.StudyOptionSampler(sampler),
		goptuna.StudyOptionRelativeSampler(sampler),
		goptuna.StudyOptionDefineSearchSpace(distributions(space)),
		goptuna.StudyOptionLogger(nil),
	}
	if _, err := storage.GetStudyIDFromName(name); err == nil {
		return loadStudy(storage, name, string(spaceJSON), opts, opt.Join)
	}
	if opt.Join {
		return nil, fmt.Errorf("optimizer: join study %q: %w", name, ErrNoStudy)
	}
	s, err := goptuna.CreateStudy(name, opts...)
	if err != nil {
		// Another process may have created it first.
		if _, lerr := storage.GetStudyIDFromName(name); lerr == nil {
			return loadStudy(storage, name, string(spaceJSON), opts, false)
		}
		return nil, fmt.Errorf("optimizer: create study %q: %w", name, err)
	}
	if err := s.SetSystemAttr(spaceAttr, string(spaceJSON)); err != nil {
		return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
	}
	if err := s.SetSystemAttr(budgetAttr, strconv.Itoa(opt.Trials)); err != nil {
		return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
	}
	return &study{study: s}, nil
}

func loadStudy(storage goptuna.Storage, name, spaceJSON string, opts []goptuna.StudyOption, join bool) (*study, error) {
	if join {
		// The creator writes the budget last: until then the study is
		// not ready to join. This is read before the study is loaded,
		// because a loaded study keeps the direction it read, and the
		// creator sets the direction after creating the study.
		id, err := storage.GetStudyIDFromName(name)
		if err != nil {
			return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
		}
		attrs, err := storage.GetStudySystemAttrs(id)
		if err != nil {
			return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
		}
		if _, ok := attrs[budgetAttr]; !ok {
			return nil, fmt.Errorf("optimizer: join study %q: not ready: %w", name, ErrNoStudy)
		}
	}
	s, err := goptuna.LoadStudy(name, opts...)
	if err != nil {
		return nil, fmt.Errorf("optimizer: load study %q: %w", name, err)
	}
	if s.Direction() != goptuna.StudyDirectionMaximize {
		return nil, fmt.Errorf("optimizer: study %q is not one of attune's (direction %s): %w", name, s.Direction(), ErrInvalid)
	}
	attrs, err := s.GetSystemAttrs()
	if err != nil {
		return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
	}
	if got, ok := attrs[spaceAttr]; ok && got != spaceJSON {
		return nil, fmt.Errorf("optimizer: study %q searched another space (%s); this search's is %s: name the study differently: %w", name, got, spaceJSON, ErrInvalid)
	}
	return &study{study: s, resumed: true}, nil
}

// budget is the number of trials the study is to hold.
func (s *study) budget() (int, error) {
	attrs, err := s.study.GetSystemAttrs()
	if err != nil {
		return 0, fmt.Errorf("optimizer: read study: %w", err)
	}
	n, err := strconv.Atoi(attrs[budgetAttr])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("optimizer: study holds no trial budget (%q): %w", attrs[budgetAttr], ErrInvalid)
	}
	return n, nil
}

// running counts the trials other processes are evaluating.
func (s *study) running() (int, error) {
	trials, err := s.study.GetTrials()
	if err != nil {
		return 0, fmt.Errorf("optimizer: read trials: %w", err)
	}
	n := 0
	for _, t := range trials {
		if t.State == goptuna.TrialStateRunning {
			n++
		}
	}
	return n, nil
}

// awaitRunning waits while other processes evaluate trials of the study,
// polling every poll (default 100 ms), and gives up on trials that stay
// running for 20 times the time a trial takes here (at least 10 s): their
// process has likely stopped, and the result leaves them out.
func (s *study) awaitRunning(ctx context.Context, poll, perTrial time.Duration) error {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	limit := max(10*time.Second, 20*perTrial)
	deadline := time.Now().Add(limit)
	last := -1
	for {
		n, err := s.running()
		if err != nil || n == 0 {
			return err
		}
		if n != last {
			deadline, last = time.Now().Add(limit), n
		}
		if time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// setBaseline records the baseline evaluated beside the study.
func (s *study) setBaseline(e Evaluation) error {
	if err := s.study.SetSystemAttr(baselineAttr, encodeEval(e)); err != nil {
		return fmt.Errorf("optimizer: record baseline: %w", err)
	}
	return nil
}

// warm enqueues the warm-start sets that lie in the space, once each, and
// none equal to the baseline.
func (s *study) warm(space Space, baseline map[string]float64, sets []map[string]float64) error {
	base, _ := baselineInternal(space, baseline)
	var seen []map[string]float64
	for _, w := range sets {
		internal, ok := baselineInternal(space, merge(baseline, w))
		if !ok || maps.Equal(internal, base) || slices.ContainsFunc(seen, func(m map[string]float64) bool { return maps.Equal(m, internal) }) {
			continue
		}
		seen = append(seen, internal)
		if err := s.study.EnqueueTrial(internal); err != nil {
			return fmt.Errorf("optimizer: enqueue warm start: %w", err)
		}
	}
	return nil
}

// rerunRunning fails the trials a stopped process left running and
// enqueues their parameters again.
func (s *study) rerunRunning(space Space) error {
	trials, err := s.study.GetTrials()
	if err != nil {
		return fmt.Errorf("optimizer: read trials: %w", err)
	}
	for _, t := range trials {
		if t.State != goptuna.TrialStateRunning {
			continue
		}
		if err := s.study.Storage.SetTrialState(t.ID, goptuna.TrialStateFail); err != nil {
			return fmt.Errorf("optimizer: fail stale trial %d: %w", t.Number, err)
		}
		if _, ok := external(space, t.InternalParams); ok {
			if err := s.study.EnqueueTrial(maps.Clone(t.InternalParams)); err != nil {
				return fmt.Errorf("optimizer: enqueue stale trial %d again: %w", t.Number, err)
			}
		}
	}
	return nil
}

// countedBefore is how many trials numbered before trial id count towards
// the budget, the baseline evaluated beside the study included.
func (s *study) countedBefore(id int) (int, error) {
	return s.countWhere(func(trials []goptuna.FrozenTrial) func(goptuna.FrozenTrial) bool {
		number := -1
		for _, t := range trials {
			if t.ID == id {
				number = t.Number
			}
		}
		return func(t goptuna.FrozenTrial) bool { return t.Number < number }
	})
}

// countWhere counts the trials that count towards the budget and that
// the filter built from all trials keeps, and the baseline evaluated
// beside the study.
func (s *study) countWhere(filter func([]goptuna.FrozenTrial) func(goptuna.FrozenTrial) bool) (int, error) {
	trials, err := s.study.GetTrials()
	if err != nil {
		return 0, fmt.Errorf("optimizer: read trials: %w", err)
	}
	keep := filter(trials)
	n := 0
	for _, t := range trials {
		if keep(t) && counts(t) {
			n++
		}
	}
	attrs, err := s.study.GetSystemAttrs()
	if err != nil {
		return 0, fmt.Errorf("optimizer: read study: %w", err)
	}
	if _, ok := attrs[baselineAttr]; ok {
		n++
	}
	return n, nil
}

// counts reports whether a trial counts towards the budget: finished with
// an evaluation, running, or waiting to run.
func counts(t goptuna.FrozenTrial) bool {
	switch t.State {
	case goptuna.TrialStateComplete, goptuna.TrialStateRunning, goptuna.TrialStateWaiting:
		return true
	case goptuna.TrialStateFail:
		_, ok := t.SystemAttrs[evalAttr]
		return ok
	}
	return false
}

// counted is how many trials count towards the budget: finished with an
// evaluation, running, or waiting to run, and the baseline when it was
// evaluated beside the study.
func (s *study) counted() (int, error) {
	return s.countWhere(func([]goptuna.FrozenTrial) func(goptuna.FrozenTrial) bool {
		return func(goptuna.FrozenTrial) bool { return true }
	})
}

// result reads the study's evaluated trials: the baseline first, then the
// rest in trial order.
func (s *study) result(space Space, baseline map[string]float64) (*Result, error) {
	trials, err := s.study.GetTrials()
	if err != nil {
		return nil, fmt.Errorf("optimizer: read trials: %w", err)
	}
	attrs, err := s.study.GetSystemAttrs()
	if err != nil {
		return nil, fmt.Errorf("optimizer: read study: %w", err)
	}
	res := &Result{}
	if b, ok := attrs[baselineAttr]; ok {
		e, err := decodeEval(b)
		if err != nil {
			return nil, fmt.Errorf("optimizer: baseline: %w", err)
		}
		res.Trials = append(res.Trials, Trial{Params: maps.Clone(baseline), Eval: e})
	}
	sort.Slice(trials, func(i, j int) bool { return trials[i].Number < trials[j].Number })
	for _, t := range trials {
		raw, has := t.SystemAttrs[evalAttr]
		var e Evaluation
		switch {
		case has && (t.State == goptuna.TrialStateComplete || t.State == goptuna.TrialStateFail):
			if e, err = decodeEval(raw); err != nil {
				return nil, fmt.Errorf("optimizer: trial %d: %w", t.Number, err)
			}
		case t.State == goptuna.TrialStateComplete:
			e = Evaluation{Value: t.Value}
		default:
			continue
		}
		p, ok := external(space, t.InternalParams)
		if !ok {
			continue
		}
		res.Trials = append(res.Trials, Trial{Params: merge(baseline, p), Eval: e})
	}
	if len(res.Trials) == 0 {
		return nil, errNoTrials
	}
	for i := range res.Trials {
		res.Trials[i].Number = i
		if res.Trials[i].Eval.better(res.Trials[res.Best].Eval) {
			res.Best = i
		}
	}
	return res, nil
}

// partial returns what the study holds beside err.
func (s *study) partial(space Space, baseline map[string]float64, err error) (*Result, error) {
	res, rerr := s.result(space, baseline)
	if rerr != nil {
		return nil, err
	}
	return res, err
}

// external maps goptuna's internal values to the search's: a categorical
// parameter's choice index to the choice.
func external(space Space, internal map[string]float64) (map[string]float64, bool) {
	out := make(map[string]float64, len(space))
	for _, sp := range space {
		v, ok := internal[sp.Name]
		if !ok {
			return nil, false
		}
		if sp.Kind == Categorical {
			i := int(v)
			if i < 0 || i >= len(sp.Choices) || float64(i) != v {
				return nil, false
			}
			v = sp.Choices[i]
		}
		out[sp.Name] = v
	}
	return out, true
}

// jfloat is a float64 that JSON can carry whatever its value: NaN and the
// infinities as strings.
type jfloat float64

func (f jfloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte(strconv.Quote(strconv.FormatFloat(v, 'g', -1, 64))), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jfloat) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return err
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(math.IsNaN(v) || math.IsInf(v, 0)) {
			return fmt.Errorf("not a number: %s", b)
		}
		*f = jfloat(v)
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jfloat(v)
	return nil
}

type evalJSON struct {
	Value       jfloat   `json:"value"`
	Violation   jfloat   `json:"violation"`
	Objectives  []jfloat `json:"objectives,omitempty"`
	Constraints []jfloat `json:"constraints,omitempty"`
}

func encodeEval(e Evaluation) string {
	j := evalJSON{Value: jfloat(e.Value), Violation: jfloat(e.Violation)}
	for _, v := range e.Objectives {
		j.Objectives = append(j.Objectives, jfloat(v))
	}
	for _, v := range e.Constraints {
		j.Constraints = append(j.Constraints, jfloat(v))
	}
	b, _ := json.Marshal(j)
	return string(b)
}

func decodeEval(s string) (Evaluation, error) {
	var j evalJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return Evaluation{}, fmt.Errorf("evaluation %q: %w", s, err)
	}
	e := Evaluation{Value: float64(j.Value), Violation: float64(j.Violation)}
	for _, v := range j.Objectives {
		e.Objectives = append(e.Objectives, float64(v))
	}
	for _, v := range j.Constraints {
		e.Constraints = append(e.Constraints, float64(v))
	}
	return e, nil
}

// BestOf returns up to k parameter sets of the stored study name, best
// first by their evaluation (feasible first), when the study searched
// space; an error when it searched another space or holds nothing
// finished.
func BestOf(storage goptuna.Storage, name string, space Space, k int) ([]map[string]float64, error) {
	id, err := storage.GetStudyIDFromName(name)
	if err != nil {
		return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
	}
	attrs, err := storage.GetStudySystemAttrs(id)
	if err != nil {
		return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
	}
	want, err := json.Marshal(space)
	if err != nil {
		return nil, fmt.Errorf("optimizer: encode space: %w", err)
	}
	if attrs[spaceAttr] != string(want) {
		return nil, fmt.Errorf("optimizer: study %q searched another space: %w", name, ErrInvalid)
	}
	trials, err := storage.GetAllTrials(id)
	if err != nil && err != goptuna.ErrTrialsPartiallyDeleted {
		return nil, fmt.Errorf("optimizer: study %q: %w", name, err)
	}
	type scored struct {
		p map[string]float64
		e Evaluation
	}
	var all []scored
	for _, t := range trials {
		raw, ok := t.SystemAttrs[evalAttr]
		if t.State != goptuna.TrialStateComplete || !ok {
			continue
		}
		e, err := decodeEval(raw)
		if err != nil {
			continue
		}
		p, ok := external(space, t.InternalParams)
		if !ok {
			continue
		}
		all = append(all, scored{p, e})
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("optimizer: study %q holds no finished trial: %w", name, errNoTrials)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].e.better(all[b].e) })
	var out []map[string]float64
	for _, s := range all[:min(k, len(all))] {
		out = append(out, s.p)
	}
	return out, nil
}
