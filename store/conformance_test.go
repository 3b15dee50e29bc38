package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// conformance is the behaviour every Store implementation shares; each
// test gets a new, empty store from open.
var conformance = []struct {
	name string
	test func(t *testing.T, open func(t testing.TB) Store)
}{
	{"Lifecycle", testLifecycle},
	{"IllegalTransitions", testIllegalTransitions},
	{"ChangeChecks", testChangeChecks},
	{"Review", testReview},
	{"Publications", testPublications},
	{"PendingIsUnique", testPendingIsUnique},
	{"ConcurrentCreatesOfOneKey", testConcurrentCreatesOfOneKey},
	{"Filters", testFilters},
	{"Resume", testResume},
	{"Mark", testMark},
	{"Lock", testLock},
	{"AuditRecordsEveryChange", testAuditRecordsEveryChange},
}

// TestConformance runs the suite on SQLite and on PostgreSQL.
func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) {
					c.test(t, func(t testing.TB) Store { return openT(t, b.dsn(t)) })
				})
			}
		})
	}
}

var ctx = context.Background()

// A cycle goes from fetching to published, each change recorded with its
// fields, and its audit trail tells the story in order.
func testLifecycle(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	c := must(s.CreateCycle(ctx, NewCycle{Actor: "attune run", DAO: "Compound", ConfigHash: "cfg1"}))(t)
	if c.ID <= 0 || c.State != Fetching || c.DAO != "Compound" || c.ConfigHash != "cfg1" || c.InputsHash != "" || c.Created.IsZero() {
		t.Fatalf("new cycle: %+v", c)
	}
	c = must(s.Advance(ctx, c.ID, Calibrating, Change{Actor: "attune run", InputsHash: "in1"}))(t)
	if c.State != Calibrating || c.InputsHash != "in1" {
		t.Errorf("after fetching: %s, inputs %q", c.State, c.InputsHash)
	}
	c = must(s.Advance(ctx, c.ID, Optimizing, Change{Actor: "attune run"}))(t)
	c = must(s.Advance(ctx, c.ID, Drafting, Change{Actor: "attune run", Recommendation: docs.rec}))(t)
	if !bytes.Equal(c.Recommendation, docs.rec) || c.Proposal != nil {
		t.Errorf("after optimizing: recommendation stored %d bytes of %d, proposal %d bytes", len(c.Recommendation), len(docs.rec), len(c.Proposal))
	}
	c = must(s.Advance(ctx, c.ID, PendingReview, Change{Actor: "attune run", Proposal: docs.prop, Dir: "/var/lib/attune/2022-12-17-f1b75e447647"}))(t)
	if !bytes.Equal(c.Proposal, docs.prop) || c.Title != "Compound: Keep governance parameters unchanged" || !c.Change || c.Dir != "/var/lib/attune/2022-12-17-f1b75e447647" {
		t.Errorf("pending review: title %q, change %v, dir %q, proposal %d bytes", c.Title, c.Change, c.Dir, len(c.Proposal))
	}
	if rec := must(DecodeRecommendation(c.Recommendation))(t); rec.CycleID != "2022-12-17-f1b75e447647" || rec.DAO != "Compound" {
		t.Errorf("decoded recommendation: %s %s", rec.CycleID, rec.DAO)
	}
	c = must(s.Review(ctx, c.ID, Review{Verdict: Approved, Reviewer: "alice", Comment: "Matches the forum discussion."}))(t)
	if c.State != Approved || c.Review == nil || c.Review.Reviewer != "alice" || c.Review.Verdict != Approved || c.Review.Comment != "Matches the forum discussion." {
		t.Errorf("approved: %s, review %+v", c.State, c.Review)
	}
	for _, sink := range []string{"forum", "markdown"} {
		p := must(s.RecordPublication(ctx, c.ID, Publication{Actor: "attune serve", Sink: sink, Receipt: json.RawMessage(`{"id":"` + sink + `-1","url":"https://example.org/` + sink + `"}`)}))(t)
		if p.Sink != sink || p.Time.IsZero() {
			t.Errorf("publication: %+v", p)
		}
	}
	c = must(s.Advance(ctx, c.ID, Published, Change{Actor: "attune serve"}))(t)
	if c.State != Published || len(c.Publications) != 2 || c.Publications[0].Sink != "forum" || !strings.Contains(string(c.Publications[1].Receipt), "markdown-1") {
		t.Errorf("published: %s, publications %+v", c.State, c.Publications)
	}
	if c.Updated.Before(c.Created) {
		t.Errorf("updated %v before created %v", c.Updated, c.Created)
	}
	// The whole cycle reads back the same.
	again := must(s.Cycle(ctx, c.ID))(t)
	if again.State != Published || !bytes.Equal(again.Recommendation, docs.rec) || again.Review == nil || len(again.Publications) != 2 {
		t.Errorf("read back: %+v", again)
	}
	es := must(s.Audit(ctx, AuditFilter{Subject: CycleSubject(c.ID)}))(t)
	var got []string
	for _, e := range es {
		var d struct{ From, To, Sink string }
		_ = json.Unmarshal(e.Detail, &d)
		got = append(got, e.Action+":"+d.From+">"+d.To+d.Sink+"@"+e.Actor)
	}
	want := []string{
		"cycle.create:>@attune run",
		"cycle.advance:fetching>calibrating@attune run",
		"cycle.advance:calibrating>optimizing@attune run",
		"cycle.advance:optimizing>drafting@attune run",
		"cycle.advance:drafting>pending_review@attune run",
		"cycle.review:pending_review>approved@alice",
		"publication.record:>forum@attune serve",
		"publication.record:>markdown@attune serve",
		"cycle.advance:approved>published@attune serve",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The chain vouches for the documents' bytes.
	if !strings.Contains(string(es[3].Detail), sha256Hex(docs.rec)) || !strings.Contains(string(es[4].Detail), sha256Hex(docs.prop)) {
		t.Errorf("the audit details do not carry the documents' hashes: %s / %s", es[3].Detail, es[4].Detail)
	}
	v := must(s.Verify(ctx))(t)
	if v.Err() != nil || v.Entries != int64(len(want)) || v.Head.Seq != int64(len(want)) || v.Head.Hash != es[len(es)-1].Hash {
		t.Errorf("verify: %+v", v)
	}
	if err := CheckHead(ctx, s, Head{Seq: 3, Hash: es[2].Hash}); err != nil {
		t.Errorf("CheckHead of an intact entry: %v", err)
	}
	if _, err := s.Cycle(ctx, c.ID+100); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprint(c.ID+100)) {
		t.Errorf("unknown cycle: %v", err)
	}
}

