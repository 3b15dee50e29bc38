package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// attune run records the cycle it writes as pending review, with the
// files' own bytes, and a rerun of the same inputs records no second one;
// stdout is what it always was.
func TestRunRecordsTheCycle(t *testing.T) {
	fast(t)
	out := t.TempDir()
	args := []string{"run", "--out", out, "--no-track-record"}
	code, first, stderr := run(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(first, "store") || !strings.Contains(stderr, "cycle recorded, pending review") {
		t.Errorf("stdout mentions the store, or stderr does not log the record:\n%s\n%s", first, stderr)
	}
	code, second, stderr := run(t, args...)
	took := regexp.MustCompile(`, [0-9.]+s\n`) // the run's duration
	if code != exitOK || took.ReplaceAllString(second, "") != took.ReplaceAllString(first, "") {
		t.Fatalf("rerun: exit %d, stdout changed: %v\n%s", code, second != first, stderr)
	}
	if !strings.Contains(stderr, "not recorded again") {
		t.Errorf("rerun did not say it recorded nothing:\n%s", stderr)
	}
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(out, "attune.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cs, err := s.Cycles(context.Background(), store.Filter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("%d cycles (%v); want 1", len(cs), err)
	}
	c, err := s.Cycle(context.Background(), cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != store.PendingReview || c.DAO != "Compound" || c.InputsHash == "" || c.ConfigHash == "" {
		t.Errorf("recorded cycle: %+v", c)
	}
	for name, stored := range map[string][]byte{"recommendation.json": c.Recommendation, "proposal.json": c.Proposal} {
		b, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err != nil || !bytes.Equal(b, stored) {
			t.Errorf("%s: stored %d bytes, file %d (%v)", name, len(stored), len(b), err)
		}
	}
}

// A run of a DAO whose lock another process holds stops before any work.
func TestRunStopsWhenTheDAOIsLocked(t *testing.T) {
	out := t.TempDir()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(out, "attune.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release, err := s.Lock(context.Background(), "Compound")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	code, stdout, stderr := run(t, "run", "--out", out)
	if code != exitTransient || stdout != "" || !strings.Contains(stderr, `lock DAO "Compound"`) || !strings.Contains(stderr, "another attune process") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if strings.Contains(stderr, "calibrat") {
		t.Errorf("the run did work before finding the lock: %s", stderr)
	}
}

// seeded fills a store with two cycles of the Compound golden documents
// (one approved and published, one pending review) and returns its DSN.
func seeded(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := os.ReadFile("../../loop/testdata/golden/compound/recommendation.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec oracle.Recommendation
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	prop, err := os.ReadFile("../../loop/testdata/golden/compound/proposal.json")
	if err != nil {
		t.Fatal(err)
	}
	// Both proposals recommend a change, so they can be approved (the
	// golden one recommends none).
	prop = bytes.Replace(prop, []byte(`"change": false`), []byte(`"change": true`), 1)
	for i, in := range []string{"inputs-a", "inputs-b"} {
		r := rec
		r.Params = append([]oracle.ParamChange(nil), rec.Params...)
		if i == 1 {
			r.Params[2].Current *= 2 // the parameters in force moved
		}
		recJSON, _ := json.MarshalIndent(schema.NewRecommendation(r), "", "  ")
		c := pendingCycle(t, s, in, recJSON, prop)
		if i == 0 {
			if _, err := s.Review(ctx, c.ID, store.Review{Verdict: store.Approved, Reviewer: "alice", Comment: "ok"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RecordPublication(ctx, c.ID, store.Publication{Actor: "attune serve", Sink: "forum", Receipt: json.RawMessage(`{"id":"341","url":"https://forum.example.org/t/341"}`)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Advance(ctx, c.ID, store.Published, store.Change{Actor: "attune serve"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dsn
}

// pendingCycle records a cycle of Compound from inputs through to
// pending review with the recommendation and proposal given.
func pendingCycle(t *testing.T, s store.Store, inputs string, rec, prop []byte) store.Cycle {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateCycle(ctx, store.NewCycle{Actor: "attune run", DAO: "Compound", ConfigHash: "cfg", InputsHash: inputs, Dir: "/srv/attune/" + inputs})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		to store.State
		ch store.Change
	}{
		{store.Calibrating, store.Change{Actor: "attune run"}},
		{store.Optimizing, store.Change{Actor: "attune run"}},
		{store.Drafting, store.Change{Actor: "attune run", Recommendation: rec}},
		{store.PendingReview, store.Change{Actor: "attune run", Proposal: prop}},
	} {
		if c, err = s.Advance(ctx, c.ID, st.to, st.ch); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// The store's commands, in text: list, show, diff, approve, reject,
// verify, on SQLite and PostgreSQL.
func TestStoreCommands(t *testing.T) {
	for _, b := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "attune.db") }},
		{"postgres", func(t *testing.T) string { return sqldbtest.PostgresDSN(t, "attune_cmd_test") }},
	} {
		t.Run(b.name, func(t *testing.T) {
			dsn := seeded(t, b.dsn(t))
			st := func(args ...string) (int, string, string) {
				t.Helper()
				return run(t, append(args, "--store", dsn)...)
			}
			for _, c := range []struct {
				args []string
				want []string
			}{
				{[]string{"cycles", "list"}, []string{"ID  DAO", "2   Compound  pending_review", "1   Compound  published", "Keep governance parameters unchanged"}},
				{[]string{"cycles", "list", "--state", "published"}, []string{"1   Compound  published"}},
				{[]string{"cycles", "list", "--dao", "Aave"}, []string{"no cycles"}},
				{[]string{"proposals", "list", "--state", "pending_review"}, []string{"2   Compound  pending_review"}},
				{[]string{"cycles", "show", "1"}, []string{"cycle 1: Compound, published", "review     approved by alice", "published  forum", "https://forum.example.org/t/341",
					"NO CHANGE:", "proposal_threshold", "drafting -> pending_review", "pending_review -> approved", "published by forum", "approved -> published"}},
				{[]string{"cycles", "diff", "1", "2"}, []string{"A: cycle 1 (Compound, published)  B: cycle 2 (Compound, pending_review)", "config: same; data: different", "proposal_threshold    0.0025 -> 0.0025           0.005 -> 0.0025            *"}},
				{[]string{"proposals", "show", "2"}, []string{"cycle 2: Compound, pending_review", "# Compound: Keep governance parameters unchanged", "---", "### Reproduce"}},
				{[]string{"audit", "verify"}, []string{"audit log intact: 13 entries", "head 13:"}},
				{[]string{"proposals", "reject", "2", "--comment", "Wait for the forum.", "--reviewer", "bob"}, []string{"cycle 2 rejected by bob"}},
			} {
				code, stdout, stderr := st(c.args...)
				if code != exitOK {
					t.Errorf("%v: exit %d: %s", c.args, code, stderr)
					continue
				}
				for _, w := range c.want {
					if !strings.Contains(stdout, w) {
						t.Errorf("%v: output lacks %q:\n%s", c.args, w, stdout)
					}
				}
			}
			for _, c := range []struct {
				args []string
				code int
				want string
			}{
				{[]string{"proposals", "approve", "2", "--comment", "overrule"}, exitUser, "cannot go from rejected to approved"},
				{[]string{"proposals", "approve", "99", "--comment", "x"}, exitUser, "no cycle 99"},
				{[]string{"proposals", "approve", "2"}, exitUser, "--comment is required"},
				{[]string{"proposals", "approve", "2", "--comment", "x\x1b[2J", "--reviewer", "eve"}, exitUser, "control character"},
				{[]string{"cycles", "show", "abc"}, exitUser, `"abc" is not a cycle ID`},
				{[]string{"cycles", "show"}, exitUser, "takes one cycle ID"},
				{[]string{"cycles", "diff", "1"}, exitUser, "takes two cycle IDs"},
				{[]string{"cycles", "list", "--state", "done"}, exitUser, `--state "done"`},
				{[]string{"cycles", "list", "--limit", "-1"}, exitUser, "--limit -1"},
				{[]string{"cycles", "frobnicate"}, exitUser, "unknown command"},
				{[]string{"audit", "verify", "--head", "13:nothex"}, exitUser, "want SEQ:HASH"},
				{[]string{"audit", "verify", "--head", "3:" + strings.Repeat("0", 64)}, exitTampered, "rewritten"},
			} {
				code, _, stderr := st(c.args...)
				if code != c.code || !strings.Contains(stderr, c.want) {
					t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", c.args, code, stderr, c.code, c.want)
				}
			}
			// A head printed earlier still holds.
			_, stdout, _ := st("audit", "verify")
			head := strings.TrimPrefix(strings.TrimSpace(stdout[strings.LastIndex(stdout, "head "):]), "head ")
			if code, stdout, stderr := st("audit", "verify", "--head", head); code != exitOK || !strings.Contains(stdout, "unchanged since recorded") {
				t.Errorf("--head %s: exit %d %s %s", head, code, stdout, stderr)
			}
		})
	}
}

// A decision prints the decided cycle's document, which its schema
// accepts. (The other store commands' documents are checked with every
// command's in TestOutputsFollowTheirSchemas.)
func TestDecisionPrintsTheCycle(t *testing.T) {
	dsn := seeded(t, "sqlite:"+filepath.Join(t.TempDir(), "attune.db"))
	code, stdout, stderr := run(t, "proposals", "approve", "2", "--comment", "ok", "--reviewer", "alice", "--store", dsn, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := schema.Validate([]byte(stdout)); err != nil {
		t.Error(err)
	}
	var doc schema.CycleDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != schema.Cycle || doc.Cycle.State != "approved" || doc.Cycle.Review == nil || doc.Cycle.Review.Reviewer != "alice" ||
		doc.Recommendation == nil || doc.Proposal == nil || len(doc.History) != 6 || doc.History[5].Action != store.ActionReview {
		t.Errorf("cycle 2 after approval: state %s, review %+v, %d history entries", doc.Cycle.State, doc.Cycle.Review, len(doc.History))
	}
}

// attune audit verify exits 4 naming the entry someone edited, in text
// and in JSON.
func TestAuditVerifyExitsFourWhenTampered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attune.db")
	dsn := seeded(t, "sqlite:"+path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET detail = '{"from":"pending_review","to":"approved","comment":"fine"}' WHERE seq = 6`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(t, "audit", "verify", "--store", dsn)
	if code != exitTampered || !strings.Contains(stdout, "BROKEN at entry 6 (edited)") || !strings.Contains(stderr, "entry 6 was edited") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "audit", "verify", "--store", dsn, "-o", "json")
	var doc schema.AuditDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitTampered || doc.OK || doc.Problem == nil || doc.Problem.Seq != 6 || doc.Problem.Kind != "edited" {
		t.Errorf("json: exit %d, %+v (%v)", code, doc, err)
	}
	if err := schema.Validate([]byte(stdout)); err != nil {
		t.Error(err)
	}
	if code, _, _ := run(t, "help", "exit-codes"); code != exitOK {
		t.Error("help exit-codes")
	}
	if _, help, _ := run(t, "help", "exit-codes"); !strings.Contains(help, "  4    the store's audit log is broken") {
		t.Errorf("help exit-codes lacks 4:\n%s", help)
	}
}

// Reading a store that is not there is a user error naming the path; it
// creates nothing.
func TestNoStoreIsAUserError(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{{"cycles", "list", "--out", out}, {"audit", "verify", "--out", out}, {"proposals", "show", "1", "--out", out}} {
		code, _, stderr := run(t, args...)
		if code != exitUser || !strings.Contains(stderr, "no store at "+filepath.Join(out, "attune.db")) {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("reading created %d files", len(entries))
	}
	if code, _, stderr := run(t, "cycles", "list", "--store", "attune.txt"); code != exitUser || !strings.Contains(stderr, "invalid storage DSN") {
		t.Errorf("bad --store: exit %d, %s", code, stderr)
	}
}

// attune proposals approve refuses a proposal that changes nothing (exit
// 2, saying to reject it), leaves it pending, and reject then closes it.
func TestApproveRefusesNoChange(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "attune.db")
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile("../../loop/testdata/golden/compound/recommendation.json")
	if err != nil {
		t.Fatal(err)
	}
	prop, err := os.ReadFile("../../loop/testdata/golden/compound/proposal.json")
	if err != nil {
		t.Fatal(err)
	}
	var r oracle.Recommendation
	if err := json.Unmarshal(rec, &r); err != nil {
		t.Fatal(err)
	}
	recJSON, _ := json.Marshal(schema.NewRecommendation(r))
	c := pendingCycle(t, s, "in", recJSON, prop)
	s.Close()
	id := strconv.FormatInt(c.ID, 10)
	code, _, stderr := run(t, "proposals", "approve", id, "--comment", "ok", "--reviewer", "alice", "--store", dsn)
	if code != exitUser || !strings.Contains(stderr, "recommends no change") || !strings.Contains(stderr, "reject it") {
		t.Fatalf("approve a proposal of no change: exit %d, %q; want exit 2 saying to reject it", code, stderr)
	}
	code, stdout, stderr := run(t, "proposals", "reject", id, "--comment", "nothing to do", "--reviewer", "alice", "--store", dsn)
	if code != exitOK || !strings.Contains(stdout, "rejected by alice") {
		t.Fatalf("reject after the refused approval: exit %d, %q %q", code, stdout, stderr)
	}
}
