package storage

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/c-bata/goptuna"
)

// studyCache holds the finished trials of one study that this process has
// seen. Finished trials never change (every write to a trial checks, in the
// same transaction, that it is not finished), so they are never re-read.
//
// Trial numbers are allocated in the write transaction that inserts the
// trial, under a per-study lock (SQLite's database write lock; on PostgreSQL
// the UPDATE of the study's next_trial_number row), and that lock is held
// until commit. Hence trials become visible in number order: whenever a read
// sees trial number k, it also sees every trial numbered below k. That makes
// next a sound watermark even with several writing processes: the only trials
// a refresh must read are those numbered >= next plus the pending ones (seen
// unfinished last time). Deletion is the one other change, and it takes the
// whole study: every refresh reads the study row too.
type studyCache struct {
	mu sync.Mutex
	// finished[n] is the finished trial number n, nil if not (yet) known to
	// be finished. Entries are immutable and shared; hand out copies.
	finished []*goptuna.FrozenTrial
	// next is one past the highest trial number seen so far.
	next int
	// pending lists, ascending, the numbers below next whose trials were
	// running or waiting when last read.
	pending []int
}

// maxInList bounds the number of values in an SQL IN (...) list; larger sets
// are read by range instead.
const maxInList = 64

// cacheFor returns the cache of a study, creating it if needed.
func (s *Storage) cacheFor(studyID int) *studyCache {
	s.mu.RLock()
	c := s.studies[studyID]
	s.mu.RUnlock()
	if c != nil {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c = s.studies[studyID]; c == nil {
		c = &studyCache{}
		s.studies[studyID] = c
	}
	return c
}

// forgetStudy drops everything cached about a study.
func (s *Storage) forgetStudy(studyID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.studies, studyID)
}