// inState returns a new cycle in state st (of a key unique to it).
func inState(t testing.TB, s Store, st State, n int, docs documents) Cycle {
	t.Helper()
	k := Key{DAO: "DAO", ConfigHash: "cfg", InputsHash: fmt.Sprintf("in-%s-%d", st, n)}
	path := map[State][]State{
		Fetching: nil, Calibrating: {Calibrating}, Optimizing: {Calibrating, Optimizing},
		Drafting: {Calibrating, Optimizing, Drafting}, Failed: {Calibrating, Failed},
	}
	if p, ok := path[st]; ok {
		c := must(s.CreateCycle(ctx, NewCycle{Actor: "test", DAO: k.DAO, ConfigHash: k.ConfigHash}))(t)
		for _, to := range p {
			ch := Change{Actor: "test", Error: "boom"}
			if to == Calibrating {
				ch.InputsHash = k.InputsHash
			}
			if to == Drafting {
				ch.Recommendation = docs.rec
			}
			c = must(s.Advance(ctx, c.ID, to, ch))(t)
		}
		return c
	}
	c := toReview(t, s, k, docs)
	switch st {
	case Approved, Published:
		c = must(s.Review(ctx, c.ID, Review{Verdict: Approved, Reviewer: "alice", Comment: "ok"}))(t)
		if st == Published {
			c = must(s.Advance(ctx, c.ID, Published, Change{Actor: "test"}))(t)
		}
	case Rejected:
		c = must(s.Review(ctx, c.ID, Review{Verdict: Rejected, Reviewer: "bob", Comment: "no"}))(t)
	}
	if c.State != st {
		t.Fatalf("made a cycle in %s, want %s", c.State, st)
	}
	return c
}

