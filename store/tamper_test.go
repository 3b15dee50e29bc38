package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// history makes a store with a few cycles' worth of audit entries and
// returns it with its entries.
func history(t *testing.T, dsn string) (*SQL, []Entry) {
	t.Helper()
	s := openT(t, dsn)
	docs := goldenDocs(t, "compound")
	c := toReview(t, s, Key{DAO: "Compound", ConfigHash: "c", InputsHash: "i1"}, docs)
	must(s.Review(ctx, c.ID, Review{Verdict: Approved, Reviewer: "alice", Comment: "ok"}))(t)
	must(s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: "Aave", ConfigHash: "c"}))(t)
	es := must(s.Audit(ctx, AuditFilter{}))(t)
	if len(es) != 7 {
		t.Fatalf("%d entries", len(es))
	}
	return s, es
}

// untrigger drops the triggers that refuse edits of the log, as someone
// with full access to the database could.
func untrigger(t *testing.T, s *SQL) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
	if s.db.Postgres {
		stmts = []string{`DROP TRIGGER audit_log_no_change ON audit_log`}
	}
	for _, q := range stmts {
		if _, err := s.db.SQL.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func sqlExec(t *testing.T, s *SQL, q string, args ...any) {
	t.Helper()
	if _, err := s.db.SQL.Exec(s.db.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// The database refuses to edit or delete audit entries.
func TestAuditLogIsAppendOnly(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s, _ := history(t, b.dsn(t))
			for _, q := range []string{
				`UPDATE audit_log SET detail = '{}' WHERE seq = 2`,
				`DELETE FROM audit_log WHERE seq = 7`,
			} {
				if _, err := s.db.SQL.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: %v", q, err)
				}
			}
			if s.db.Postgres {
				if _, err := s.db.SQL.Exec(`TRUNCATE audit_log`); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("TRUNCATE: %v", err)
				}
			}
			if v := must(s.Verify(ctx))(t); v.Err() != nil || v.Entries != 7 {
				t.Errorf("after refused edits: %+v", v)
			}
		})
	}
}

