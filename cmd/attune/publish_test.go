package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters/discourse/discoursetest"
	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/schema"
)

const fixtureCycle = "2026-10-28-4018bc275ab6"

// publishDoc decodes publish's JSON output, checked against its schema.
func publishDoc(t *testing.T, stdout string) schema.PublishDoc {
	t.Helper()
	if err := schema.Validate([]byte(stdout)); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var doc schema.PublishDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// attune publish sends to the forum and writes the files once, records
// who approved, and the second time sends nothing; exit codes follow the
// contract.
func TestPublishCommand(t *testing.T) {
	const key = "dk_cmd_test_SECRET_4f2a"
	forum, srv := discoursetest.New(key)
	defer srv.Close()
	t.Setenv("DISCOURSE_API_KEY", key)
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureCycle, fmt.Sprintf(
		"  - {type: discourse, name: forum, base_url: %q, category: 7, api_username: attune-bot, api_key: {env: DISCOURSE_API_KEY}, max_retries: 0}\n  - {type: markdown, dir: posts}\n", srv.URL))

	code, stdout, stderr := run(t, "publish", dir, "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "dry run, nothing sent") || !strings.Contains(stdout, "POST "+srv.URL+"/posts.json") || forum.Calls("POST /posts.json") != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr = run(t, "publish", dir, "--approver", "alice", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := publishDoc(t, stdout)
	if len(doc.Sinks) != 2 || doc.Sinks[0].Status != schema.StatusPublished || doc.Sinks[1].Status != schema.StatusPublished || doc.Approval.Approver != "alice" {
		t.Errorf("doc %+v", doc)
	}
	t.Setenv("USER", "bob")
	code, stdout, _ = run(t, "publish", dir)
	if code != exitOK || !strings.Contains(stdout, "approved by bob") || strings.Count(stdout, "already published") != 2 || forum.Calls("POST /posts.json") != 1 {
		t.Errorf("again: exit %d\n%s", code, stdout)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "approval.json"))
	if !strings.Contains(string(b), `"approver": "alice"`) || !strings.Contains(string(b), `"approver": "bob"`) || strings.Contains(string(b), key) {
		t.Errorf("approval.json %s", b)
	}

	// A sink that fails exits 1 after the others; a usage or config
	// problem exits 2 and sends nothing.
	dir2 := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureCycle, fmt.Sprintf(
		"  - {type: markdown, dir: posts}\n  - {type: discourse, base_url: %q, category: 7, api_username: attune-bot, api_key: {env: DISCOURSE_API_KEY}, max_retries: 0}\n", srv.URL))
	forum.Push(discoursetest.BadGateway)
	code, stdout, stderr = run(t, "publish", dir2, "--approver", "alice")
	if code != exitRuntime || !regexp.MustCompile(`markdown +markdown +published`).MatchString(stdout) || !strings.Contains(stderr, "HTTP 502") || strings.Contains(stderr+stdout, key) {
		t.Errorf("failing sink: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"publish"}, nil, "takes one cycle directory"},
		{[]string{"publish", filepath.Join(dir, "nope")}, nil, "is not a cycle directory"},
		{[]string{"publish", dir, "--sink", "frum"}, nil, `no such sink: "frum"; the config names forum, markdown`},
		{[]string{"publish", dir2}, map[string]string{"USER": "", "LOGNAME": ""}, "--approver NAME"},
		{[]string{"publish", dir2, "--approver", "a"}, map[string]string{"DISCOURSE_API_KEY": ""}, "DISCOURSE_API_KEY is empty or unset"},
		{[]string{"publish", sinktest.CopyCycle(t, "../../loop/testdata/golden/compound", "2022-12-17-f1b75e447647", "  - {type: markdown, dir: posts}\n"), "--approver", "a"}, nil, "changes nothing"},
		{[]string{"publish", sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureCycle, "  - {type: discourze}\n"), "--approver", "a"}, nil, `unknown sink type "discourze"`},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		code, stdout, stderr := run(t, c.args...)
		if code != exitUser || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q\n%s", c.args, code, stderr, c.want, stdout)
		}
		t.Setenv("DISCOURSE_API_KEY", key)
	}
	if forum.Calls("POST /posts.json") != 1 {
		t.Errorf("the refused publishes posted: %d posts", forum.Calls("POST /posts.json"))
	}
}

// With --config, the sinks are that file's, their relative paths against
// its directory: a cycle run before its sinks were set is published.
func TestPublishWithAnotherConfig(t *testing.T) {
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureCycle, "")
	code, _, stderr := run(t, "publish", dir, "--approver", "alice")
	if code != exitUser || !strings.Contains(stderr, "names no sinks") {
		t.Errorf("no sinks: exit %d, %q", code, stderr)
	}
	other := t.TempDir()
	cfg := filepath.Join(other, "dao.yaml")
	os.WriteFile(cfg, []byte("sinks: [{type: markdown, dir: posts}]\n"), 0o644)
	code, stdout, stderr := run(t, "publish", dir, "--approver", "alice", "--config", cfg)
	if code != exitOK || !strings.Contains(stdout, filepath.Join(other, "posts", fixtureCycle)) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "posts", fixtureCycle, "post.md")); err != nil {
		t.Error(err)
	}
}

// attune config check fails on an unknown sink type or key, with its
// line, and passes a sound config.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("sinks:\n  - type: markdown\n    dir: posts\n    dri: typo\n"), 0o644)
	code, _, stderr := run(t, "config", "check", "--config", bad)
	if code != exitUser || !strings.Contains(stderr, "bad.yaml:4: sinks[0].dri") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("sinks:\n  - {type: markdown, dir: posts}\n  - {type: webhook, name: chat, format: slack, url_from: {env: SLACK_WEBHOOK_URL}}\n"), 0o644)
	code, stdout, stderr := run(t, "config", "check", "--config", good)
	if code != exitOK || stdout != "config ok: model tokenvote, sinks: markdown (markdown), chat (webhook)\n" {
		t.Errorf("exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "config", "check", "--config", good, "-o", "json")
	var got struct {
		OK    bool
		Sinks []struct{ Name, Type string }
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &got) != nil || !got.OK || len(got.Sinks) != 2 {
		t.Errorf("json: exit %d %s", code, stdout)
	}
}