// Every move the machine forbids is refused with both states named, and
// changes nothing: not the cycle, not the audit log.
func testIllegalTransitions(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	for _, from := range States {
		c := inState(t, s, from, 0, docs)
		before := must(s.Verify(ctx))(t).Head
		for _, to := range States {
			if Allowed(from, to) == nil {
				continue
			}
			var err error
			if to == Approved || to == Rejected {
				_, err = s.Review(ctx, c.ID, Review{Verdict: to, Reviewer: "alice", Comment: "try"})
			} else {
				_, err = s.Advance(ctx, c.ID, to, Change{Actor: "test", Error: "try"})
			}
			var te *TransitionError
			if !errors.Is(err, ErrIllegal) || !errors.As(err, &te) || te.From != from || te.To != to ||
				!strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(to)) {
				t.Errorf("%s -> %s: %v; want a TransitionError naming both", from, to, err)
			}
		}
		// Approved and rejected are reached only by a review.
		if from == PendingReview {
			if _, err := s.Advance(ctx, c.ID, Approved, Change{Actor: "test"}); !errors.Is(err, ErrIllegal) || !strings.Contains(err.Error(), "review") {
				t.Errorf("Advance to approved: %v", err)
			}
		}
		if got := must(s.Cycle(ctx, c.ID))(t); got.State != from {
			t.Errorf("refused moves changed the state from %s to %s", from, got.State)
		}
		if after := must(s.Verify(ctx))(t).Head; after != before {
			t.Errorf("refused moves from %s appended to the audit log: head %v -> %v", from, before, after)
		}
	}
}

