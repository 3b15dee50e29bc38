package storage

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/c-bata/goptuna"
)

// write runs fn in a write transaction (BEGIN IMMEDIATE on SQLite) and
// commits it. Errors from fn are returned as they are, so goptuna's sentinel
// errors stay comparable with ==.
func (s *Storage) write(what string, fn func(tx *sql.Tx) error) error {
	return s.sdb.Write(s.ctx, "storage: "+what, fn)
}

// dbErr wraps a database error with the operation and database.
func (s *Storage) dbErr(what string, err error) error {
	return fmt.Errorf("storage: %s on %s: %w", what, s.desc, err)
}

// lockStudy checks that the study exists, locking its row on PostgreSQL.
func (s *Storage) lockStudy(tx *sql.Tx, studyID int, what string) error {
	q := `SELECT 1 FROM studies WHERE study_id = ?`
	if s.pg {
		q += ` FOR UPDATE`
	}
	var one int
	err := s.txQueryRow(tx, q, studyID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return goptuna.ErrInvalidStudyID
	}
	if err != nil {
		return s.dbErr(what, err)
	}
	return nil
}

// CreateNewStudy creates a study and returns its ID. An empty name gets a
// unique generated name ("no-name-" followed by a UUID). A name already in
// use gives an error wrapping ErrDuplicateStudyName.
func (s *Storage) CreateNewStudy(name string) (int, error) {
	if name == "" {
		name = goptuna.DefaultStudyNamePrefix + newUUID()
	}
	var id int
	err := s.write("create study", func(tx *sql.Tx) error {
		err := s.txQueryRow(tx,
			`INSERT INTO studies (study_name, direction) VALUES (?, ?)
			 ON CONFLICT (study_name) DO NOTHING RETURNING study_id`,
			name, string(goptuna.StudyDirectionMinimize)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage: create study %q: %w", name, ErrDuplicateStudyName)
		}
		if err != nil {
			return s.dbErr("create study", err)
		}
		return nil
	})
	if err != nil {
		return -1, err
	}
	return id, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// DeleteStudy deletes a study with all its attributes and trials.
func (s *Storage) DeleteStudy(studyID int) error {
	err := s.write("delete study", func(tx *sql.Tx) error {
		res, err := s.txExec(tx, `DELETE FROM studies WHERE study_id = ?`, studyID)
		if err != nil {
			return s.dbErr("delete study", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return s.dbErr("delete study", err)
		}
		if n == 0 {
			return goptuna.ErrInvalidStudyID
		}
		return nil
	})
	s.forgetStudy(studyID)
	return err
}

// SetStudyDirection sets the direction of the study's objective.
func (s *Storage) SetStudyDirection(studyID int, direction goptuna.StudyDirection) error {
	if err := checkDirection(direction); err != nil {
		return err
	}
	return s.write("set study direction", func(tx *sql.Tx) error {
		res, err := s.txExec(tx, `UPDATE studies SET direction = ? WHERE study_id = ?`,
			string(direction), studyID)
		if err != nil {
			return s.dbErr("set study direction", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return s.dbErr("set study direction", err)
		}
		if n == 0 {
			return goptuna.ErrInvalidStudyID
		}
		return nil
	})
}

// SetStudyUserAttr stores a user attribute of the study.
func (s *Storage) SetStudyUserAttr(studyID int, key string, value string) error {
	return s.setStudyAttr("study_user_attrs", studyID, key, value)
}

// SetStudySystemAttr stores a system attribute of the study.
func (s *Storage) SetStudySystemAttr(studyID int, key string, value string) error {
	return s.setStudyAttr("study_system_attrs", studyID, key, value)
}

func (s *Storage) setStudyAttr(table string, studyID int, key, value string) error {
	what := "set " + table
	return s.write(what, func(tx *sql.Tx) error {
		if err := s.lockStudy(tx, studyID, what); err != nil {
			return err
		}
		_, err := s.txExec(tx, `INSERT INTO `+table+` (study_id, attr_key, attr_value) VALUES (?, ?, ?)
			ON CONFLICT (study_id, attr_key) DO UPDATE SET attr_value = excluded.attr_value`,
			studyID, key, value)
		if err != nil {
			return s.dbErr(what, err)
		}
		return nil
	})
}

// GetStudyIDFromName returns the ID of the study with that name, or an error
// wrapping ErrStudyNotFound.
func (s *Storage) GetStudyIDFromName(name string) (int, error) {
	var id int
	err := s.queryRow(`SELECT study_id FROM studies WHERE study_name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, fmt.Errorf("storage: study %q: %w", name, ErrStudyNotFound)
	}
	if err != nil {
		return -1, s.dbErr("get study by name", err)
	}
	return id, nil
}

// GetStudyIDFromTrialID returns the ID of the study the trial belongs to.
func (s *Storage) GetStudyIDFromTrialID(trialID int) (int, error) {
	var id int
	err := s.queryRow(`SELECT study_id FROM trials WHERE trial_id = ?`, trialID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, goptuna.ErrInvalidTrialID
	}
	if err != nil {
		return -1, s.dbErr("get study of trial", err)
	}
	return id, nil
}

// GetStudyNameFromID returns the name of the study.
func (s *Storage) GetStudyNameFromID(studyID int) (string, error) {
	var name string
	err := s.queryRow(`SELECT study_name FROM studies WHERE study_id = ?`, studyID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", goptuna.ErrInvalidStudyID
	}
	if err != nil {
		return "", s.dbErr("get study name", err)
	}
	return name, nil
}

// GetStudyDirection returns the direction of the study's objective.
func (s *Storage) GetStudyDirection(studyID int) (goptuna.StudyDirection, error) {
	var d string
	err := s.queryRow(`SELECT direction FROM studies WHERE study_id = ?`, studyID).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return goptuna.StudyDirectionMinimize, goptuna.ErrInvalidStudyID
	}
	if err != nil {
		return goptuna.StudyDirectionMinimize, s.dbErr("get study direction", err)
	}
	return goptuna.StudyDirection(d), nil
}

// GetStudyUserAttrs returns the user attributes of the study.
func (s *Storage) GetStudyUserAttrs(studyID int) (map[string]string, error) {
	return s.getStudyAttrs("study_user_attrs", studyID)
}

// GetStudySystemAttrs returns the system attributes of the study.
func (s *Storage) GetStudySystemAttrs(studyID int) (map[string]string, error) {
	return s.getStudyAttrs("study_system_attrs", studyID)
}

func (s *Storage) getStudyAttrs(table string, studyID int) (map[string]string, error) {
	return s.getAttrs(table, `SELECT a.attr_key, a.attr_value FROM studies s
		LEFT JOIN `+table+` a ON a.study_id = s.study_id WHERE s.study_id = ?`, studyID, goptuna.ErrInvalidStudyID)
}

// getAttrs reads the attributes a query returns as (key, value) rows of a
// LEFT JOIN from their owner, or missing when the owner's row is absent.
func (s *Storage) getAttrs(table, query string, id int, missing error) (map[string]string, error) {
	what := "get " + table
	rows, err := s.query(query, id)
	if err != nil {
		return nil, s.dbErr(what, err)
	}
	defer rows.Close()
	found := false
	attrs := map[string]string{}
	for rows.Next() {
		found = true
		var k, v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, s.dbErr(what, err)
		}
		if k.Valid {
			attrs[k.String] = v.String
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr(what, err)
	}
	if !found {
		return nil, missing
	}
	return attrs, nil
}

// GetAllStudySummaries returns a summary of every study, ordered by ID:
// name, direction, attributes, best trial (zero FrozenTrial if none has
// completed) and the earliest trial start.
func (s *Storage) GetAllStudySummaries() ([]goptuna.StudySummary, error) {
	const what = "get study summaries"
	rows, err := s.query(`SELECT study_id, study_name, direction FROM studies ORDER BY study_id`)
	if err != nil {
		return nil, s.dbErr(what, err)
	}
	var sums []goptuna.StudySummary
	index := map[int]int{}
	for rows.Next() {
		var sum goptuna.StudySummary
		var dir string
		if err := rows.Scan(&sum.ID, &sum.Name, &dir); err != nil {
			rows.Close()
			return nil, s.dbErr(what, err)
		}
		sum.Direction = goptuna.StudyDirection(dir)
		sum.UserAttrs = map[string]string{}
		sum.SystemAttrs = map[string]string{}
		index[sum.ID] = len(sums)
		sums = append(sums, sum)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.dbErr(what, err)
	}
	for _, table := range []string{"study_user_attrs", "study_system_attrs"} {
		rows, err := s.query(`SELECT study_id, attr_key, attr_value FROM ` + table)
		if err != nil {
			return nil, s.dbErr(what, err)
		}
		for rows.Next() {
			var id int
			var k, v string
			if err := rows.Scan(&id, &k, &v); err != nil {
				rows.Close()
				return nil, s.dbErr(what, err)
			}
			i, ok := index[id]
			if !ok {
				continue // study created after the first query
			}
			if table == "study_user_attrs" {
				sums[i].UserAttrs[k] = v
			} else {
				sums[i].SystemAttrs[k] = v
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, s.dbErr(what, err)
		}
	}
	out := sums[:0]
	for _, sum := range sums {
		var best goptuna.FrozenTrial
		var start time.Time
		err := s.withTrials(sum.ID, func(dir goptuna.StudyDirection, trials []*goptuna.FrozenTrial) {
			sum.Direction = dir
			if b := bestTrial(dir, trials); b != nil {
				best = copyTrial(b)
			}
			for _, t := range trials {
				if !t.DatetimeStart.IsZero() && (start.IsZero() || t.DatetimeStart.Before(start)) {
					start = t.DatetimeStart
				}
			}
		})
		if err == goptuna.ErrInvalidStudyID {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		sum.BestTrial = best
		sum.DatetimeStart = start
		out = append(out, sum)
	}
	return out, nil
}

// bestTrial returns the completed trial with the best value, the earliest
// one on ties, like goptuna.InMemoryStorage; nil if none has completed.
func bestTrial(dir goptuna.StudyDirection, trials []*goptuna.FrozenTrial) *goptuna.FrozenTrial {
	var best *goptuna.FrozenTrial
	for _, t := range trials {
		if t.State != goptuna.TrialStateComplete {
			continue
		}
		switch {
		case best == nil:
			best = t
		case dir == goptuna.StudyDirectionMaximize && t.Value > best.Value:
			best = t
		case dir == goptuna.StudyDirectionMinimize && t.Value < best.Value:
			best = t
		}
	}
	return best
}
