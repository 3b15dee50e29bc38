package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/schema"
)

var _ Store = (*SQL)(nil)

// SQL is the Store on a SQLite file or a PostgreSQL database. Create it
// with Open.
type SQL struct {
	db  *sqldb.DB
	dsn string
	now func() time.Time
}

// Options tune Open.
type Options struct {
	// Now is the clock that dates changes; time.Now when nil.
	Now func() time.Time
}

// Open connects to the database dsn names (see the package
// documentation), migrates its schema and returns the Store. A DSN that
// cannot be used gives an error wrapping sqldb.ErrInvalidDSN; a database
// written by a newer attune is refused.
func Open(ctx context.Context, dsn string, opt Options) (*SQL, error) {
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := db.Migrate(ctx, migrationsTable, migrations); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	return &SQL{db: db, dsn: dsn, now: now}, nil
}

// Close closes the database.
func (s *SQL) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// String names the database (without a password).
func (s *SQL) String() string { return s.db.Desc }

// forUpdate locks the rows a query reads on PostgreSQL; SQLite's write
// transactions hold the whole database already.
func (s *SQL) forUpdate() string {
	if s.db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// pendingIn is the SQL list of the pending states.
var pendingIn = func() string {
	var parts []string
	for _, st := range PendingStates() {
		parts = append(parts, "'"+string(st)+"'")
	}
	return "(" + strings.Join(parts, ", ") + ")"
}()

// write runs fn in a write transaction.
func (s *SQL) write(ctx context.Context, what string, fn func(tx *sql.Tx, now time.Time) error) error {
	return s.db.Write(ctx, "store: "+what, func(tx *sql.Tx) error {
		return fn(tx, s.now().UTC())
	})
}

// dbErr wraps a database error with the operation and database.
func (s *SQL) dbErr(what string, err error) error {
	return fmt.Errorf("store: %s on %s: %w", what, s.db.Desc, err)
}

// CreateCycle records a new cycle in state fetching.
func (s *SQL) CreateCycle(ctx context.Context, c NewCycle) (Cycle, error) {
	if err := checkNewCycle(c); err != nil {
		return Cycle{}, fmt.Errorf("store: create cycle: %w", err)
	}
	var id int64
	err := s.write(ctx, "create cycle", func(tx *sql.Tx, now time.Time) error {
		if c.InputsHash != "" {
			if err := s.checkNoPending(ctx, tx, c.Key(), 0); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, s.db.Rebind(`INSERT INTO cycles (dao, config_hash, inputs_hash, dir, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.DAO, c.ConfigHash, nullIfEmpty(c.InputsHash), c.Dir, string(Fetching), now.UnixNano(), now.UnixNano()).Scan(&id)
		if sqldb.IsUniqueViolation(err) {
			return fmt.Errorf("store: create cycle: %w: another pending cycle of DAO %q has the same config and inputs", ErrDuplicate, c.DAO)
		}
		if err != nil {
			return s.dbErr("create cycle", err)
		}
		return s.appendEntry(ctx, tx, now, c.Actor, ActionCreate, CycleSubject(id), struct {
			DAO        string `json:"dao"`
			ConfigHash string `json:"config_hash"`
			InputsHash string `json:"inputs_hash,omitempty"`
			Dir        string `json:"dir,omitempty"`
			State      State  `json:"state"`
		}{c.DAO, c.ConfigHash, c.InputsHash, c.Dir, Fetching})
	})
	if err != nil {
		return Cycle{}, err
	}
	return s.Cycle(ctx, id)
}

// Key returns the new cycle's key.
func (c NewCycle) Key() Key {
	return Key{DAO: c.DAO, ConfigHash: c.ConfigHash, InputsHash: c.InputsHash}
}

func checkNewCycle(c NewCycle) error {
	return errors.Join(
		checkName("actor", c.Actor),
		checkName("DAO", c.DAO),
		checkName("config hash", c.ConfigHash),
		checkText("config hash", c.ConfigHash, maxHash, false),
		checkText("inputs hash", c.InputsHash, maxHash, false),
		checkText("dir", c.Dir, maxDir, false),
	)
}

// checkNoPending fails with ErrDuplicate when a pending cycle other than
// id has key k.
func (s *SQL) checkNoPending(ctx context.Context, tx *sql.Tx, k Key, id int64) error {
	var other int64
	var state State
	err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT id, state FROM cycles
		WHERE dao = ? AND config_hash = ? AND inputs_hash = ? AND id <> ? AND state IN `+pendingIn+` LIMIT 1`),
		k.DAO, k.ConfigHash, k.InputsHash, id).Scan(&other, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return s.dbErr("look for a pending cycle", err)
	}
	return fmt.Errorf("store: %w: cycle %d of DAO %q, with the same config and inputs, is still %s; it is the one to finish, review or fail",
		ErrDuplicate, other, k.DAO, state)
}

// current is what a change reads of a cycle before changing it.
type current struct {
	state             State
	key               Key
	hasRec, hasPropos bool
	change            bool // the proposal recommends a change
}

// lockCycle reads cycle id's state for a change, locking its row on
// PostgreSQL.
func (s *SQL) lockCycle(ctx context.Context, tx *sql.Tx, id int64, what string) (current, error) {
	var c current
	var state string
	var change int
	err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT state, dao, config_hash, COALESCE(inputs_hash, ''),
		recommendation IS NOT NULL, proposal IS NOT NULL, recommends_change FROM cycles WHERE id = ?`+s.forUpdate()), id).
		Scan(&state, &c.key.DAO, &c.key.ConfigHash, &c.key.InputsHash, &c.hasRec, &c.hasPropos, &change)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: %s: %w: no cycle %d in %s (attune cycles list shows them)", what, ErrNotFound, id, s.db.Desc)
	}
	if err != nil {
		return c, s.dbErr(what, err)
	}
	c.state = State(state)
	c.change = change != 0
	return c, nil
}

// Advance moves cycle id to state to, recording what ch sets.
func (s *SQL) Advance(ctx context.Context, id int64, to State, ch Change) (Cycle, error) {
	what := fmt.Sprintf("advance cycle %d to %s", id, to)
	if to == Approved || to == Rejected {
		return Cycle{}, fmt.Errorf("store: %s: %w: a cycle is approved or rejected by a review (Review), which records the steward and the comment", what, ErrIllegal)
	}
	if err := errors.Join(
		checkName("actor", ch.Actor),
		checkText("inputs hash", ch.InputsHash, maxHash, false),
		checkText("dir", ch.Dir, maxDir, false),
	); err != nil {
		return Cycle{}, fmt.Errorf("store: %s: %w", what, err)
	}
	if to == Failed && strings.TrimSpace(ch.Error) == "" {
		return Cycle{}, fmt.Errorf("store: %s: %w: a failed cycle needs its error message", what, ErrInvalid)
	}
	detail := advanceDetail{To: to, InputsHash: ch.InputsHash, Dir: ch.Dir}
	if to == Failed {
		detail.Error = clipError(ch.Error)
	}
	var title string
	var change bool
	if ch.Recommendation != nil {
		if err := checkDocument("recommendation", schema.Recommendation, ch.Recommendation); err != nil {
			return Cycle{}, fmt.Errorf("store: %s: %w", what, err)
		}
		detail.RecommendationSHA256 = sha256Hex(ch.Recommendation)
	}
	if ch.Proposal != nil {
		if err := checkDocument("proposal", schema.Proposal, ch.Proposal); err != nil {
			return Cycle{}, fmt.Errorf("store: %s: %w", what, err)
		}
		doc, err := DecodeProposal(ch.Proposal)
		if err != nil {
			return Cycle{}, fmt.Errorf("store: %s: %w", what, err)
		}
		title, change = clip(doc.Title, 1000), doc.Change
		detail.ProposalSHA256 = sha256Hex(ch.Proposal)
	}
	err := s.write(ctx, what, func(tx *sql.Tx, now time.Time) error {
		cur, err := s.lockCycle(ctx, tx, id, what)
		if err != nil {
			return err
		}
		if err := Allowed(cur.state, to); err != nil {
			var te *TransitionError
			if errors.As(err, &te) {
				te.Cycle = id
			}
			return fmt.Errorf("store: %w", err)
		}
		detail.From = cur.state
		if ch.InputsHash != "" && cur.key.InputsHash != "" && ch.InputsHash != cur.key.InputsHash {
			return fmt.Errorf("store: %s: %w: its inputs hash is %s already; a cycle that read other data is another cycle", what, ErrInvalid, cur.key.InputsHash)
		}
		if to == PendingReview && !(cur.hasRec || ch.Recommendation != nil) || to == PendingReview && !(cur.hasPropos || ch.Proposal != nil) {
			return fmt.Errorf("store: %s: %w: a cycle awaits review only with its recommendation and proposal; pass them in the change", what, ErrInvalid)
		}
		if ch.InputsHash != "" && cur.key.InputsHash == "" && to != Failed {
			k := cur.key
			k.InputsHash = ch.InputsHash
			if err := s.checkNoPending(ctx, tx, k, id); err != nil {
				return err
			}
		}
		set := []string{"state = ?", "updated_at = ?"}
		args := []any{string(to), now.UnixNano()}
		if ch.InputsHash != "" {
			set, args = append(set, "inputs_hash = ?"), append(args, ch.InputsHash)
		}
		if ch.Dir != "" {
			set, args = append(set, "dir = ?"), append(args, ch.Dir)
		}
		if ch.Recommendation != nil {
			set, args = append(set, "recommendation = ?"), append(args, string(ch.Recommendation))
		}
		if ch.Proposal != nil {
			set, args = append(set, "proposal = ?", "title = ?", "recommends_change = ?"), append(args, string(ch.Proposal), title, boolInt(change))
		}
		if to == Failed {
			set, args = append(set, "error = ?"), append(args, detail.Error)
		}
		_, err = tx.ExecContext(ctx, s.db.Rebind(`UPDATE cycles SET `+strings.Join(set, ", ")+` WHERE id = ?`), append(args, id)...)
		if sqldb.IsUniqueViolation(err) {
			return fmt.Errorf("store: %s: %w: another pending cycle of DAO %q has the same config and inputs", what, ErrDuplicate, cur.key.DAO)
		}
		if err != nil {
			return s.dbErr(what, err)
		}
		return s.appendEntry(ctx, tx, now, ch.Actor, ActionAdvance, CycleSubject(id), detail)
	})
	if err != nil {
		return Cycle{}, err
	}
	return s.Cycle(ctx, id)
}

// advanceDetail is the audit detail of Advance. The documents are
// recorded by their SHA-256, so that the chain vouches for their bytes.
type advanceDetail struct {
	From                 State  `json:"from"`
	To                   State  `json:"to"`
	InputsHash           string `json:"inputs_hash,omitempty"`
	Dir                  string `json:"dir,omitempty"`
	RecommendationSHA256 string `json:"recommendation_sha256,omitempty"`
	ProposalSHA256       string `json:"proposal_sha256,omitempty"`
	Error                string `json:"error,omitempty"`
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Review records a steward's decision on cycle id, which must be pending
// review, and moves it to r.Verdict.
func (s *SQL) Review(ctx context.Context, id int64, r Review) (Cycle, error) {
	what := fmt.Sprintf("review cycle %d", id)
	if r.Verdict != Approved && r.Verdict != Rejected {
		return Cycle{}, fmt.Errorf("store: %s: %w: verdict %q, want approved or rejected", what, ErrInvalid, clip(string(r.Verdict), 40))
	}
	if err := errors.Join(
		checkName("reviewer", r.Reviewer),
		checkText("comment", r.Comment, maxComment, true),
	); err != nil {
		return Cycle{}, fmt.Errorf("store: %s: %w", what, err)
	}
	if strings.TrimSpace(r.Comment) == "" {
		return Cycle{}, fmt.Errorf("store: %s: %w: the comment is empty; say why the proposal is %s", what, ErrInvalid, r.Verdict)
	}
	err := s.write(ctx, what, func(tx *sql.Tx, now time.Time) error {
		cur, err := s.lockCycle(ctx, tx, id, what)
		if err != nil {
			return err
		}
		if cur.state != PendingReview {
			// Allowed names both states (and what the cycle may do).
			err := Allowed(cur.state, r.Verdict)
			if err == nil {
				err = &TransitionError{From: cur.state, To: r.Verdict}
			}
			return fmt.Errorf("store: %s: only a cycle pending review is reviewed: %w", what, err)
		}
		if r.Verdict == Approved {
			if err := approvable(id, cur.state, cur.hasPropos, cur.change); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO reviews (cycle_id, verdict, reviewer, comment, created_at) VALUES (?, ?, ?, ?, ?)`),
			id, string(r.Verdict), r.Reviewer, r.Comment, now.UnixNano()); err != nil {
			return s.dbErr(what, err)
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE cycles SET state = ?, updated_at = ? WHERE id = ?`),
			string(r.Verdict), now.UnixNano(), id); err != nil {
			return s.dbErr(what, err)
		}
		return s.appendEntry(ctx, tx, now, r.Reviewer, ActionReview, CycleSubject(id), struct {
			From    State  `json:"from"`
			To      State  `json:"to"`
			Comment string `json:"comment"`
		}{cur.state, r.Verdict, r.Comment})
	})
	if err != nil {
		return Cycle{}, err
	}
	return s.Cycle(ctx, id)
}

// RecordPublication records what sink p.Sink published for cycle id,
// which must be approved.
func (s *SQL) RecordPublication(ctx context.Context, id int64, p Publication) (Publication, error) {
	what := fmt.Sprintf("record publication of cycle %d", id)
	if err := errors.Join(checkName("actor", p.Actor), checkName("sink", p.Sink), checkReceipt(p.Receipt)); err != nil {
		return Publication{}, fmt.Errorf("store: %s: %w", what, err)
	}
	out := p
	err := s.write(ctx, what, func(tx *sql.Tx, now time.Time) error {
		cur, err := s.lockCycle(ctx, tx, id, what)
		if err != nil {
			return err
		}
		if cur.state != Approved {
			return fmt.Errorf("store: %s: %w: the cycle is %s; only an approved cycle is published", what, ErrIllegal, cur.state)
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM publications WHERE cycle_id = ? AND sink = ?`), id, p.Sink).Scan(&n); err != nil {
			return s.dbErr(what, err)
		}
		if n > 0 {
			return fmt.Errorf("store: %s: %w: sink %q has published it already", what, ErrDuplicate, p.Sink)
		}
		_, err = tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO publications (cycle_id, sink, receipt, created_at) VALUES (?, ?, ?, ?)`),
			id, p.Sink, string(p.Receipt), now.UnixNano())
		if sqldb.IsUniqueViolation(err) {
			return fmt.Errorf("store: %s: %w: sink %q has published it already", what, ErrDuplicate, p.Sink)
		}
		if err != nil {
			return s.dbErr(what, err)
		}
		out.Time = time.Unix(0, now.UnixNano()).UTC()
		return s.appendEntry(ctx, tx, now, p.Actor, ActionPublish, CycleSubject(id), struct {
			Sink    string          `json:"sink"`
			Receipt json.RawMessage `json:"receipt"`
		}{p.Sink, p.Receipt})
	})
	if err != nil {
		return Publication{}, err
	}
	return out, nil
}

// Mark records that a process took up or set down cycle id, which must
// be in flight.
func (s *SQL) Mark(ctx context.Context, id int64, m Mark) error {
	what := fmt.Sprintf("mark cycle %d %s", id, strings.TrimPrefix(string(m.Event), "cycle."))
	if err := checkName("actor", m.Actor); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if m.Event != Resumed && m.Event != Stopped {
		return fmt.Errorf("store: %s: %w: event %q, want %s or %s", what, ErrInvalid, clip(string(m.Event), 40), Resumed, Stopped)
	}
	return s.write(ctx, what, func(tx *sql.Tx, now time.Time) error {
		cur, err := s.lockCycle(ctx, tx, id, what)
		if err != nil {
			return err
		}
		if !cur.state.InFlight() {
			return fmt.Errorf("store: %s: %w: the cycle is %s; only a cycle in flight is resumed or stopped", what, ErrIllegal, cur.state)
		}
		return s.appendEntry(ctx, tx, now, m.Actor, string(m.Event), CycleSubject(id), struct {
			State State `json:"state"`
		}{cur.state})
	})
}

// appendEntry appends an audit entry in tx, after the head, and moves the
// head to it. The head's row lock (PostgreSQL) or the write transaction
// (SQLite) orders concurrent appends.
func (s *SQL) appendEntry(ctx context.Context, tx *sql.Tx, now time.Time, actor, action, subject string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("store: encode audit detail: %w", err)
	}
	var head Head
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+s.forUpdate()).Scan(&head.Seq, &head.Hash); err != nil {
		return s.dbErr("read the audit head", err)
	}
	e := Entry{
		Seq: head.Seq + 1, Time: time.Unix(0, now.UnixNano()).UTC(),
		Actor: actor, Action: action, Subject: subject, Detail: d, PrevHash: head.Hash,
	}
	e.Hash = e.ComputeHash()
	if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		e.Seq, e.Time.UnixNano(), e.Actor, e.Action, e.Subject, string(e.Detail), e.PrevHash, e.Hash); err != nil {
		return s.dbErr("append to the audit log", err)
	}
	if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), e.Seq, e.Hash); err != nil {
		return s.dbErr("move the audit head", err)
	}
	return nil
}

// cycleColumns are the columns scanCycle reads, from cycles c joined with
// reviews r.
const cycleColumns = `c.id, c.dao, c.config_hash, COALESCE(c.inputs_hash, ''), c.dir, c.state, c.error,
	c.title, c.recommends_change, c.created_at, c.updated_at,
	r.verdict, r.reviewer, r.comment, r.created_at`

type scanner interface{ Scan(dest ...any) error }

// scanCycle reads cycleColumns (and, with docs, the two documents).
func scanCycle(row scanner, docs bool) (Cycle, error) {
	var c Cycle
	var state string
	var change int
	var created, updated int64
	var verdict, reviewer, comment sql.NullString
	var reviewed sql.NullInt64
	dest := []any{&c.ID, &c.DAO, &c.ConfigHash, &c.InputsHash, &c.Dir, &state, &c.Error,
		&c.Title, &change, &created, &updated, &verdict, &reviewer, &comment, &reviewed}
	var rec, prop []byte
	if docs {
		dest = append(dest, &rec, &prop)
	}
	if err := row.Scan(dest...); err != nil {
		return Cycle{}, err
	}
	c.State = State(state)
	c.Change = change != 0
	c.Created = time.Unix(0, created).UTC()
	c.Updated = time.Unix(0, updated).UTC()
	if verdict.Valid {
		c.Review = &Review{Verdict: State(verdict.String), Reviewer: reviewer.String, Comment: comment.String, Time: time.Unix(0, reviewed.Int64).UTC()}
	}
	if len(rec) > 0 {
		c.Recommendation = json.RawMessage(rec)
	}
	if len(prop) > 0 {
		c.Proposal = json.RawMessage(prop)
	}
	return c, nil
}

// Cycle returns cycle id whole.
func (s *SQL) Cycle(ctx context.Context, id int64) (Cycle, error) {
	what := fmt.Sprintf("read cycle %d", id)
	tx, err := s.readTx(ctx)
	if err != nil {
		return Cycle{}, s.dbErr(what, err)
	}
	defer func() { _ = tx.Rollback() }()
	c, err := scanCycle(tx.QueryRowContext(ctx, s.db.Rebind(`SELECT `+cycleColumns+`, c.recommendation, c.proposal
		FROM cycles c LEFT JOIN reviews r ON r.cycle_id = c.id WHERE c.id = ?`), id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return Cycle{}, fmt.Errorf("store: %s: %w: no cycle %d in %s (attune cycles list shows them)", what, ErrNotFound, id, s.db.Desc)
	}
	if err != nil {
		return Cycle{}, s.dbErr(what, err)
	}
	rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT sink, receipt, created_at FROM publications WHERE cycle_id = ? ORDER BY created_at, sink`), id)
	if err != nil {
		return Cycle{}, s.dbErr(what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Publication
		var receipt string
		var at int64
		if err := rows.Scan(&p.Sink, &receipt, &at); err != nil {
			return Cycle{}, s.dbErr(what, err)
		}
		p.Receipt = json.RawMessage(receipt)
		p.Time = time.Unix(0, at).UTC()
		c.Publications = append(c.Publications, p)
	}
	if err := rows.Err(); err != nil {
		return Cycle{}, s.dbErr(what, err)
	}
	return c, nil
}