// withTrials brings the study's cache up to date and calls fn with the
// study's direction and all its trials ordered by number. fn must neither
// modify nor keep the trials (finished ones belong to the cache).
//
// It runs two queries: the rows of the trials numbered from the oldest
// pending one (or next) on, joined to the study row so that a deleted study
// is noticed; then the params, intermediate values and attributes of those
// of them that are not cached. Rows are read before their details: a trial
// seen finished by the first query cannot change afterwards, so the details
// read by the second are final.
func (s *Storage) withTrials(studyID int, fn func(goptuna.StudyDirection, []*goptuna.FrozenTrial)) error {
	const what = "get trials"
	c := s.cacheFor(studyID)
	c.mu.Lock()
	defer c.mu.Unlock()

	// Read from the oldest pending trial on; finished trials in that range
	// are already cached and skipped below without reading their details.
	// (A single range keeps the index search a range scan: "number >= ? OR
	// number IN (...)" makes SQLite scan the study's whole index.)
	from := c.next
	if len(c.pending) > 0 {
		from = c.pending[0]
	}
	q := `SELECT s.direction, t.trial_id, t.number, t.state, t.value, t.datetime_start, t.datetime_complete
		FROM studies s LEFT JOIN trials t ON t.study_id = s.study_id AND t.number >= ?
		WHERE s.study_id = ? ORDER BY t.number`
	args := []any{from, studyID}
	rows, err := s.query(q, args...)
	if err != nil {
		return s.dbErr(what, err)
	}
	var direction string
	studyFound := false
	var fresh []*goptuna.FrozenTrial
	for rows.Next() {
		studyFound = true
		var r trialRow
		var id sql.NullInt64
		var state sql.NullString
		if err := rows.Scan(&direction, &id, &r.number, &state, &r.value, &r.start, &r.complete); err != nil {
			rows.Close()
			return s.dbErr(what, err)
		}
		if !id.Valid {
			continue // the study has no trials to read
		}
		r.id = int(id.Int64)
		r.studyID = studyID
		r.state = state.String
		if n := int(r.number.Int64); n < len(c.finished) && c.finished[n] != nil {
			continue // finished and cached
		}
		t, err := r.trial()
		if err != nil {
			rows.Close()
			return err
		}
		fresh = append(fresh, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.dbErr(what, err)
	}
	if !studyFound {
		s.forgetStudy(studyID)
		return goptuna.ErrInvalidStudyID
	}
	if err := s.loadChildren(fresh); err != nil {
		return err
	}

	// Update the cache.
	freshByNumber := make(map[int]*goptuna.FrozenTrial, len(fresh))
	var newPending []int
	for _, t := range fresh {
		freshByNumber[t.Number] = t
		if t.Number >= c.next {
			c.next = t.Number + 1
		}
		if t.State.IsFinished() {
			for len(c.finished) <= t.Number {
				c.finished = append(c.finished, nil)
			}
			c.finished[t.Number] = t
		} else {
			newPending = append(newPending, t.Number)
		}
	}
	slices.Sort(newPending)
	c.pending = newPending

	all := make([]*goptuna.FrozenTrial, 0, c.next)
	for n := 0; n < c.next; n++ {
		if n < len(c.finished) && c.finished[n] != nil {
			all = append(all, c.finished[n])
		} else if t := freshByNumber[n]; t != nil {
			all = append(all, t)
		}
	}
	fn(goptuna.StudyDirection(direction), all)
	return nil
}

// trialRow is one row of the trials table.
type trialRow struct {
	id, studyID     int
	number          sql.NullInt64
	state           string
	value           sql.NullFloat64
	start, complete sql.NullInt64
}

func (r *trialRow) trial() (*goptuna.FrozenTrial, error) {
	st, err := textToState(r.state)
	if err != nil {
		return nil, fmt.Errorf("storage: trial %d: %w", r.id, err)
	}
	t := newTrial()
	t.ID = r.id
	t.StudyID = r.studyID
	t.Number = int(r.number.Int64)
	t.State = st
	t.Value = floatFromDB(r.value)
	t.DatetimeStart = timeFromDB(r.start)
	t.DatetimeComplete = timeFromDB(r.complete)
	return t, nil
}

// loadChildren reads the params, intermediate values and attributes of the
// given trials in one query and adds them to the trials.
func (s *Storage) loadChildren(trials []*goptuna.FrozenTrial) error {
	if len(trials) == 0 {
		return nil
	}
	byID := make(map[int]*goptuna.FrozenTrial, len(trials))
	lo, hi := trials[0].ID, trials[0].ID
	for _, t := range trials {
		byID[t.ID] = t
		lo, hi = min(lo, t.ID), max(hi, t.ID)
	}
	var cond string
	var condArgs []any
	if len(trials) <= maxInList {
		cond = "trial_id IN (?" + strings.Repeat(", ?", len(trials)-1) + ")"
		for _, t := range trials {
			condArgs = append(condArgs, t.ID)
		}
	} else {
		// Trial IDs of one study increase with their numbers; other
		// studies' trials in the range are skipped below.
		cond = "trial_id BETWEEN ? AND ?"
		condArgs = []any{lo, hi}
	}
	_, err := s.loadTrialData(cond, condArgs, false, byID)
	return err
}

// loadTrialData runs one UNION ALL query for the trials matching cond
// (a condition on trial_id): their params, intermediate values and
// attributes, and with withRow also their trials rows. Results for trials
// not in byID are ignored; with withRow, trials in byID are filled in from
// their rows and the IDs of the rows seen are returned.
func (s *Storage) loadTrialData(cond string, condArgs []any, withRow bool, byID map[int]*goptuna.FrozenTrial) (map[int]bool, error) {
	const what = "get trial details"
	real, bigint := "REAL", "INTEGER"
	if s.pg {
		real, bigint = "DOUBLE PRECISION", "BIGINT"
	}
	nullF, nullI := "CAST(NULL AS "+real+")", "CAST(NULL AS "+bigint+")"
	var q strings.Builder
	branches := 4
	if withRow {
		branches = 5
		q.WriteString(`SELECT trial_id, -1, state, number, value, '', study_id, datetime_start, datetime_complete
			FROM trials WHERE ` + cond + ` UNION ALL `)
	}
	q.WriteString(`SELECT trial_id, 0, param_name, 0, internal_value, distribution_json, ` + nullI + `, ` + nullI + `, ` + nullI + `
			FROM trial_params WHERE ` + cond + `
		UNION ALL SELECT trial_id, 1, '', step, value, '', ` + nullI + `, ` + nullI + `, ` + nullI + `
			FROM trial_intermediate_values WHERE ` + cond + `
		UNION ALL SELECT trial_id, 2, attr_key, 0, ` + nullF + `, attr_value, ` + nullI + `, ` + nullI + `, ` + nullI + `
			FROM trial_user_attrs WHERE ` + cond + `
		UNION ALL SELECT trial_id, 3, attr_key, 0, ` + nullF + `, attr_value, ` + nullI + `, ` + nullI + `, ` + nullI + `
			FROM trial_system_attrs WHERE ` + cond)
	args := make([]any, 0, branches*len(condArgs))
	for range branches {
		args = append(args, condArgs...)
	}
	rows, err := s.query(q.String(), args...)
	if err != nil {
		return nil, s.dbErr(what, err)
	}
	defer rows.Close()
	seen := map[int]bool{}
	for rows.Next() {
		var id, kind int
		var key, text string
		var step int64
		var num sql.NullFloat64
		var studyID, start, complete sql.NullInt64
		if err := rows.Scan(&id, &kind, &key, &step, &num, &text, &studyID, &start, &complete); err != nil {
			return nil, s.dbErr(what, err)
		}
		t := byID[id]
		if t == nil {
			continue // another study's trial in the id range
		}
		switch kind {
		case -1:
			r := trialRow{id: id, studyID: int(studyID.Int64), number: sql.NullInt64{Int64: step, Valid: true},
				state: key, value: num, start: start, complete: complete}
			row, err := r.trial()
			if err != nil {
				return nil, err
			}
			t.StudyID, t.Number, t.State, t.Value = row.StudyID, row.Number, row.State, row.Value
			t.DatetimeStart, t.DatetimeComplete = row.DatetimeStart, row.DatetimeComplete
			seen[id] = true
		case 0:
			if err := s.addParam(t, key, floatFromDB(num), text); err != nil {
				return nil, err
			}
		case 1:
			t.IntermediateValues[int(step)] = floatFromDB(num)
		case 2:
			t.UserAttrs[key] = text
		case 3:
			t.SystemAttrs[key] = text
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr(what, err)
	}
	return seen, nil
}

// addParam decodes a stored parameter into t.
func (s *Storage) addParam(t *goptuna.FrozenTrial, name string, ir float64, distJSON string) error {
	d, err := s.dists.decode(distJSON)
	if err != nil {
		return fmt.Errorf("storage: trial %d param %q: %w", t.ID, name, err)
	}
	x, err := externalValue(d, ir)
	if err != nil {
		return fmt.Errorf("storage: trial %d param %q: %w: %w", t.ID, name, ErrCorruptRecord, err)
	}
	t.InternalParams[name] = ir
	t.Distributions[name] = d
	t.Params[name] = x
	return nil
}
