package snapshotsig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/evm"
	goldenfile "github.com/attune-dao/attune/internal/golden"
	"github.com/attune-dao/attune/oracle"
)

// The SHA-256 of JSON.stringify(types) that snapshot.js registers for
// proposals (src/sign/hashedTypes.json, commit efa5de15): the sequencer
// refuses a message whose types hash to none of them ("wrong types").
var registeredProposalTypeHashes = []string{
	"a7bf2991bf4ff9053f1b19085ddc6febaa711e7a95cf90a797605dadc40b4079",
	"6fee59b7db10fabbb0c6420c0a18c9d2c36306e342042826a355bfc7fe733870",
	"18ad1db546f164fbf3584d2c145ebc0c73d1f60409a3257714790a6a24c63714",
	"d1b38fb01c3b9d1eadb755a28b6a8c8325f6d26d451b18e4c793a8afa5be7d77",
	"9fecffaa3ddb7666a390be8db0aa6b8732e7679ffeebba069e4372597c0eb6c8",
	"d56782e3b50ac86c25ae292923da8c367e3c9e8e7ea9d8baa435051fe2f430fa",
	"beda1f464a6112f9ed6335c4614e32a97f0e18ef4ac10b4b1c8239c475f2d8e8",
	"e037b37311c75c995f732b57cd456bdc685e5eac29668698be34388cafb14097",
}

func TestProposalTypesAreSnapshots(t *testing.T) {
	b, err := json.Marshal(map[string][]evm.TypedField{"Proposal": ProposalTypes()})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	for _, h := range registeredProposalTypeHashes {
		if h == got {
			return
		}
	}
	t.Errorf("sha256(%s) = %s is not a proposal type snapshot.js registers", b, got)
}

// fixture is a publication as the loop makes one (the title and post in
// the template's form; the numbers are made up for the test). The space
// and author are EIP-55 test vectors, not a real space's.
func fixture() *adapters.Publication {
	return &adapters.Publication{
		CycleID: "2026-11-20-3f9a1c2b7d4e", DAO: "Example DAO", Key: "attune:2026-11-20-3f9a1c2b7d4e",
		Recommendation: &oracle.Recommendation{CycleID: "2026-11-20-3f9a1c2b7d4e", DAO: "Example DAO"},
		Proposal: &oracle.Proposal{
			Title:    "Example DAO: Lengthen the voting period",
			Post:     "# Example DAO: Lengthen the voting period\n\nWe propose to lengthen the voting period to 7 days.\n",
			Markdown: "# Example DAO: Lengthen the voting period\n\nWe propose to lengthen the voting period to 7 days.\n\n---\n\n## Appendix\n\nMethod & calibration <details>.\n",
		},
	}
}

var fixedNow = time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)