// Advance checks what it records: who, the error of a failure, both
// documents before review, their kind and schema, an inputs hash that
// does not change.
func testChangeChecks(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	fresh := func() Cycle {
		return must(s.CreateCycle(ctx, NewCycle{Actor: "test", DAO: "Compound", ConfigHash: "cfg"}))(t)
	}
	c := fresh()
	for name, tc := range map[string]struct {
		to   State
		ch   Change
		want string
	}{
		"no actor":          {Calibrating, Change{}, "actor is empty"},
		"control in actor":  {Calibrating, Change{Actor: "eve\x1b[31m"}, "control character"},
		"failed, no reason": {Failed, Change{Actor: "test"}, "needs its error message"},
		"bad utf-8 hash":    {Calibrating, Change{Actor: "test", InputsHash: "\xff"}, "not valid UTF-8"},
	} {
		if _, err := s.Advance(ctx, c.ID, tc.to, tc.ch); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid with %q", name, err, tc.want)
		}
	}
	c = must(s.Advance(ctx, c.ID, Calibrating, Change{Actor: "test", InputsHash: "in"}))(t)
	if _, err := s.Advance(ctx, c.ID, Optimizing, Change{Actor: "test", InputsHash: "other"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "inputs hash is in already") {
		t.Errorf("changed inputs hash: %v", err)
	}
	c = must(s.Advance(ctx, c.ID, Optimizing, Change{Actor: "test", InputsHash: "in"}))(t) // the same again is fine
	broken := bytes.Replace(docs.rec, []byte(`"change": false`), []byte(`"change": "no"`), 1)
	for name, tc := range map[string]struct {
		ch   Change
		want string
	}{
		"proposal as recommendation": {Change{Actor: "test", Recommendation: docs.prop}, "want a attune.recommendation/v1 document"},
		"not JSON":                   {Change{Actor: "test", Recommendation: json.RawMessage(`{"schema":`)}, "not valid UTF-8 JSON"},
		"wrong type":                 {Change{Actor: "test", Recommendation: broken}, "cannot unmarshal string"},
		"unknown field":              {Change{Actor: "test", Recommendation: bytes.Replace(docs.rec, []byte(`"dao"`), []byte(`"surprise": 1, "dao"`), 1)}, "unknown field \"surprise\""},
		"invalid UTF-8":              {Change{Actor: "test", Recommendation: json.RawMessage("{\"schema\":\"\xff\"}")}, "not valid UTF-8 JSON"},
		"recommendation as proposal": {Change{Actor: "test", Proposal: docs.rec}, "want a attune.proposal/v1 document"},
	} {
		if _, err := s.Advance(ctx, c.ID, Drafting, tc.ch); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid with %q", name, err, tc.want)
		}
	}
	c = must(s.Advance(ctx, c.ID, Drafting, Change{Actor: "test"}))(t)
	if _, err := s.Advance(ctx, c.ID, PendingReview, Change{Actor: "test", Recommendation: docs.rec}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "recommendation and proposal") {
		t.Errorf("pending review without a proposal: %v", err)
	}
	c = must(s.Advance(ctx, c.ID, PendingReview, Change{Actor: "test", Recommendation: docs.rec, Proposal: docs.prop}))(t)
	if c.State != PendingReview {
		t.Errorf("state %s", c.State)
	}
	// A failure's message is kept, clipped when huge, cleaned of what the
	// database cannot hold.
	f := fresh()
	huge := "calibration: " + strings.Repeat("é", maxError) + "\x00\xff"
	f = must(s.Advance(ctx, f.ID, Failed, Change{Actor: "test", Error: huge}))(t)
	if f.State != Failed || len(f.Error) > maxError || !strings.HasPrefix(f.Error, "calibration: é") || !strings.HasSuffix(f.Error, "(clipped)") {
		t.Errorf("failed: state %s, error of %d bytes ending %q", f.State, len(f.Error), f.Error[max(0, len(f.Error)-20):])
	}
	g := fresh()
	g = must(s.Advance(ctx, g.ID, Failed, Change{Actor: "test", Error: "source: 502 Bad Gateway\x00"}))(t)
	if g.Error != "source: 502 Bad Gateway" {
		t.Errorf("error %q", g.Error)
	}
	for name, nc := range map[string]NewCycle{
		"no DAO":         {Actor: "t", ConfigHash: "c"},
		"no config hash": {Actor: "t", DAO: "d"},
		"no actor":       {DAO: "d", ConfigHash: "c"},
		"long DAO":       {Actor: "t", DAO: strings.Repeat("x", 201), ConfigHash: "c"},
		"newline in DAO": {Actor: "t", DAO: "a\nb", ConfigHash: "c"},
	} {
		if _, err := s.CreateCycle(ctx, nc); !errors.Is(err, ErrInvalid) {
			t.Errorf("create with %s: %v", name, err)
		}
	}
	if _, err := s.Advance(ctx, 99999, Calibrating, Change{Actor: "t"}); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "99999") {
		t.Errorf("advance of an unknown cycle: %v", err)
	}
}

// Only a cycle pending review is reviewed, once, with a reviewer and a
// comment; the decision is kept with the cycle.
func testReview(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	c := toReview(t, s, Key{DAO: "Compound", ConfigHash: "c", InputsHash: "i"}, docs)
	for name, tc := range map[string]struct {
		r    Review
		want string
	}{
		"verdict":      {Review{Verdict: Published, Reviewer: "a", Comment: "x"}, "want approved or rejected"},
		"no reviewer":  {Review{Verdict: Approved, Comment: "x"}, "reviewer is empty"},
		"no comment":   {Review{Verdict: Rejected, Reviewer: "a", Comment: "  \n"}, "comment is empty"},
		"long comment": {Review{Verdict: Rejected, Reviewer: "a", Comment: strings.Repeat("x", maxComment+1)}, "at most 10000"},
		"escape codes": {Review{Verdict: Rejected, Reviewer: "a", Comment: "ok\x1b]8;;http://evil\x07"}, "control character"},
	} {
		if _, err := s.Review(ctx, c.ID, tc.r); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid with %q", name, err, tc.want)
		}
	}
	multi := "Too early.\n\nWait for the\tforum vote."
	c = must(s.Review(ctx, c.ID, Review{Verdict: Rejected, Reviewer: "bob", Comment: multi}))(t)
	if c.State != Rejected || c.Review.Comment != multi || c.Review.Time.IsZero() {
		t.Errorf("rejected: %+v %+v", c.State, c.Review)
	}
	if _, err := s.Review(ctx, c.ID, Review{Verdict: Approved, Reviewer: "alice", Comment: "overrule"}); !errors.Is(err, ErrIllegal) ||
		!strings.Contains(err.Error(), "from rejected to approved") {
		t.Errorf("second review: %v", err)
	}
	list := must(s.Cycles(ctx, Filter{}))(t)
	if len(list) != 1 || list[0].Review == nil || list[0].Review.Reviewer != "bob" || list[0].Recommendation != nil {
		t.Errorf("list: %+v", list)
	}
}