// Verify finds an edited, deleted or inserted entry and names it, however
// the tamperer went about it.
func TestVerifyFindsTampering(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				tamper func(t *testing.T, s *SQL, es []Entry)
				seq    int64
				kind   string
			}{
				{"edit a detail", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `UPDATE audit_log SET detail = ? WHERE seq = 3`, `{"from":"calibrating","to":"failed"}`)
				}, 3, Edited},
				{"edit an actor", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `UPDATE audit_log SET actor = 'mallory' WHERE seq = 6`)
				}, 6, Edited},
				{"backdate an entry", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `UPDATE audit_log SET at = at - 86400000000000 WHERE seq = 1`)
				}, 1, Edited},
				{"edit and rehash", func(t *testing.T, s *SQL, es []Entry) {
					e := es[3]
					e.Detail = json.RawMessage(`{"from":"optimizing","to":"drafting"}`)
					e.Hash = e.ComputeHash()
					sqlExec(t, s, `UPDATE audit_log SET detail = ?, hash = ? WHERE seq = 4`, string(e.Detail), e.Hash)
				}, 4, Edited},
				{"edit and rehash the last", func(t *testing.T, s *SQL, es []Entry) {
					e := es[6]
					e.Actor = "mallory"
					e.Hash = e.ComputeHash()
					sqlExec(t, s, `UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 7`, e.Actor, e.Hash)
				}, 7, Edited},
				{"delete an entry", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `DELETE FROM audit_log WHERE seq = 4`)
				}, 4, Deleted},
				{"delete the first", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `DELETE FROM audit_log WHERE seq = 1`)
				}, 1, Deleted},
				{"delete the last", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `DELETE FROM audit_log WHERE seq = 7`)
				}, 7, Deleted},
				{"delete everything", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `DELETE FROM audit_log`)
				}, 1, Deleted},
				{"insert after the head", func(t *testing.T, s *SQL, es []Entry) {
					// A well-formed entry, its hash computed, chained to the
					// last: only the head shows it.
					e := Entry{Seq: 8, Time: time.Now(), Actor: "mallory", Action: ActionReview, Subject: "cycle/1",
						Detail: json.RawMessage(`{"from":"pending_review","to":"approved","comment":"ok"}`), PrevHash: es[6].Hash}
					e.Hash = e.ComputeHash()
					insert(t, s, e)
				}, 8, Inserted},
				{"insert before the first", func(t *testing.T, s *SQL, es []Entry) {
					e := Entry{Seq: 0, Time: time.Now(), Actor: "mallory", Action: ActionCreate, Subject: "cycle/0", Detail: json.RawMessage(`{}`), PrevHash: ZeroHash}
					e.Hash = e.ComputeHash()
					insert(t, s, e)
				}, 0, Inserted},
				{"insert in place of a deleted one", func(t *testing.T, s *SQL, es []Entry) {
					sqlExec(t, s, `DELETE FROM audit_log WHERE seq = 5`)
					e := es[4]
					e.Actor = "mallory"
					e.Hash = e.ComputeHash()
					insert(t, s, e)
				}, 5, Edited},
			} {
				t.Run(tc.name, func(t *testing.T) {
					s, es := history(t, b.dsn(t))
					untrigger(t, s)
					tc.tamper(t, s, es)
					v := must(s.Verify(ctx))(t)
					if v.Problem == nil || v.Problem.Seq != tc.seq || v.Problem.Kind != tc.kind {
						t.Fatalf("problem %+v; want entry %d %s", v.Problem, tc.seq, tc.kind)
					}
					err := v.Err()
					if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d was %s", tc.seq, tc.kind)) {
						t.Errorf("Err: %v", err)
					}
				})
			}
		})
	}
}

// Someone who rewrites the whole chain and its head passes Verify, but
// not CheckHead against a head written down before.
func TestCheckHeadCatchesARewrittenChain(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s, es := history(t, b.dsn(t))
			earlier := must(s.Verify(ctx))(t).Head
			untrigger(t, s)
			prev := ZeroHash
			for i, e := range es {
				if i == 2 {
					e.Actor = "mallory"
				}
				e.PrevHash = prev
				e.Hash = e.ComputeHash()
				prev = e.Hash
				sqlExec(t, s, `UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?`, e.Actor, e.PrevHash, e.Hash, e.Seq)
			}
			sqlExec(t, s, `UPDATE audit_head SET hash = ? WHERE id = 1`, prev)
			if v := must(s.Verify(ctx))(t); v.Err() != nil {
				t.Fatalf("a consistent forgery: %v", v.Err())
			}
			if err := CheckHead(ctx, s, earlier); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "entry 7") || !strings.Contains(err.Error(), "rewritten") {
				t.Errorf("CheckHead: %v", err)
			}
			sqlExec(t, s, `DELETE FROM audit_log WHERE seq = 7`)
			if err := CheckHead(ctx, s, earlier); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "missing") {
				t.Errorf("CheckHead after deleting the entry: %v", err)
			}
		})
	}
}

func insert(t *testing.T, s *SQL, e Entry) {
	t.Helper()
	sqlExec(t, s, `INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Time.UnixNano(), e.Actor, e.Action, e.Subject, string(e.Detail), e.PrevHash, e.Hash)
}

func TestParseHead(t *testing.T) {
	h := Head{Seq: 12, Hash: strings.Repeat("ab", 32)}
	if got, err := ParseHead(h.String()); err != nil || got != h {
		t.Errorf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "12", "x:" + h.Hash, "-1:" + h.Hash, "12:" + strings.ToUpper(h.Hash), "12:abc"} {
		if _, err := ParseHead(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseHead(%q): %v", bad, err)
		}
	}
}
