package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/service"
	"github.com/attune-dao/attune/store"
)

// decodeDoc checks that body is a valid document of its schema and
// decodes it strictly into v.
func decodeDoc(t testing.TB, body []byte, v any) {
	t.Helper()
	// Decode into a zero value, as a client would.
	reflect.ValueOf(v).Elem().SetZero()
	if err := schema.Validate(body); err != nil {
		t.Fatalf("the answer fails its schema: %v\n%.400s", err, body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
}

// wantError checks an error answer: the status, and a JSON body of
// exactly {error, detail} with the code and a detail that says
// something.
func wantError(t testing.TB, status int, body []byte, wantStatus int, wantCode string) apiError {
	t.Helper()
	var e apiError
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("the error body is not {error, detail}: %v: %s", err, body)
	}
	if status != wantStatus || e.Error != wantCode || len(e.Detail) < 10 {
		t.Fatalf("got %d %+v; want %d %s with a detail", status, e, wantStatus, wantCode)
	}
	return e
}

// The API on each store: reading, filtering, reviewing, publishing,
// running and verifying, each with the role it needs.
func TestAPI(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) { testAPI(t, be) })
	}
}

func testAPI(t *testing.T, be backend) {
	f := newFixture(t, be.dsn(t), Options{Version: "test"})

	// Lists: newest first, filtered, paged.
	status, _, body := f.call(t, "GET", "/api/v1/cycles", viewerSecret, "")
	var list schema.CyclesDoc
	decodeDoc(t, body, &list)
	if status != 200 || len(list.Cycles) != 4 || list.Cycles[0].ID != f.cycles["change"].ID {
		t.Fatalf("list: %d, %+v", status, list)
	}
	for _, c := range list.Cycles {
		if c.State != "pending_review" || c.Title == "" {
			t.Errorf("cycle %d listed as %s %q", c.ID, c.State, c.Title)
		}
	}
	if !list.Cycles[0].Change || list.Cycles[1].Change {
		t.Error("the listed change flags are not the proposals'")
	}
	_, h, body := f.call(t, "GET", "/api/v1/cycles?dao=Compound&limit=1", viewerSecret, "")
	decodeDoc(t, body, &list)
	next := fmt.Sprintf(`</api/v1/cycles?before=%d&dao=Compound&limit=1>; rel="next"`, f.cycles["change"].ID)
	if len(list.Cycles) != 1 || list.Cycles[0].ID != f.cycles["change"].ID || h.Get("Link") != next {
		t.Fatalf("first page of Compound's: %+v, Link %q", list, h.Get("Link"))
	}
	_, h, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles?dao=Compound&limit=1&before=%d", f.cycles["change"].ID), viewerSecret, "")
	decodeDoc(t, body, &list)
	if len(list.Cycles) != 1 || list.Cycles[0].ID != f.cycles["compound"].ID || h.Get("Link") != "" {
		t.Fatalf("second page of Compound's: %+v, Link %q", list, h.Get("Link"))
	}
	_, _, body = f.call(t, "GET", "/api/v1/cycles?state=failed,rejected", viewerSecret, "")
	decodeDoc(t, body, &list)
	if len(list.Cycles) != 0 {
		t.Errorf("no cycle failed or was rejected, yet %d are listed", len(list.Cycles))
	}
	_, _, body = f.call(t, "GET", "/api/v1/proposals?state=pending_review", viewerSecret, "")
	decodeDoc(t, body, &list)
	if len(list.Cycles) != 4 {
		t.Errorf("%d proposals pending review, want 4", len(list.Cycles))
	}

	// One cycle whole, its proposal as stored, its trials.
	id := f.cycles["change"].ID
	status, _, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d", id), viewerSecret, "")
	var doc schema.CycleDoc
	decodeDoc(t, body, &doc)
	g := readGolden(t, "testdata/compound-change")
	if status != 200 || doc.Cycle.ID != id || doc.Recommendation == nil || doc.Proposal == nil || doc.Proposal.Title != g.doc.Title ||
		doc.Recommendation.Params[0].Name != g.rec0.Params[0].Name || len(doc.Publications) != 0 || doc.Cycle.DAO != "Compound" || len(doc.History) != 5 {
		t.Fatalf("cycle %d: %d %+v, %d history entries", id, status, doc.Cycle, len(doc.History))
	}
	_, h, body = f.call(t, "GET", fmt.Sprintf("/api/v1/proposals/%d", id), viewerSecret, "")
	if !bytes.Equal(body, g.prop) || h.Get("Content-Type") != "application/json" {
		t.Error("the proposal answered is not the proposal stored")
	}
	_, _, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d/trials", id), viewerSecret, "")
	var trials schema.TrialsDoc
	decodeDoc(t, body, &trials)
	if trials.CycleID != g.rec0.CycleID || len(trials.Searches) != 3 {
		t.Errorf("trials of cycle %s: %s with %d searches", g.rec0.CycleID, trials.CycleID, len(trials.Searches))
	}

	// The diff from the DAO's previous cycle: Compound's no-change cycle.
	_, _, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d/diff", id), viewerSecret, "")
	var diff schema.CycleDiffDoc
	decodeDoc(t, body, &diff)
	if diff.A.ID != f.cycles["compound"].ID || diff.B.ID != id || diff.A.Change || !diff.B.Change || !diff.SameConfig || diff.SameInputs {
		t.Fatalf("diff: %+v %+v", diff.A, diff.B)
	}
	moved := 0
	for _, p := range diff.Params {
		if p.A.Current != p.B.Current || p.A.Recommended != p.B.Recommended {
			moved++
			if p.Name != "proposal_threshold" || p.B.Recommended != 0.0013 || p.A.Recommended != 0.0025 {
				t.Errorf("moved: %+v %+v %+v", p, p.A, p.B)
			}
		}
	}
	if moved != 1 || diff.Effects[0].Name != "score" || diff.Effects[0].B.CI.Lo <= 0 {
		t.Errorf("%d parameters moved, score %+v; want proposal_threshold and a better score", moved, diff.Effects[0])
	}
	status, _, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d/diff?against=%d", id, f.cycles["aave"].ID), viewerSecret, "")
	decodeDoc(t, body, &diff)
	if status != 200 || diff.A.DAO != "Aave" || diff.SameConfig {
		t.Errorf("diff against Aave's: %d %+v", status, diff.A)
	}
	status, _, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d/diff", f.cycles["compound"].ID), viewerSecret, "")
	wantError(t, status, body, 404, "not_found")
	status, _, body = f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d/diff?against=x", id), viewerSecret, "")
	wantError(t, status, body, 400, "bad_request")

	// A viewer and an admin cannot approve; nothing changes.
	approve := fmt.Sprintf("/api/v1/proposals/%d/approve", id)
	for _, secret := range []string{viewerSecret, adminSecret} {
		status, _, body = f.call(t, "POST", approve, secret, `{"comment": "looks good"}`)
		wantError(t, status, body, 403, "forbidden")
	}
	if c, _ := f.st.Cycle(context.Background(), id); c.State != store.PendingReview || len(f.pub.calls) != 0 {
		t.Fatalf("a refused approval changed the cycle: %s, %d publications", c.State, len(f.pub.calls))
	}
	// Bad bodies are refused with what is wrong.
	for _, bad := range []struct {
		body, code string
		status     int
	}{
		{`{"comment": ""}`, "bad_request", 400},
		{`{"comment": "ok", "verdict": "approved"}`, "bad_request", 400},
		{`{"comment": "ok"} {}`, "bad_request", 400},
		{`["ok"]`, "bad_request", 400},
		{`{"comment": "a\u0000b"}`, "bad_request", 400},
		{`{"comment": "` + strings.Repeat("x", maxJSONBody) + `"}`, "payload_too_large", 413},
	} {
		status, _, body = f.call(t, "POST", approve, stewardSecret, bad.body)
		wantError(t, status, body, bad.status, bad.code)
	}
	req := `{"comment": "lower threshold, as the data support"}`
	status, _, body = f.call(t, "POST", approve, stewardSecret, req)
	decodeDoc(t, body, &doc)
	if status != 200 || doc.Cycle.State != "published" || doc.Cycle.Review == nil || doc.Cycle.Review.Reviewer != "sam" || len(doc.Publications) != 1 ||
		doc.Publications[0].Sink != "forum-draft" || doc.Publications[0].Receipt["id"] != "attune:Compound" || len(f.pub.calls) != 1 || f.pub.calls[0] != "Compound/sam" {
		t.Fatalf("approve: %d %+v, publish calls %v", status, doc.Cycle, f.pub.calls)
	}
	if last := doc.History[len(doc.History)-1]; last.Action != store.ActionAdvance || last.Actor != "sam" || last.Detail["to"] != "published" {
		t.Errorf("the cycle's history ends with %+v", last)
	}
	status, _, body = f.call(t, "POST", approve, stewardSecret, req)
	if e := wantError(t, status, body, 409, "conflict"); !strings.Contains(e.Detail, "published") {
		t.Errorf("a second approval: %s", e.Detail)
	}

	// Rejecting publishes nothing.
	rid := f.cycles["aave"].ID
	status, _, body = f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/reject", rid), stewardSecret, `{"comment":"not now"}`)
	decodeDoc(t, body, &doc)
	if status != 200 || doc.Cycle.State != "rejected" || len(f.pub.calls) != 1 {
		t.Errorf("reject: %d %s, publish calls %v", status, doc.Cycle.State, f.pub.calls)
	}

	// A proposal of no change is not approved; it may be rejected.
	lido := f.cycles["lido"].ID
	status, _, body = f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/approve", lido), stewardSecret, `{"comment":"fine"}`)
	if e := wantError(t, status, body, 409, "no_change"); !strings.Contains(e.Detail, "recommends no change") || !strings.Contains(e.Detail, "reject it") {
		t.Errorf("approving no change: %s", e.Detail)
	}
	if c, _ := f.st.Cycle(context.Background(), lido); c.State != store.PendingReview || len(f.pub.calls) != 1 {
		t.Fatalf("a refused approval of no change: %s, publish calls %v", c.State, f.pub.calls)
	}
	status, _, body = f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/reject", lido), stewardSecret, `{"comment":"nothing to change"}`)
	if decodeDoc(t, body, &doc); status != 200 || doc.Cycle.State != "rejected" {
		t.Errorf("rejecting no change: %d %s", status, doc.Cycle.State)
	}

	// A publication that fails leaves the cycle approved, and a retry
	// publishes it.
	lid := f.addChange(t).ID
	f.pub.fail = errors.New("forum answered 503 Service Unavailable")
	status, _, body = f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/approve", lid), stewardSecret, `{"comment":"fine"}`)
	if e := wantError(t, status, body, 502, "publish_failed"); !strings.Contains(e.Detail, "503 Service Unavailable") || !strings.Contains(e.Detail, "/publish") {
		t.Errorf("failed publication: %s", e.Detail)
	}
	if c, _ := f.st.Cycle(context.Background(), lid); c.State != store.Approved {
		t.Fatalf("after a failed publication the cycle is %s", c.State)
	}
	f.pub.fail = nil
	publish := fmt.Sprintf("/api/v1/proposals/%d/publish", lid)
	status, _, body = f.call(t, "POST", publish, viewerSecret, "")
	wantError(t, status, body, 403, "forbidden")
	status, _, body = f.call(t, "POST", publish, stewardSecret, "")
	decodeDoc(t, body, &doc)
	if status != 200 || doc.Cycle.State != "published" {
		t.Fatalf("retry: %d %s", status, doc.Cycle.State)
	}
	status, _, body = f.call(t, "POST", publish, stewardSecret, "")
	wantError(t, status, body, 409, "conflict")

	// Running a cycle now.
	status, _, body = f.call(t, "POST", "/api/v1/runs", viewerSecret, `{"dao":"Aave"}`)
	wantError(t, status, body, 403, "forbidden")
	status, h, body = f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Aave"}`)
	decodeDoc(t, body, &doc)
	if status != 202 || doc.Cycle.State != "fetching" || doc.Cycle.DAO != "Aave" || h.Get("Location") != fmt.Sprintf("/api/v1/cycles/%d", doc.Cycle.ID) {
		t.Fatalf("run: %d %+v at %q", status, doc.Cycle, h.Get("Location"))
	}
	status, _, body = f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Uniswap"}`)
	wantError(t, status, body, 404, "not_found")
	release, err := f.st.Lock(context.Background(), "Lido")
	if err != nil {
		t.Fatal(err)
	}
	status, _, body = f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Lido"}`)
	wantError(t, status, body, 409, "conflict")
	_ = release()
	// Nothing changed since a cycle: 200 and that cycle, nothing started.
	aave := f.cycles["aave"].ID
	const secretURL = "https://api.example.org/v1?apikey=k-SECRET"
	f.srv.opt.Runner = runner{st: f.st, daos: map[string]bool{"Aave": true, "Lido": true}, unchanged: map[string]int64{"Aave": aave},
		fail: map[string]error{"Lido": fmt.Errorf("%w: GET %s: 502 Bad Gateway", service.ErrRetrying, secretURL)}}
	n := len(cycles(t, f.st))
	status, h, body = f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Aave"}`)
	decodeDoc(t, body, &doc)
	if status != 200 || doc.Cycle.ID != aave || h.Get("Location") != fmt.Sprintf("/api/v1/cycles/%d", aave) || len(cycles(t, f.st)) != n {
		t.Errorf("a run on unchanged data: %d %+v at %q, %d cycles (were %d)", status, doc.Cycle, h.Get("Location"), len(cycles(t, f.st)), n)
	}
	// Every worker busy: 409, saying so.
	f.srv.opt.Runner = runner{st: f.st, daos: map[string]bool{"Aave": true},
		fail: map[string]error{"Aave": fmt.Errorf("%w: %w: %w", service.ErrBusy, service.ErrNoWorker, store.ErrLocked)}}
	status, _, body = f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Aave"}`)
	if e := wantError(t, status, body, 409, "conflict"); !strings.Contains(e.Detail, "every worker") {
		t.Errorf("a run while every worker is busy: %s", e.Detail)
	}
	f.srv.opt.Runner = runner{st: f.st, daos: map[string]bool{"Lido": true},
		fail: map[string]error{"Lido": fmt.Errorf("%w: GET %s: 502 Bad Gateway", service.ErrRetrying, secretURL)}}
	// Data that cannot be read for now: 503, without the source's address.
	status, _, body = f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Lido"}`)
	if e := wantError(t, status, body, 503, "unavailable"); strings.Contains(e.Detail, "SECRET") || !strings.Contains(e.Detail, "tries again") {
		t.Errorf("a run whose data cannot be read: %s", e.Detail)
	}

	// The audit log: an admin's.
	status, _, body = f.call(t, "GET", "/api/v1/audit/verify", stewardSecret, "")
	wantError(t, status, body, 403, "forbidden")
	status, _, body = f.call(t, "GET", "/api/v1/audit/verify", adminSecret, "")
	var ver schema.AuditDoc
	decodeDoc(t, body, &ver)
	// 5 cycles × 5 entries, 4 reviews, 2 publications and 2 advances to
	// published, 1 cycle run.
	if status != 200 || !ver.OK || ver.Entries != 34 || !strings.HasPrefix(ver.Head, "34:") {
		t.Errorf("verify: %d %+v", status, ver)
	}
	status, _, body = f.call(t, "GET", "/api/v1/audit/verify?head="+ver.Head, adminSecret, "")
	decodeDoc(t, body, &ver)
	if status != 200 || !ver.OK || ver.Checked == "" {
		t.Errorf("verify against the head: %d %+v", status, ver)
	}
	forged := "27:" + strings.Repeat("ab", 32)
	status, _, body = f.call(t, "GET", "/api/v1/audit/verify?head="+forged, adminSecret, "")
	decodeDoc(t, body, &ver)
	if status != 200 || ver.OK || ver.Problem == nil || ver.Problem.Kind != "rewritten" || ver.Problem.Seq != 27 {
		t.Errorf("verify against a head the log does not hold: %d %+v", status, ver)
	}
	status, _, body = f.call(t, "GET", "/api/v1/audit/verify?head=27", adminSecret, "")
	wantError(t, status, body, 400, "bad_request")

	// No secret reaches the log.
	for _, secret := range []string{viewerSecret, stewardSecret, adminSecret} {
		if strings.Contains(f.log.String(), secret) {
			t.Fatal("a token is in the log")
		}
	}
	if !strings.Contains(f.log.String(), "user=sam") {
		t.Error("the log does not name who approved")
	}
}

