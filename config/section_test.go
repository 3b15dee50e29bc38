package config

import (
	"errors"
	"strings"
	"testing"
)

// snapshotLike stands for a source type's own config.
type snapshotLike struct {
	Space   string   `yaml:"space"`
	First   int      `yaml:"first"`
	Headers []string `yaml:"headers"`
	Key     struct {
		Env string `yaml:"env"`
	} `yaml:"api_key"`
}

func TestSectionsKeepTheirTypesKeys(t *testing.T) {
	c, _, err := loadFile(t, `
sources:
  - type: snapshot
    space: ens.eth
    first: 1000
    headers: [a, b]
    api_key: {env: SNAPSHOT_KEY}
    window_days: 90
sinks:
  - type: discourse
    name: forum
    category: 7
`)
	if err != nil {
		t.Fatal(err)
	}
	src := c.Sources[0]
	if src.Type != "snapshot" || src.WindowDays != 90 || src.Settings["space"] != "ens.eth" || src.Settings["first"] != 1000 {
		t.Fatalf("source %+v", src)
	}
	if _, ok := src.Settings["window_days"]; ok {
		t.Fatal("a common key leaked into Settings")
	}
	var s snapshotLike
	if err := c.DecodeSection("sources[0]", src.Settings, &s); err != nil {
		t.Fatal(err)
	}
	if s.Space != "ens.eth" || s.First != 1000 || len(s.Headers) != 2 || s.Key.Env != "SNAPSHOT_KEY" {
		t.Fatalf("decoded %+v", s)
	}
	sink := c.Sinks[0]
	if sink.SinkName() != "forum" || sink.Settings["category"] != 7 {
		t.Fatalf("sink %+v", sink)
	}
	if (Sink{Type: "markdown"}).SinkName() != "markdown" {
		t.Fatal("a sink's name defaults to its type")
	}
	// The section survives YAML and keeps the config's identity.
	y, err := c.YAML()
	if err != nil || !strings.Contains(string(y), "space: ens.eth") {
		t.Fatalf("YAML: %v\n%s", err, y)
	}
}

func TestDecodeSectionNamesTheLine(t *testing.T) {
	c, file, err := loadFile(t, `
sources:
  - type: snapshot
    space: ens.eth
    firs: 1000
    headers: oops
`)
	if err != nil {
		t.Fatal(err)
	}
	var s snapshotLike
	err = c.DecodeSection("sources[0]", c.Sources[0].Settings, &s)
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v; want a *config.Error", err)
	}
	msg := err.Error()
	for _, want := range []string{file, ":5:", `sources[0].firs: unknown key "firs"`, `did you mean "first"?`, ":6:", "sources[0].headers: want a list"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if err := c.DecodeSection("sources[0]", nil, s); err == nil {
		t.Fatal("a non-pointer target must be refused")
	}
}

func TestUnknownAnchorHasItsLine(t *testing.T) {
	_, file, err := loadFile(t, "dao:\n  name: X # *nope in a comment\n  model: [a, *nope]\n")
	if err == nil || !strings.Contains(err.Error(), file+":3: alias *nope names no anchor") {
		t.Fatalf("err %v; want the alias's line", err)
	}
	if aliasLine([]byte("a: *nopex\nb: *nope\n"), "nope") != 2 {
		t.Fatal("a longer alias that starts with the name is another alias")
	}
}

func TestErrorListsAtMostMaxListed(t *testing.T) {
	var b strings.Builder
	b.WriteString("dao:\n  name: X\n")
	for i := range 500 {
		b.WriteString("  k" + strings.Repeat("z", i%3) + string(rune('a'+i%26)) + "_" + strings.Repeat("q", i/26) + ": 1\n")
	}
	_, _, err := loadFile(t, b.String())
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 500 {
		t.Fatalf("err %v; want 500 problems kept", err)
	}
	msg := err.Error()
	if n := strings.Count(msg, "\n  "); n != MaxListed+1 || !strings.Contains(msg, "... and 450 more") {
		t.Fatalf("message has %d lines; want %d problems and a count of the rest", n, MaxListed)
	}
}

func TestSchedule(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"@every 24h", ""},
		{"@daily", ""},
		{"0 6 * * 1", ""},
		{"", ""},
		{"whenever", `schedule: "whenever" is not a schedule`},
		{"@every 10s", "more often than once a minute"},
		{"61 * * * *", "is not a schedule"},
	} {
		_, _, err := loadFile(t, "schedule: \""+tc.in+"\"\n")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("schedule %q: %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("schedule %q: err %v; want %q", tc.in, err, tc.want)
		}
	}
}