// Publications are recorded for approved cycles, once per sink.
func testPublications(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	c := toReview(t, s, Key{DAO: "Compound", ConfigHash: "c", InputsHash: "i"}, docs)
	receipt := json.RawMessage(`{"id":"snapshot-0x1","url":"https://snapshot.box/#/s/proposal/0x1","files":["proposal.md"]}`)
	if _, err := s.RecordPublication(ctx, c.ID, Publication{Actor: "t", Sink: "snapshot", Receipt: receipt}); !errors.Is(err, ErrIllegal) || !strings.Contains(err.Error(), "pending_review") {
		t.Errorf("publication before approval: %v", err)
	}
	c = must(s.Review(ctx, c.ID, Review{Verdict: Approved, Reviewer: "alice", Comment: "ok"}))(t)
	for name, tc := range map[string]struct {
		p    Publication
		want string
	}{
		"array receipt":  {Publication{Actor: "t", Sink: "x", Receipt: json.RawMessage(`[1]`)}, "not a JSON object"},
		"null receipt":   {Publication{Actor: "t", Sink: "x", Receipt: json.RawMessage(`null`)}, "not a JSON object"},
		"no receipt":     {Publication{Actor: "t", Sink: "x"}, "not a JSON object"},
		"no sink":        {Publication{Actor: "t", Receipt: receipt}, "sink is empty"},
		"huge receipt":   {Publication{Actor: "t", Sink: "x", Receipt: json.RawMessage(`{"a":"` + strings.Repeat("x", maxReceipt) + `"}`)}, "at most"},
		"bad utf-8 sink": {Publication{Actor: "t", Sink: "\xff", Receipt: receipt}, "UTF-8"},
	} {
		if _, err := s.RecordPublication(ctx, c.ID, tc.p); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid with %q", name, err, tc.want)
		}
	}
	must(s.RecordPublication(ctx, c.ID, Publication{Actor: "t", Sink: "snapshot", Receipt: receipt}))(t)
	if _, err := s.RecordPublication(ctx, c.ID, Publication{Actor: "t", Sink: "snapshot", Receipt: receipt}); !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), `"snapshot"`) {
		t.Errorf("second publication by one sink: %v", err)
	}
	must(s.RecordPublication(ctx, c.ID, Publication{Actor: "t", Sink: "forum", Receipt: json.RawMessage(`{"id":"42"}`)}))(t)
	c = must(s.Advance(ctx, c.ID, Published, Change{Actor: "t"}))(t)
	if len(c.Publications) != 2 || !bytes.Equal(c.Publications[1].Receipt, receipt) && !bytes.Equal(c.Publications[0].Receipt, receipt) {
		t.Errorf("publications: %+v", c.Publications)
	}
	if _, err := s.RecordPublication(ctx, c.ID, Publication{Actor: "t", Sink: "late", Receipt: receipt}); !errors.Is(err, ErrIllegal) {
		t.Errorf("publication of a published cycle: %v", err)
	}
	if _, err := s.RecordPublication(ctx, 4242, Publication{Actor: "t", Sink: "x", Receipt: receipt}); !errors.Is(err, ErrNotFound) {
		t.Errorf("publication of an unknown cycle: %v", err)
	}
}

