package loop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/discourse/discoursetest"
	"github.com/attune-dao/attune/adapters/github/githubtest"
	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/adapters/webhook/webhooktest"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

const fixtureID = "2026-10-28-4018bc275ab6"

// The secrets the tests' sinks use: distinctive, so that a test can look
// for them in every file written.
var secrets = map[string]string{
	"DISCOURSE_API_KEY":   "dk_5e1f0c2a9b8d7e6f-SECRET-DISCOURSE",
	"GITHUB_TOKEN":        "github_pat_SECRET_GITHUB_0001",
	"ATTUNE_HOOK_SECRET":  "whsec_SECRET_WEBHOOK_0002",
	"DISCORD_WEBHOOK_URL": "",
}

// world is the fake destinations of a publish.
type world struct {
	forum *discoursetest.Server
	gh    *githubtest.Server
	hook  *webhooktest.Receiver
	sinks string
}

func newWorld(t *testing.T, retries int) *world {
	t.Helper()
	forum, fsrv := discoursetest.New(secrets["DISCOURSE_API_KEY"])
	gh, gsrv := githubtest.New(secrets["GITHUB_TOKEN"])
	hook, hsrv := webhooktest.NewReceiver(secrets["ATTUNE_HOOK_SECRET"])
	t.Cleanup(func() { fsrv.Close(); gsrv.Close(); hsrv.Close() })
	sinks := fmt.Sprintf(`  - {type: discourse, name: forum, base_url: %q, category: 7, api_username: attune-bot, api_key: {env: DISCOURSE_API_KEY}, max_retries: %d}
  - {type: github, repo: example-dao/governance, api_url: %q, token: {env: GITHUB_TOKEN}, labels: [governance], max_retries: %d}
  - {type: markdown, dir: posts}
  - {type: webhook, name: hook, url: %q, secret: {env: ATTUNE_HOOK_SECRET}, max_retries: %d}
`, fsrv.URL, retries, gsrv.URL, retries, hsrv.URL+"/attune", retries)
	return &world{forum: forum, gh: gh, hook: hook, sinks: sinks}
}

func opts(approver string) PublishOptions {
	return PublishOptions{Approver: approver, Version: "test", Env: adapters.Env{Getenv: func(k string) string { return secrets[k] }}}
}

func statuses(doc *schema.PublishDoc) string {
	var s []string
	for _, r := range doc.Sinks {
		s = append(s, r.Name+"="+r.Status)
	}
	return strings.Join(s, " ")
}