// readTx begins a read-only transaction that sees one snapshot.
func (s *SQL) readTx(ctx context.Context) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return s.db.SQL.BeginTx(ctx, opts)
}

// Cycles lists the cycles f selects, newest first.
func (s *SQL) Cycles(ctx context.Context, f Filter) ([]Cycle, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"c.dao", f.DAO}, {"c.config_hash", f.ConfigHash}, {"c.inputs_hash", f.InputsHash}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if len(f.States) > 0 {
		marks := make([]string, len(f.States))
		for i, st := range f.States {
			if !st.Valid() {
				return nil, fmt.Errorf("store: list cycles: %w: %q is not a state (want one of %s)", ErrInvalid, clip(string(st), 40), joinStates(States))
			}
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "c.state IN ("+strings.Join(marks, ", ")+")")
	}
	if f.WithProposal {
		where = append(where, "c.proposal IS NOT NULL")
	}
	if f.Before > 0 {
		where, args = append(where, "c.id < ?"), append(args, f.Before)
	}
	q := `SELECT ` + cycleColumns + ` FROM cycles c LEFT JOIN reviews r ON r.cycle_id = c.id`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY c.id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, s.dbErr("list cycles", err)
	}
	defer rows.Close()
	var out []Cycle
	for rows.Next() {
		c, err := scanCycle(rows, false)
		if err != nil {
			return nil, s.dbErr("list cycles", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr("list cycles", err)
	}
	return out, nil
}

// Audit lists the audit entries f selects, in order.
func (s *SQL) Audit(ctx context.Context, f AuditFilter) ([]Entry, error) {
	q := `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq > ?`
	args := []any{f.After}
	if f.Subject != "" {
		q, args = q+` AND subject = ?`, append(args, f.Subject)
	}
	q += ` ORDER BY seq`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, s.dbErr("read the audit log", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, s.dbErr("read the audit log", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr("read the audit log", err)
	}
	return out, nil
}

func scanEntry(row scanner) (Entry, error) {
	var e Entry
	var at int64
	var detail string
	if err := row.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &detail, &e.PrevHash, &e.Hash); err != nil {
		return Entry{}, err
	}
	e.Time = time.Unix(0, at).UTC()
	e.Detail = json.RawMessage(detail)
	return e, nil
}

// Verify walks the audit log in one snapshot and reports the first entry
// edited, inserted or deleted.
func (s *SQL) Verify(ctx context.Context) (Verification, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return Verification{}, s.dbErr("verify the audit log", err)
	}
	defer func() { _ = tx.Rollback() }()
	var head Head
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.Seq, &head.Hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Verification{Problem: &Problem{Kind: Deleted, Detail: "the audit head row is missing"}}, nil
		}
		return Verification{}, s.dbErr("verify the audit log", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return Verification{}, s.dbErr("verify the audit log", err)
	}
	defer rows.Close()
	v := newVerifier(head)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return Verification{}, s.dbErr("verify the audit log", err)
		}
		if !v.add(e) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return Verification{}, s.dbErr("verify the audit log", err)
	}
	return v.finish(), nil
}
