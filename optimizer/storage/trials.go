package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/c-bata/goptuna"
)

// allocTrialNumber takes the study's next trial number. The UPDATE locks the
// study row (PostgreSQL) or runs under the database write lock (SQLite)
// until the transaction ends, so numbers are gap-free, unique, and committed
// in order.
func (s *Storage) allocTrialNumber(tx *sql.Tx, studyID int, what string) (int, error) {
	var next int
	var err error
	if s.pg {
		err = s.txQueryRow(tx, `UPDATE studies SET next_trial_number = next_trial_number + 1
			WHERE study_id = ? RETURNING next_trial_number`, studyID).Scan(&next)
	} else {
		// RETURNING is markedly slower than two statements with modernc.
		err = s.txQueryRow(tx, `SELECT next_trial_number + 1 FROM studies WHERE study_id = ?`, studyID).Scan(&next)
		if err == nil {
			_, err = s.txExec(tx, `UPDATE studies SET next_trial_number = ? WHERE study_id = ?`, next, studyID)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return -1, goptuna.ErrInvalidStudyID
	}
	if err != nil {
		return -1, s.dbErr(what, err)
	}
	return next - 1, nil
}

// insertTrial inserts a trial row and returns its ID.
func (s *Storage) insertTrial(tx *sql.Tx, studyID, number int, state string, value float64, start, complete any) (int, error) {
	const q = `INSERT INTO trials (study_id, number, state, value, datetime_start, datetime_complete)
		VALUES (?, ?, ?, ?, ?, ?)`
	if s.pg {
		var id int
		err := s.txQueryRow(tx, q+` RETURNING trial_id`, studyID, number, state, value, start, complete).Scan(&id)
		return id, err
	}
	res, err := s.txExec(tx, q, studyID, number, state, value, start, complete)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	return int(id), err
}

// CreateNewTrial creates a running trial with the study's next number and
// returns its ID.
func (s *Storage) CreateNewTrial(studyID int) (int, error) {
	const what = "create trial"
	var id int
	err := s.write(what, func(tx *sql.Tx) error {
		number, err := s.allocTrialNumber(tx, studyID, what)
		if err != nil {
			return err
		}
		id, err = s.insertTrial(tx, studyID, number, stateRunning, 0, time.Now().UnixNano(), nil)
		if err != nil {
			return s.dbErr(what, err)
		}
		return nil
	})
	if err != nil {
		return -1, err
	}
	return id, nil
}

// CloneTrial creates a trial with the study's next number and the state,
// value, times, params, intermediate values and attributes of baseTrial
// (its ID, StudyID, Number and Params are ignored: Params are derived from
// InternalParams and Distributions). goptuna's Study.EnqueueTrial uses it to
// add a waiting trial whose "fixed_params" system attribute holds the
// parameters to try.
func (s *Storage) CloneTrial(studyID int, baseTrial goptuna.FrozenTrial) (int, error) {
	const what = "clone trial"
	state, err := stateToText(baseTrial.State)
	if err != nil {
		return -1, err
	}
	dists := make(map[string]string, len(baseTrial.InternalParams))
	for name, ir := range baseTrial.InternalParams {
		d, ok := baseTrial.Distributions[name]
		if !ok {
			return -1, fmt.Errorf("storage: clone trial: distribution of param %q is missing", name)
		}
		text, err := checkParam(d, ir)
		if err != nil {
			return -1, fmt.Errorf("storage: clone trial: param %q: %w", name, err)
		}
		dists[name] = text
	}
	var id int
	err = s.write(what, func(tx *sql.Tx) error {
		number, err := s.allocTrialNumber(tx, studyID, what)
		if err != nil {
			return err
		}
		id, err = s.insertTrial(tx, studyID, number, state, baseTrial.Value,
			timeToDB(baseTrial.DatetimeStart), timeToDB(baseTrial.DatetimeComplete))
		if err != nil {
			return s.dbErr(what, err)
		}
		for name, ir := range baseTrial.InternalParams {
			if _, err := s.txExec(tx, `INSERT INTO trial_params
				(trial_id, param_name, internal_value, distribution_json) VALUES (?, ?, ?, ?)`,
				id, name, ir, dists[name]); err != nil {
				return s.dbErr(what, err)
			}
		}
		for step, v := range baseTrial.IntermediateValues {
			if _, err := s.txExec(tx, `INSERT INTO trial_intermediate_values
				(trial_id, step, value) VALUES (?, ?, ?)`, id, step, v); err != nil {
				return s.dbErr(what, err)
			}
		}
		for _, a := range []struct {
			table string
			m     map[string]string
		}{{"trial_user_attrs", baseTrial.UserAttrs}, {"trial_system_attrs", baseTrial.SystemAttrs}} {
			for k, v := range a.m {
				if _, err := s.txExec(tx, `INSERT INTO `+a.table+`
					(trial_id, attr_key, attr_value) VALUES (?, ?, ?)`, id, k, v); err != nil {
					return s.dbErr(what, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return -1, err
	}
	return id, nil
}

// checkParam validates a distribution and internal value the way they will
// be read back, and returns the distribution's JSON.
func checkParam(d any, ir float64) (string, error) {
	text, err := encodeDistribution(d)
	if err != nil {
		return "", err
	}
	if _, err := decodeDistribution(text); err != nil {
		return "", fmt.Errorf("storage: unusable distribution %#v: %w", d, err)
	}
	if _, err := externalValue(d, ir); err != nil {
		return "", err
	}
	return text, nil
}

// unfinished is the SQL condition for a trial that may still be written.
const unfinished = `state IN ('RUNNING', 'WAITING')`

// whyNotWritten explains why a guarded write to a trial changed no row:
// goptuna.ErrInvalidTrialID, goptuna.ErrTrialCannotBeUpdated, or nil when
// the trial is unfinished (the write was a no-op for another reason).
func (s *Storage) whyNotWritten(tx *sql.Tx, trialID int, what string) error {
	var state string
	err := s.txQueryRow(tx, `SELECT state FROM trials WHERE trial_id = ?`, trialID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return goptuna.ErrInvalidTrialID
	}
	if err != nil {
		return s.dbErr(what, err)
	}
	if state != stateRunning && state != stateWaiting {
		return goptuna.ErrTrialCannotBeUpdated
	}
	return nil
}

// updateTrial runs an UPDATE of one trial row whose WHERE clause includes
// the trial_id and a guard on its state; a PostgreSQL UPDATE re-checks the
// WHERE clause on the locked row, and SQLite holds the write lock, so the
// check and the write are atomic. It returns goptuna.ErrInvalidTrialID or
// goptuna.ErrTrialCannotBeUpdated when no row matched.
func (s *Storage) updateTrial(what string, trialID int, q string, args ...any) error {
	return s.write(what, func(tx *sql.Tx) error {
		res, err := s.txExec(tx, q, args...)
		if err != nil {
			return s.dbErr(what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return s.dbErr(what, err)
		}
		if n == 0 {
			if err := s.whyNotWritten(tx, trialID, what); err != nil {
				return err
			}
			return goptuna.ErrTrialCannotBeUpdated // unfinished, but the guard did not match
		}
		return nil
	})
}

// insertTrialChild writes a row of a table that belongs to an unfinished
// trial (params, intermediate values, attributes) and returns the number
// of rows affected. cols are the columns after trial_id and tail the
// ON CONFLICT clause. On SQLite (write lock held) the row is inserted with
// INSERT ... SELECT guarded by the trial's state; on PostgreSQL the trial
// row is locked and checked first.
func (s *Storage) insertTrialChild(tx *sql.Tx, what, table, cols string, trialID int, vals []any, tail string) (int64, error) {
	ph := "?" + strings.Repeat(", ?", len(vals)-1)
	var q string
	var args []any
	if s.pg {
		var state string
		err := s.txQueryRow(tx, `SELECT state FROM trials WHERE trial_id = ? FOR UPDATE`, trialID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, goptuna.ErrInvalidTrialID
		}
		if err != nil {
			return 0, s.dbErr(what, err)
		}
		if state != stateRunning && state != stateWaiting {
			return 0, goptuna.ErrTrialCannotBeUpdated
		}
		q = `INSERT INTO ` + table + ` (trial_id, ` + cols + `) VALUES (?, ` + ph + `) ` + tail
		args = append([]any{trialID}, vals...)
	} else {
		q = `INSERT INTO ` + table + ` (trial_id, ` + cols + `) SELECT trial_id, ` + ph +
			` FROM trials WHERE trial_id = ? AND ` + unfinished + ` ` + tail
		args = append(vals[:len(vals):len(vals)], trialID)
	}
	res, err := s.txExec(tx, q, args...)
	if err != nil {
		return 0, s.dbErr(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.dbErr(what, err)
	}
	if n == 0 && !s.pg {
		if err := s.whyNotWritten(tx, trialID, what); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// SetTrialValue sets the objective value of an unfinished trial.
func (s *Storage) SetTrialValue(trialID int, value float64) error {
	return s.updateTrial("set trial value", trialID,
		`UPDATE trials SET value = ? WHERE trial_id = ? AND `+unfinished, value, trialID)
}

// SetTrialIntermediateValue records the value reported at a step of an
// unfinished trial. Reporting a step twice gives an error wrapping
// ErrStepAlreadyExists.
func (s *Storage) SetTrialIntermediateValue(trialID int, step int, value float64) error {
	const what = "set intermediate value"
	return s.write(what, func(tx *sql.Tx) error {
		n, err := s.insertTrialChild(tx, what, "trial_intermediate_values", "step, value", trialID,
			[]any{step, value}, `ON CONFLICT (trial_id, step) DO NOTHING`)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("storage: trial %d step %d: %w", trialID, step, ErrStepAlreadyExists)
		}
		return nil
	})
}

// SetTrialParam sets (or replaces) a parameter of an unfinished trial:
// its internal value and its distribution (one of goptuna's six
// distribution types, as a value, not a pointer).
func (s *Storage) SetTrialParam(trialID int, paramName string, paramValueInternal float64, distribution any) error {
	const what = "set trial param"
	text, err := checkParam(distribution, paramValueInternal)
	if err != nil {
		return fmt.Errorf("storage: set trial %d param %q: %w", trialID, paramName, err)
	}
	return s.write(what, func(tx *sql.Tx) error {
		_, err := s.insertTrialChild(tx, what, "trial_params", "param_name, internal_value, distribution_json", trialID,
			[]any{paramName, paramValueInternal, text},
			`ON CONFLICT (trial_id, param_name) DO UPDATE
				SET internal_value = excluded.internal_value, distribution_json = excluded.distribution_json`)
		return err
	})
}

// SetTrialState changes the state of an unfinished trial. Finishing it
// (complete, pruned, fail) records the completion time and makes the trial
// immutable. Moving to running is allowed only from waiting: a running
// trial gives goptuna.ErrTrialCannotBeUpdated, so that an enqueued trial is
// popped by exactly one worker.
func (s *Storage) SetTrialState(trialID int, state goptuna.TrialState) error {
	text, err := stateToText(state)
	if err != nil {
		return err
	}
	var complete any
	if state.IsFinished() {
		complete = time.Now().UnixNano()
	}
	guard := unfinished
	if state == goptuna.TrialStateRunning {
		guard = `state = 'WAITING'`
	}
	return s.updateTrial("set trial state", trialID,
		`UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ? AND `+guard, text, complete, trialID)
}

// SetTrialUserAttr stores a user attribute of an unfinished trial.
func (s *Storage) SetTrialUserAttr(trialID int, key string, value string) error {
	return s.setTrialAttr("trial_user_attrs", trialID, key, value)
}

// SetTrialSystemAttr stores a system attribute of an unfinished trial.
func (s *Storage) SetTrialSystemAttr(trialID int, key string, value string) error {
	return s.setTrialAttr("trial_system_attrs", trialID, key, value)
}

func (s *Storage) setTrialAttr(table string, trialID int, key, value string) error {
	what := "set " + table
	return s.write(what, func(tx *sql.Tx) error {
		_, err := s.insertTrialChild(tx, what, table, "attr_key, attr_value", trialID, []any{key, value},
			`ON CONFLICT (trial_id, attr_key) DO UPDATE SET attr_value = excluded.attr_value`)
		return err
	})
}

// GetTrialNumberFromID returns the trial's number within its study.
func (s *Storage) GetTrialNumberFromID(trialID int) (int, error) {
	var n int
	err := s.queryRow(`SELECT number FROM trials WHERE trial_id = ?`, trialID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, goptuna.ErrInvalidTrialID
	}
	if err != nil {
		return -1, s.dbErr("get trial number", err)
	}
	return n, nil
}

// GetTrialParam returns the internal value of a parameter of the trial, or
// an error wrapping ErrParamNotFound.
func (s *Storage) GetTrialParam(trialID int, paramName string) (float64, error) {
	const what = "get trial param"
	var name sql.NullString
	var v sql.NullFloat64
	err := s.queryRow(`SELECT p.param_name, p.internal_value FROM trials t
		LEFT JOIN trial_params p ON p.trial_id = t.trial_id AND p.param_name = ? WHERE t.trial_id = ?`,
		paramName, trialID).Scan(&name, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, goptuna.ErrInvalidTrialID
	}
	if err != nil {
		return -1, s.dbErr(what, err)
	}
	if !name.Valid {
		return -1, fmt.Errorf("storage: trial %d param %q: %w", trialID, paramName, ErrParamNotFound)
	}
	return floatFromDB(v), nil
}

// GetTrial returns the trial, read from the database in one query (goptuna
// calls it for the running trial on every suggestion).
func (s *Storage) GetTrial(trialID int) (goptuna.FrozenTrial, error) {
	t := newTrial()
	t.ID = trialID
	seen, err := s.loadTrialData("trial_id = ?", []any{trialID}, true, map[int]*goptuna.FrozenTrial{trialID: t})
	if err != nil {
		return goptuna.FrozenTrial{}, err
	}
	if !seen[trialID] {
		return goptuna.FrozenTrial{}, goptuna.ErrInvalidTrialID
	}
	return *t, nil
}

// GetAllTrials returns every trial of the study ordered by number. Only
// trials that are new or were unfinished at the previous call are read from
// the database; finished ones come from the cache (see studyCache). The
// result is a fresh view that includes other processes' writes. A
// finished trial's maps are shared with the cache, as goptuna's
// InMemoryStorage shares its own: callers must not modify them (a
// finished trial cannot change, and samplers call this once or twice per
// trial, where copying every map of a thousand trials cost about 1 ms).
// Unfinished trials are the caller's own copies.
func (s *Storage) GetAllTrials(studyID int) ([]goptuna.FrozenTrial, error) {
	var out []goptuna.FrozenTrial
	err := s.withTrials(studyID, func(_ goptuna.StudyDirection, trials []*goptuna.FrozenTrial) {
		out = make([]goptuna.FrozenTrial, len(trials))
		for i, t := range trials {
			if t.State.IsFinished() {
				out[i] = *t
			} else {
				out[i] = copyTrial(t)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetBestTrial returns the completed trial with the lowest (minimize) or
// highest (maximize) value, the earliest one on ties, or
// goptuna.ErrNoCompletedTrials.
func (s *Storage) GetBestTrial(studyID int) (goptuna.FrozenTrial, error) {
	var best goptuna.FrozenTrial
	found := false
	err := s.withTrials(studyID, func(dir goptuna.StudyDirection, trials []*goptuna.FrozenTrial) {
		if b := bestTrial(dir, trials); b != nil {
			best, found = copyTrial(b), true
		}
	})
	if err != nil {
		return goptuna.FrozenTrial{}, err
	}
	if !found {
		return goptuna.FrozenTrial{}, goptuna.ErrNoCompletedTrials
	}
	return best, nil
}

// GetTrialParams returns the trial's parameters in external representation
// (float64, int or string depending on the distribution).
func (s *Storage) GetTrialParams(trialID int) (map[string]any, error) {
	const what = "get trial params"
	rows, err := s.query(`SELECT p.param_name, p.internal_value, p.distribution_json FROM trials t
		LEFT JOIN trial_params p ON p.trial_id = t.trial_id WHERE t.trial_id = ?`, trialID)
	if err != nil {
		return nil, s.dbErr(what, err)
	}
	defer rows.Close()
	found := false
	t := newTrial()
	t.ID = trialID
	for rows.Next() {
		found = true
		var name, dist sql.NullString
		var v sql.NullFloat64
		if err := rows.Scan(&name, &v, &dist); err != nil {
			return nil, s.dbErr(what, err)
		}
		if !name.Valid {
			continue
		}
		if err := s.addParam(t, name.String, floatFromDB(v), dist.String); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr(what, err)
	}
	if !found {
		return nil, goptuna.ErrInvalidTrialID
	}
	return t.Params, nil
}

// GetTrialUserAttrs returns the trial's user attributes.
func (s *Storage) GetTrialUserAttrs(trialID int) (map[string]string, error) {
	return s.getTrialAttrs("trial_user_attrs", trialID)
}

// GetTrialSystemAttrs returns the trial's system attributes.
func (s *Storage) GetTrialSystemAttrs(trialID int) (map[string]string, error) {
	return s.getTrialAttrs("trial_system_attrs", trialID)
}

func (s *Storage) getTrialAttrs(table string, trialID int) (map[string]string, error) {
	return s.getAttrs(table, `SELECT a.attr_key, a.attr_value FROM trials t
		LEFT JOIN `+table+` a ON a.trial_id = t.trial_id WHERE t.trial_id = ?`, trialID, goptuna.ErrInvalidTrialID)
}