// Requests the API refuses before reading anything: no or a wrong
// token, an unknown path or method, a malformed query or body.
func TestAPIRefusals(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	status, h, body := f.call(t, "GET", "/api/v1/cycles", "", "")
	wantError(t, status, body, 401, "unauthorized")
	if h.Get("WWW-Authenticate") != `Bearer realm="attune"` {
		t.Errorf("WWW-Authenticate %q", h.Get("WWW-Authenticate"))
	}
	status, h, body = f.call(t, "GET", "/api/v1/cycles", stewardSecret+"x", "")
	wantError(t, status, body, 401, "unauthorized")
	if !strings.Contains(h.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("WWW-Authenticate %q", h.Get("WWW-Authenticate"))
	}
	req := func(method, path, ctype, body string) (int, http.Header, []byte) {
		status, h, b := f.call(t, method, path, stewardSecret, body)
		if ctype != "" {
			r, _ := http.NewRequest(method, path, strings.NewReader(body))
			r.Header.Set("Content-Type", ctype)
			r.Header.Set("Authorization", "Bearer "+stewardSecret)
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, r)
			return w.Code, w.Header(), w.Body.Bytes()
		}
		return status, h, b
	}
	for _, tc := range []struct {
		method, path, ctype, body string
		status                    int
		code                      string
	}{
		{"GET", "/api/v1/cycles?limit=0", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles?limit=501", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles?stat=failed", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles?state=done", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles?dao=a&dao=b", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles?before=-1", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles?a=%zz", "", "", 400, "bad_request"},
		{"GET", "/api/v1/cycles/0", "", "", 404, "not_found"},
		{"GET", "/api/v1/cycles/01", "", "", 404, "not_found"},
		{"GET", "/api/v1/cycles/999", "", "", 404, "not_found"},
		{"GET", "/api/v1/proposals/abc", "", "", 404, "not_found"},
		{"GET", "/api/v1/nothing", "", "", 404, "not_found"},
		{"PUT", "/api/v1/cycles", "", "", 405, "method_not_allowed"},
		{"GET", "/api/v1/proposals/1/approve", "", "", 405, "method_not_allowed"},
		{"POST", "/api/v1/proposals/1/approve", "text/plain", `{"comment":"x"}`, 415, "unsupported_media_type"},
		{"POST", "/api/v1/proposals/1/approve", "application/json", ``, 400, "bad_request"},
		{"POST", "/api/v1/proposals/1/approve", "application/json", `{"comment": 3}`, 400, "bad_request"},
		{"POST", "/api/v1/runs", "application/json", `{"dao": ""}`, 400, "bad_request"},
	} {
		status, h, body := req(tc.method, tc.path, tc.ctype, tc.body)
		e := wantError(t, status, body, tc.status, tc.code)
		if tc.status == 405 && h.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
		if strings.Contains(e.Detail, "sqlite:") || strings.Contains(e.Detail, "postgres") {
			t.Errorf("%s %s: the detail names the database: %s", tc.method, tc.path, e.Detail)
		}
	}
}

// Without a runner or a publish hook, running and publishing are not
// implemented, and approval only records the decision.
func TestAPIWithoutRunnerOrPublisher(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	f.srv.opt.Runner, f.srv.opt.Publish = nil, nil
	status, _, body := f.call(t, "POST", "/api/v1/runs", stewardSecret, `{"dao":"Aave"}`)
	wantError(t, status, body, 501, "not_implemented")
	id := f.cycles["change"].ID
	status, _, body = f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/approve", id), stewardSecret, `{"comment":"yes"}`)
	var doc schema.CycleDoc
	decodeDoc(t, body, &doc)
	if status != 200 || doc.Cycle.State != "approved" {
		t.Fatalf("approve without a publisher: %d %s", status, doc.Cycle.State)
	}
	status, _, body = f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/publish", id), stewardSecret, "")
	wantError(t, status, body, 501, "not_implemented")
}