func newSink(t *testing.T, c *Config) *Sink {
	t.Helper()
	cfg, ok := adapters.NewSinkConfig(Type)
	if !ok {
		t.Fatalf("sink type %q is not registered", Type)
	}
	*cfg.(*Config) = *c
	s, err := cfg.NewSink(adapters.Env{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

func TestPublishSignedMessage(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, &Config{Space: "example.eth", From: strings.ToLower("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
		SnapshotBlock: "21000000", VotingPeriodDays: 5, StartDelayHours: 24, Discussion: "https://forum.example.org/t/lengthen-the-voting-period/123", Dir: dir})
	p := fixture()
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, p.CycleID, File)
	if len(r.Files) != 1 || r.Files[0] != path {
		t.Fatalf("receipt files %v; want %s", r.Files, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "signed.json", raw)

	var out struct {
		Key       string          `json:"key"`
		Hash      *string         `json:"hash"`
		Pending   []string        `json:"pending"`
		Body      string          `json:"body"`
		TypedData json.RawMessage `json:"typed_data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	// The typed data read back from the file hashes to the hash the file
	// and the receipt give.
	td, err := evm.ParseTypedData(out.TypedData)
	if err != nil {
		t.Fatal(err)
	}
	d, err := td.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if out.Hash == nil || *out.Hash != d.Hex() || r.ID != d.Hex() || len(out.Pending) != 0 || out.Key != p.Key {
		t.Errorf("hash %v, receipt %s, pending %v; digest of the file's typed data %s", out.Hash, r.ID, out.Pending, d)
	}
	m := td.Message
	ts := fixedNow.Unix()
	for k, want := range map[string]any{
		"from": "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "space": "example.eth", "type": "single-choice",
		"title": p.Proposal.Title, "body": p.Proposal.Markdown, "discussion": "https://forum.example.org/t/lengthen-the-voting-period/123",
		"plugins": "{}", "privacy": "", "app": "attune",
		"timestamp": json.Number(itoa(ts)), "start": json.Number(itoa(ts + 86400)), "end": json.Number(itoa(ts + 86400 + 5*86400)),
		"snapshot": json.Number("21000000"),
	} {
		if m[k] != want {
			t.Errorf("message.%s = %v; want %v", k, m[k], want)
		}
	}
	if got, _ := json.Marshal(m["choices"]); string(got) != `["For","Against","Abstain"]` {
		t.Errorf("choices %s", got)
	}
	if got, _ := json.Marshal(m["labels"]); string(got) != `[]` {
		t.Errorf("labels %s", got)
	}
	if !bytes.Contains(raw, []byte("Method & calibration <details>")) {
		t.Error("the body's markup was escaped in the file")
	}

	// Preview shows the same bytes; Find recognises the publication.
	prev, err := s.Preview(context.Background(), p)
	if err != nil || len(prev) != 1 || !bytes.Equal(prev[0].Body, raw) || prev[0].Target != path {
		t.Errorf("Preview = %v, %v", prev, err)
	}
	found, ok, err := s.Find(context.Background(), p)
	if err != nil || !ok || found.ID != r.ID {
		t.Errorf("Find = %+v, %v, %v", found, ok, err)
	}
	other := fixture()
	other.Key = "attune:other"
	if _, ok, _ := s.Find(context.Background(), other); ok {
		t.Error("Find recognised a file written for another key")
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestPublishPendingSnapshotBlock(t *testing.T) {
	s := newSink(t, &Config{Space: "example.eth", From: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Dir: t.TempDir()})
	r, err := s.Publish(context.Background(), fixture())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(r.Files[0])
	golden(t, "pending.json", raw)
	var out Output
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Hash != nil || len(out.Pending) != 1 || out.Pending[0] != "snapshot" || r.ID != "pending:attune:2026-11-20-3f9a1c2b7d4e" ||
		!strings.HasPrefix(out.Note, "Set message.snapshot") {
		t.Errorf("pending output: hash %v pending %v id %s note %q", out.Hash, out.Pending, r.ID, out.Note)
	}
	// Defaults: a 7-day vote starting at the timestamp.
	var td struct {
		Message struct {
			Timestamp, Start, End, Snapshot int64
		} `json:"message"`
	}
	if err := json.Unmarshal(mustField(t, raw, "typed_data"), &td); err != nil {
		t.Fatal(err)
	}
	if m := td.Message; m.Start != m.Timestamp || m.End-m.Start != 7*86400 || m.Snapshot != 0 {
		t.Errorf("default times %+v", m)
	}
}

func mustField(t *testing.T, raw []byte, field string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m[field]
}

func TestBodyFallsBackToPost(t *testing.T) {
	s := newSink(t, &Config{Space: "example.eth", From: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", SnapshotBlock: "1", Dir: t.TempDir()})
	p := fixture()
	p.Proposal.Markdown = p.Proposal.Post + strings.Repeat("appendix line\n", 8000) // over 100,000 characters
	out, err := s.Preview(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var o Output
	if err := json.Unmarshal(out[0].Body, &o); err != nil {
		t.Fatal(err)
	}
	if o.Body != "post" || o.TypedData.Message["body"] != p.Proposal.Post {
		t.Errorf("body %q: the appendix should have been left out", o.Body)
	}
	p.Proposal.Post = strings.Repeat("x", 100001)
	if _, err := s.Preview(context.Background(), p); err == nil || !strings.Contains(err.Error(), "100,000") {
		t.Errorf("an oversized post: %v", err)
	}
	p = fixture()
	p.Proposal.Title = strings.Repeat("t", 257)
	if _, err := s.Preview(context.Background(), p); err == nil {
		t.Error("a 257-character title was accepted")
	}
	if _, err := s.Preview(context.Background(), &adapters.Publication{CycleID: "c"}); err == nil {
		t.Error("a publication without a proposal was accepted")
	}
}

func TestConfigCheck(t *testing.T) {
	fields := func(c *Config) string {
		var f []string
		for _, e := range c.Check() {
			f = append(f, e.Field)
		}
		return strings.Join(f, ",")
	}
	if got := fields(&Config{}); got != "space,from" {
		t.Errorf("empty config: %s", got)
	}
	bad := &Config{Space: "a b", From: "0xFB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Type: "plurality", Choices: []string{""},
		Labels: []string{"toolonglabel", "ok", "ok"}, VotingPeriodDays: -1, StartDelayHours: -1, SnapshotBlock: "soon",
		Discussion: "forum.example.org", App: strings.Repeat("a", 25)}
	if got, want := fields(bad), "space,from,type,choices[0],labels[0],labels[2],voting_period_days,start_delay_hours,snapshot_block,discussion,app"; got != want {
		t.Errorf("bad config fields %s; want %s", got, want)
	}
	if got := fields(&Config{Space: "s.eth", From: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Type: "basic", Choices: []string{"For"}}); got != "choices" {
		t.Errorf("basic with one choice: %s", got)
	}
	many := &Config{Space: "s.eth", From: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Labels: strings.Fields("a b c d e f g h i j k")}
	if got := fields(many); got != "labels" {
		t.Errorf("11 labels: %s", got)
	}
	if _, err := bad.NewSink(adapters.Env{}); err == nil {
		t.Error("NewSink accepted a bad config")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
}