func readRecord(t *testing.T, dir, name string) publishRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, PublishedDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r publishRecord
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Every sink publishes once; publishing again sends nothing, as the
// servers' counts show; later sinks link to earlier ones.
func TestPublishOnceToEverySink(t *testing.T) {
	w := newWorld(t, 2)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	ctx := context.Background()
	doc, err := Publish(ctx, dir, opts("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(doc); got != "forum=published github=published markdown=published hook=published" {
		t.Fatalf("statuses %s", got)
	}
	if doc.Approval == nil || doc.Approval.Approver != "alice" || len(doc.Approval.Sinks) != 4 || doc.Key != "attune:"+fixtureID {
		t.Errorf("doc %+v", doc)
	}
	forum, gh := doc.Sinks[0], doc.Sinks[1]
	if forum.ID != "4821" || !strings.HasSuffix(forum.URL, "/t/example-dao-adjust-the-quorum-the-proposal-threshold-and-the-voting-period/4821") || gh.ID != "42" {
		t.Errorf("receipts %+v %+v", forum, gh)
	}
	post := filepath.Join(dir, "posts", fixtureID, "post.md")
	if _, err := os.Stat(post); err != nil {
		t.Errorf("markdown: %v (relative dir against the cycle's config)", err)
	}
	evs := w.hook.Events()
	if len(evs) != 1 || len(evs[0].Links) != 2 || evs[0].Links[0].URL != forum.URL || evs[0].Links[1].URL != "https://github.com/example-dao/governance/issues/42" {
		t.Errorf("the webhook's links: %+v", evs)
	}
	for _, name := range []string{"forum", "github", "markdown", "hook"} {
		if r := readRecord(t, dir, name); r.State != statePublished || r.Attempts != 1 || r.Approver != "alice" || r.Receipt == nil || r.ProposalSHA256 == "" {
			t.Errorf("record %s: %+v", name, r)
		}
	}

	doc, err = Publish(ctx, dir, opts("bob"))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(doc); got != "forum=already_published github=already_published markdown=already_published hook=already_published" {
		t.Errorf("second publish: %s", got)
	}
	if w.forum.Calls("POST /posts.json") != 1 || w.forum.Calls("POST /uploads.json") != 1 || w.gh.Calls("POST issues") != 1 || w.hook.Requests() != 1 ||
		w.forum.Calls("GET /t/external_id")+w.gh.Calls("GET issues") != 0 {
		t.Errorf("the second publish reached a server: %d posts, %d uploads, %d issues, %d hooks", w.forum.Calls("POST /posts.json"),
			w.forum.Calls("POST /uploads.json"), w.gh.Calls("POST issues"), w.hook.Requests())
	}
	var approvals []schema.Approval
	b, _ := os.ReadFile(filepath.Join(dir, ApprovalFile))
	if json.Unmarshal(b, &approvals) != nil || len(approvals) != 2 || approvals[0].Approver != "alice" || approvals[1].Approver != "bob" ||
		approvals[0].ProposalSHA256 != hashHex(mustRead(t, filepath.Join(dir, "proposal.json"))) {
		t.Errorf("approvals %s", b)
	}
	// --sink picks sinks; an unknown name is refused naming the known.
	if doc, err := Publish(ctx, dir, PublishOptions{Sinks: []string{"hook"}, Approver: "carol", Env: opts("").Env}); err != nil || statuses(doc) != "hook=already_published" {
		t.Errorf("--sink hook: %v %v", doc, err)
	}
	if _, err := Publish(ctx, dir, PublishOptions{Sinks: []string{"forom"}, Approver: "carol"}); !errors.Is(err, ErrNoSink) || !strings.Contains(err.Error(), "forum, github, markdown, hook") {
		t.Errorf("unknown sink: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A failing sink is reported and the others publish; publishing again
// retries only it. A failure that may have delivered is checked with the
// sink's Finder first; one that surely did not is sent again at once.
func TestFailThenRetry(t *testing.T) {
	w := newWorld(t, 0)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	ctx := context.Background()
	w.gh.Push(githubtest.ServerError)                                       // may have opened the issue
	w.hook.Push(sinktest.Reply{Status: 403, Body: `{"error":"forbidden"}`}) // surely delivered nothing
	doc, err := Publish(ctx, dir, opts("alice"))
	if err == nil || !strings.Contains(err.Error(), "sink github") || !strings.Contains(err.Error(), "sink hook") {
		t.Fatalf("err %v", err)
	}
	if got := statuses(doc); got != "forum=published github=failed markdown=published hook=failed" {
		t.Fatalf("statuses %s", got)
	}
	if r := readRecord(t, dir, "github"); r.State != stateFailed || r.NotSent || !strings.Contains(r.Error, "HTTP 500") {
		t.Errorf("github record %+v", r)
	}
	if r := readRecord(t, dir, "hook"); r.State != stateFailed || !r.NotSent {
		t.Errorf("hook record %+v", r)
	}

	doc, err = Publish(ctx, dir, opts("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(doc); got != "forum=already_published github=published markdown=already_published hook=published" {
		t.Errorf("retry: %s", got)
	}
	if w.gh.Calls("GET issues") != 1 || w.gh.Calls("POST issues") != 2 || len(w.gh.Issues()) != 1 {
		t.Errorf("github: %d finds, %d creates, %d issues; want the Finder asked once, one issue", w.gh.Calls("GET issues"), w.gh.Calls("POST issues"), len(w.gh.Issues()))
	}
	if w.hook.Requests() != 2 || len(w.hook.Events()) != 1 || w.forum.Calls("POST /posts.json") != 1 {
		t.Errorf("hook %d requests, %d events; forum %d posts", w.hook.Requests(), len(w.hook.Events()), w.forum.Calls("POST /posts.json"))
	}
	if r := readRecord(t, dir, "github"); r.Attempts != 2 || r.State != statePublished {
		t.Errorf("github record after the retry: %+v", r)
	}
}

// A crash between the destination's answer and the record leaves the
// intent alone; the Finder finds the publication and nothing is sent
// twice. Without a Finder the publish refuses, and says how to resolve.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	w := newWorld(t, 0)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	ctx := context.Background()
	if _, err := Publish(ctx, dir, opts("alice")); err != nil {
		t.Fatal(err)
	}
	// What a crash right after sending leaves: the intent, no receipt.
	for _, name := range []string{"forum", "github", "markdown", "hook"} {
		r := readRecord(t, dir, name)
		r.State, r.Receipt, r.Published = stateSending, nil, nil
		b, _ := json.Marshal(r)
		if err := os.WriteFile(filepath.Join(dir, PublishedDir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := Publish(ctx, dir, opts("alice"))
	if got := statuses(doc); got != "forum=found github=found markdown=found hook=unresolved" {
		t.Fatalf("statuses %s (%v)", got, err)
	}
	if err == nil || !strings.Contains(err.Error(), "attune stopped before the answer") || !strings.Contains(err.Error(), filepath.Join(PublishedDir, "hook.json")) {
		t.Errorf("the unresolved webhook's error: %v", err)
	}
	if w.forum.Calls("POST /posts.json") != 1 || w.gh.Calls("POST issues") != 1 || w.hook.Requests() != 1 {
		t.Errorf("sent twice: %d posts, %d issues, %d hooks", w.forum.Calls("POST /posts.json"), w.gh.Calls("POST issues"), w.hook.Requests())
	}
	if r := readRecord(t, dir, "forum"); r.State != statePublished || !r.Found || r.Receipt.ID != "4821" {
		t.Errorf("forum record %+v", r)
	}
	// Resolved as the error says: the record deleted, it is sent.
	if err := os.Remove(filepath.Join(dir, PublishedDir, "hook.json")); err != nil {
		t.Fatal(err)
	}
	if doc, err := Publish(ctx, dir, opts("alice")); err != nil || doc.Sinks[3].Status != schema.StatusPublished || w.hook.Requests() != 2 {
		t.Errorf("after deleting the record: %v, %v", doc, err)
	}
}

// An answer lost on its way back (the forum made the topic, the proxy
// answered 502) is found on the next publish, not posted again.
func TestLostAnswerIsFoundNotRepeated(t *testing.T) {
	w := newWorld(t, 0)
	w.forum.LoseAnswers = 1
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	doc, err := Publish(context.Background(), dir, PublishOptions{Sinks: []string{"forum"}, Approver: "alice", Env: opts("").Env})
	if err == nil || doc.Sinks[0].Status != schema.StatusFailed {
		t.Fatalf("%v %v", doc, err)
	}
	doc, err = Publish(context.Background(), dir, PublishOptions{Sinks: []string{"forum"}, Approver: "alice", Env: opts("").Env})
	if err != nil || doc.Sinks[0].Status != schema.StatusFound || len(w.forum.Topics()) != 1 || w.forum.Calls("POST /posts.json") != 1 {
		t.Errorf("%v %v: %d topics", doc, err, len(w.forum.Topics()))
	}
}

// No secret reaches a file attune writes, nor its output: not after a
// success, a failure naming the credentials, or a dry run.
func TestSecretsNeverInOutputFiles(t *testing.T) {
	w := newWorld(t, 0)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	ctx := context.Background()
	w.forum.Key = "another-key" // the forum refuses ours: an error about the key
	var outputs []any
	doc, err := Publish(ctx, dir, PublishOptions{DryRun: true, Env: opts("").Env})
	outputs = append(outputs, doc, fmt.Sprint(err))
	doc, err = Publish(ctx, dir, opts("alice"))
	if err == nil || !strings.Contains(err.Error(), "$DISCOURSE_API_KEY") {
		t.Errorf("the forum's refusal: %v", err)
	}
	outputs = append(outputs, doc, fmt.Sprint(err))
	w.forum.Key = secrets["DISCOURSE_API_KEY"]
	doc, err = Publish(ctx, dir, opts("alice"))
	outputs = append(outputs, doc, fmt.Sprint(err))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(outputs)
	check := func(where string, b []byte) {
		for name, v := range secrets {
			if v != "" && bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds the secret of %s", where, name)
			}
		}
	}
	check("the output", out)
	files := 0
	filepath.WalkDir(filepath.Dir(dir), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
			check(path, mustRead(t, path))
		}
		return nil
	})
	if files < 15 {
		t.Errorf("walked %d files", files)
	}
}

// A dry run shows what each sink would send and sends and records
// nothing; it still needs every secret.
func TestDryRun(t *testing.T) {
	w := newWorld(t, 0)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	doc, err := Publish(context.Background(), dir, PublishOptions{DryRun: true, Env: opts("").Env})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(doc); got != "forum=dry_run github=dry_run markdown=dry_run hook=dry_run" || doc.Approval != nil || !doc.DryRun {
		t.Fatalf("statuses %s", got)
	}
	forum := doc.Sinks[0].Outgoing
	if len(forum) != 2 || forum[0].Body != "" || forum[0].Bytes == 0 || !strings.Contains(forum[1].Body, `"category": 7`) {
		t.Errorf("forum outgoing %+v", forum)
	}
	if w.forum.Calls("POST /uploads.json")+w.forum.Calls("POST /posts.json")+w.gh.Calls("POST issues")+w.hook.Requests() != 0 {
		t.Error("a dry run sent requests")
	}
	for _, f := range []string{PublishedDir, ApprovalFile, "posts"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a dry run wrote %s", f)
		}
	}
	_, err = Publish(context.Background(), dir, PublishOptions{DryRun: true, Env: adapters.Env{Getenv: func(string) string { return "" }}})
	if !errors.Is(err, adapters.ErrNoSecret) || !strings.Contains(err.Error(), "DISCOURSE_API_KEY") {
		t.Errorf("unset secret: %v", err)
	}
}

// A recommendation that changes nothing is refused unless forced; with
// no chart, no upload.
func TestNoChangeIsRefusedUnlessForced(t *testing.T) {
	w := newWorld(t, 0)
	dir := sinktest.CopyCycle(t, "testdata/golden/compound", "2022-12-17-f1b75e447647", w.sinks)
	_, err := Publish(context.Background(), dir, opts("alice"))
	if !errors.Is(err, ErrNoChange) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ApprovalFile)); err == nil {
		t.Error("a refused publish recorded an approval")
	}
	o := opts("alice")
	o.Force = true
	o.Sinks = []string{"forum"}
	doc, err := Publish(context.Background(), dir, o)
	if err != nil || doc.Sinks[0].Status != schema.StatusPublished || w.forum.Calls("POST /uploads.json") != 0 ||
		!strings.HasPrefix(w.forum.Topics()[0].Title, "Compound: Keep governance parameters unchanged") {
		t.Errorf("forced: %v %v", doc, err)
	}
}

// What is published is what was drafted: a proposal.md edited by hand,
// a proposal of another cycle, and a missing approver are refused.
func TestRefusals(t *testing.T) {
	w := newWorld(t, 0)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, w.sinks)
	if _, err := Publish(context.Background(), dir, opts(" ")); err == nil || !strings.Contains(err.Error(), "--approver") {
		t.Errorf("no approver: %v", err)
	}
	md := filepath.Join(dir, "proposal.md")
	orig := mustRead(t, md)
	os.WriteFile(md, bytes.Replace(orig, []byte("lower the quorum"), []byte("raise the quorum"), 1), 0o644)
	if _, err := Publish(context.Background(), dir, opts("alice")); err == nil || !strings.Contains(err.Error(), "edited by hand") {
		t.Errorf("edited proposal.md: %v", err)
	}
	os.WriteFile(md, orig, 0o644)
	doc := mustRead(t, filepath.Join(dir, "proposal.json"))
	os.WriteFile(filepath.Join(dir, "proposal.json"), bytes.Replace(doc, []byte(fixtureID), []byte("2026-10-21-aaaaaaaaaaaa"), 1), 0o644)
	if _, err := Publish(context.Background(), dir, opts("alice")); err == nil || !strings.Contains(err.Error(), "attune draft --cycle") {
		t.Errorf("another cycle's proposal: %v", err)
	}
	if w.forum.Calls("POST /posts.json")+w.gh.Calls("POST issues")+w.hook.Requests() != 0 {
		t.Error("a refused publish sent requests")
	}
}