// One pending cycle per key: a second is refused whether the inputs hash
// comes at creation or later, Pending finds the first, and once it is
// done the key is free again.
func testPendingIsUnique(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	k := Key{DAO: "Compound", ConfigHash: "cfg", InputsHash: "in"}
	if _, ok, err := Pending(ctx, s, k); ok || err != nil {
		t.Fatalf("Pending on an empty store: %v %v", ok, err)
	}
	first := toReview(t, s, k, docs)
	p, ok, err := Pending(ctx, s, k)
	if err != nil || !ok || p.ID != first.ID {
		t.Fatalf("Pending: %v %v %v; want cycle %d", p.ID, ok, err, first.ID)
	}
	if _, err := s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: k.DAO, ConfigHash: k.ConfigHash, InputsHash: k.InputsHash}); !errors.Is(err, ErrDuplicate) ||
		!strings.Contains(err.Error(), fmt.Sprintf("cycle %d", first.ID)) || !strings.Contains(err.Error(), "pending_review") {
		t.Errorf("create of a duplicate: %v", err)
	}
	second := must(s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: k.DAO, ConfigHash: k.ConfigHash}))(t)
	if _, err := s.Advance(ctx, second.ID, Calibrating, Change{Actor: "t", InputsHash: k.InputsHash}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("advance into a duplicate: %v", err)
	}
	// The refused cycle fails cleanly, recording what it read.
	second = must(s.Advance(ctx, second.ID, Failed, Change{Actor: "t", InputsHash: k.InputsHash, Error: "duplicate of a pending cycle"}))(t)
	if second.InputsHash != k.InputsHash {
		t.Errorf("failed duplicate: inputs %q", second.InputsHash)
	}
	// Another config or DAO is another key.
	for _, other := range []Key{{"Compound", "cfg2", "in"}, {"Aave", "cfg", "in"}, {"Compound", "cfg", "in2"}} {
		must(s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: other.DAO, ConfigHash: other.ConfigHash, InputsHash: other.InputsHash}))(t)
	}
	must(s.Review(ctx, first.ID, Review{Verdict: Rejected, Reviewer: "bob", Comment: "no"}))(t)
	if _, ok, _ := Pending(ctx, s, k); ok {
		t.Error("a rejected cycle is still pending")
	}
	third := must(s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: k.DAO, ConfigHash: k.ConfigHash, InputsHash: k.InputsHash}))(t)
	if p, ok, _ := Pending(ctx, s, k); !ok || p.ID != third.ID {
		t.Errorf("after rejection Pending gives %d %v, want %d", p.ID, ok, third.ID)
	}
	if _, _, err := Pending(ctx, s, Key{DAO: "Compound"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Pending with a partial key: %v", err)
	}
}

// Goroutines on two handles create cycles of one key at once: exactly one
// succeeds, the others get ErrDuplicate, and the log has one entry.
func testConcurrentCreatesOfOneKey(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	sq, ok := s.(*SQL)
	if !ok {
		t.Skip("needs a second handle on the same database")
	}
	other := openT(t, sq.dsn)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		h := Store(s)
		if i%2 == 1 {
			h = other
		}
		wg.Go(func() {
			_, errs[i] = h.CreateCycle(ctx, NewCycle{Actor: "t", DAO: "Compound", ConfigHash: "c", InputsHash: "i"})
		})
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, ErrDuplicate):
			t.Errorf("unexpected error: %v", err)
		}
	}
	v := must(s.Verify(ctx))(t)
	if created != 1 || v.Entries != 1 || v.Err() != nil {
		t.Errorf("%d created, %d audit entries (%v); want 1 and 1", created, v.Entries, v.Err())
	}
}

// Cycles selects by DAO, key, state and proposal, newest first, in pages.
func testFilters(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	var ids []int64
	for i, dao := range []string{"Compound", "Aave", "Compound", "Compound"} {
		k := Key{DAO: dao, ConfigHash: "c", InputsHash: fmt.Sprint("in", i)}
		if i == 2 {
			ids = append(ids, toReview(t, s, k, docs).ID)
			continue
		}
		ids = append(ids, must(s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: k.DAO, ConfigHash: k.ConfigHash, InputsHash: k.InputsHash}))(t).ID)
	}
	idsOf := func(cs []Cycle) string {
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprint(c.ID))
		}
		return strings.Join(out, ",")
	}
	join := func(xs ...int64) string {
		var out []string
		for _, x := range xs {
			out = append(out, fmt.Sprint(x))
		}
		return strings.Join(out, ",")
	}
	for name, tc := range map[string]struct {
		f    Filter
		want string
	}{
		"all":           {Filter{}, join(ids[3], ids[2], ids[1], ids[0])},
		"dao":           {Filter{DAO: "Compound"}, join(ids[3], ids[2], ids[0])},
		"state":         {Filter{States: []State{PendingReview}}, join(ids[2])},
		"with proposal": {Filter{WithProposal: true}, join(ids[2])},
		"key":           {Filter{DAO: "Compound", ConfigHash: "c", InputsHash: "in3"}, join(ids[3])},
		"page":          {Filter{Before: ids[2], Limit: 1}, join(ids[1])},
		"limit":         {Filter{Limit: 2}, join(ids[3], ids[2])},
		"none":          {Filter{DAO: "Uniswap"}, ""},
	} {
		if got := idsOf(must(s.Cycles(ctx, tc.f))(t)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	if _, err := s.Cycles(ctx, Filter{States: []State{"done"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown state: %v", err)
	}
	listed := must(s.Cycles(ctx, Filter{WithProposal: true}))(t)[0]
	if listed.Title == "" || listed.Proposal != nil || listed.Recommendation != nil {
		t.Errorf("listed cycle: title %q, documents %d/%d bytes (lists carry no documents)", listed.Title, len(listed.Proposal), len(listed.Recommendation))
	}
}

// A restarted process finds the cycles to resume or fail: those in the
// pending states, and only those.
func testResume(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	want := map[int64]State{}
	for _, st := range States {
		c := inState(t, s, st, 1, docs)
		if !st.Terminal() {
			want[c.ID] = st
		}
	}
	got := must(s.Cycles(ctx, Filter{States: PendingStates()}))(t)
	if len(got) != len(want) {
		t.Errorf("%d cycles to resume, want %d", len(got), len(want))
	}
	for _, c := range got {
		if want[c.ID] != c.State {
			t.Errorf("cycle %d in %s listed for resumption", c.ID, c.State)
		}
		// Each can be failed cleanly.
		f := must(s.Advance(ctx, c.ID, Failed, Change{Actor: "attune serve", Error: "interrupted: the process stopped in " + string(c.State)}))(t)
		if f.State != Failed {
			t.Errorf("cycle %d: %s", f.ID, f.State)
		}
	}
	if left := must(s.Cycles(ctx, Filter{States: PendingStates()}))(t); len(left) != 0 {
		t.Errorf("%d cycles left pending", len(left))
	}
}

// A cycle in flight is marked resumed or stopped in the audit log, its
// row unchanged; Runs counts its runs and those that died; a cycle not
// in flight, a bad event or actor, a missing cycle are refused.
func testMark(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	c := must(s.CreateCycle(ctx, NewCycle{Actor: "serve@a", DAO: "Compound", ConfigHash: "cfg"}))(t)
	// Started by a, which died; resumed by b, which stopped on purpose;
	// resumed by c, which advanced it and died.
	if err := s.Mark(ctx, c.ID, Mark{Actor: "serve@b", Event: Resumed}); err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(ctx, c.ID, Mark{Actor: "serve@b", Event: Stopped}); err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(ctx, c.ID, Mark{Actor: "serve@c", Event: Resumed}); err != nil {
		t.Fatal(err)
	}
	after := must(s.Advance(ctx, c.ID, Calibrating, Change{Actor: "serve@c", InputsHash: "in"}))(t)
	es := must(s.Audit(ctx, AuditFilter{Subject: CycleSubject(c.ID)}))(t)
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
	}
	if want := []string{ActionCreate, ActionResume, ActionStop, ActionResume, ActionAdvance}; strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("audit %v, want %v", actions, want)
	}
	if runs, died := Runs(es); runs != 3 || died != 2 {
		t.Errorf("Runs = %d, %d died; want 3 and 2", runs, died)
	}
	if !strings.Contains(string(es[1].Detail), `"state":"fetching"`) || es[1].Actor != "serve@b" {
		t.Errorf("the resume's entry: %s by %s", es[1].Detail, es[1].Actor)
	}
	if got := must(s.Cycle(ctx, c.ID))(t); !got.Updated.Equal(after.Updated) || got.State != Calibrating {
		t.Errorf("a mark changed the row: %+v", got)
	}
	if err := s.Mark(ctx, c.ID, Mark{Actor: "serve@c", Event: Stopped}); err != nil {
		t.Fatal(err)
	}
	if runs, died := Runs(must(s.Audit(ctx, AuditFilter{Subject: CycleSubject(c.ID)}))(t)); runs != 3 || died != 1 {
		t.Errorf("after a stop, Runs = %d, %d died; want 3 and 1", runs, died)
	}

	must(s.Advance(ctx, c.ID, Failed, Change{Actor: "t", Error: "gave up"}))(t)
	for name, tc := range map[string]struct {
		id   int64
		m    Mark
		want error
	}{
		"not in flight": {c.ID, Mark{Actor: "t", Event: Resumed}, ErrIllegal},
		"no such cycle": {c.ID + 100, Mark{Actor: "t", Event: Resumed}, ErrNotFound},
		"no actor":      {c.ID, Mark{Event: Resumed}, ErrInvalid},
		"bad event":     {c.ID, Mark{Actor: "t", Event: "cycle.paused"}, ErrInvalid},
	} {
		if err := s.Mark(ctx, tc.id, tc.m); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if v := must(s.Verify(ctx))(t); v.Err() != nil {
		t.Error(v.Err())
	}
}

// One holder of a DAO's lock at a time, across handles; other DAOs are
// independent; a released lock can be taken again.
func testLock(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	var other Store = s
	if sq, ok := s.(*SQL); ok {
		other = openT(t, sq.dsn)
	}
	release := must(s.Lock(ctx, "Compound"))(t)
	for _, h := range []Store{s, other} {
		if _, err := h.Lock(ctx, "Compound"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "Compound") {
			t.Errorf("second lock: %v; want ErrLocked naming the DAO", err)
		}
	}
	releaseAave := must(other.Lock(ctx, "Aave"))(t)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	again := must(other.Lock(ctx, "Compound"))(t)
	if err := again(); err != nil {
		t.Error(err)
	}
	if err := releaseAave(); err != nil {
		t.Error(err)
	}
	if _, err := s.Lock(ctx, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("lock of an empty DAO: %v", err)
	}
}

// Every change appends exactly one entry, numbered in order and chained.
func testAuditRecordsEveryChange(t *testing.T, open func(testing.TB) Store) {
	s := open(t)
	docs := goldenDocs(t, "compound")
	c := toReview(t, s, Key{DAO: "Compound", ConfigHash: "c", InputsHash: "i"}, docs) // 5 changes
	must(s.Review(ctx, c.ID, Review{Verdict: Approved, Reviewer: "alice", Comment: "ok"}))(t)
	must(s.RecordPublication(ctx, c.ID, Publication{Actor: "t", Sink: "md", Receipt: json.RawMessage(`{"id":"1"}`)}))(t)
	es := must(s.Audit(ctx, AuditFilter{}))(t)
	if len(es) != 7 {
		t.Fatalf("%d entries after 7 changes", len(es))
	}
	prev := ZeroHash
	for i, e := range es {
		if e.Seq != int64(i+1) || e.PrevHash != prev || e.Hash != e.ComputeHash() || e.Subject != CycleSubject(c.ID) || e.Time.IsZero() || !json.Valid(e.Detail) {
			t.Errorf("entry %d: %+v", i+1, e)
		}
		prev = e.Hash
	}
	if page := must(s.Audit(ctx, AuditFilter{After: 5, Limit: 1}))(t); len(page) != 1 || page[0].Seq != 6 || page[0].Action != ActionReview || page[0].Actor != "alice" {
		t.Errorf("page: %+v", page)
	}
	if other := must(s.Audit(ctx, AuditFilter{Subject: CycleSubject(c.ID + 1)}))(t); len(other) != 0 {
		t.Errorf("%d entries about another cycle", len(other))
	}
}