// The sinks section is checked on every run: an unknown type or key, a
// bad value and a name used twice are config errors with their lines.
func TestCheckSinks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dao.yaml")
	os.WriteFile(file, []byte(`sinks:
  - type: discourze
  - type: discourse
    base_url: https://forum.example.org
    categroy: 7
  - type: github
    repo: example-dao/governance
    token: {env: GITHUB_TOKEN}
  - type: github
    repo: nope
    token: {env: GITHUB_TOKEN}
  - {type: markdown, name: "../up", dir: x}
`), 0o644)
	cfg, err := config.Load(config.LoadOptions{File: file})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckSinks(cfg)
	var ce *config.Error
	if !errors.As(err, &ce) || !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("err %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`dao.yaml:2: sinks[0].type: unknown sink type "discourze"; attune knows ` + strings.Join(adapters.SinkTypes(), ", "),
		`sinks[1].categroy: unknown key "categroy"`,
		`dao.yaml:5: sinks[1].categroy`,
		`sinks[3].name: "github" also names sinks[2]`,
		`dao.yaml:10: sinks[3].repo: "nope": want owner/name`,
		`sinks[4].name: "../up" cannot name a sink`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	// Every run: Prepare stops on it before reading any data.
	if _, err := Prepare(context.Background(), cfg, nil); !errors.As(err, &ce) || !strings.Contains(err.Error(), "discourze") {
		t.Errorf("Prepare: %v", err)
	}
	if err := CheckConfig(cfg); !errors.As(err, &ce) {
		t.Errorf("CheckConfig: %v", err)
	}
	def, _ := config.Load(config.LoadOptions{})
	if err := CheckConfig(def); err != nil {
		t.Errorf("the default config: %v", err)
	}
}

// Writing a cycle again keeps its approvals and publishing records, so
// publishing after a rerun sends nothing twice.
func TestRewritingACycleKeepsItsRecords(t *testing.T) {
	cfg := small(t, nil)
	c, err := Run(context.Background(), cfg, oracle.Template{}, Options{Version: "test", Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := c.Write(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, PublishedDir), 0o755)
	rec := []byte(`{"sink":"forum","state":"published"}`)
	os.WriteFile(filepath.Join(dir, PublishedDir, "forum.json"), rec, 0o644)
	os.WriteFile(filepath.Join(dir, ApprovalFile), []byte(`[{"approver":"alice"}]`), 0o644)
	if _, err := c.Write(cfg.Out); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, PublishedDir, "forum.json")); err != nil || !bytes.Equal(b, rec) {
		t.Errorf("the record after a rewrite: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ApprovalFile)); err != nil {
		t.Errorf("the approvals after a rewrite: %v", err)
	}
}
