package sinkutil

import (
	"testing"

	"github.com/attune-dao/attune/adapters/sinktest"
)

func TestSummary(t *testing.T) {
	for post, want := range map[string]string{
		"# Title\n\nWe propose\nto lower it.\n\n**Why.** Because.": "We propose to lower it.",
		"| a |\n|---|\n\n---\n\nAfter the table.":                  "After the table.",
		"# Only a title\n": "",
	} {
		if got := Summary(post); got != want {
			t.Errorf("Summary(%q) = %q; want %q", post, got, want)
		}
	}
}

func TestChanges(t *testing.T) {
	p := sinktest.Publication(t)
	ch := Changes(p)
	if len(ch) != 3 || ch[0] != (Change{"Quorum", "4% (4,000,000 COMP)", "3% (3,000,000 COMP)"}) || ch[2].Name != "Voting period" {
		t.Errorf("Changes = %+v", ch)
	}
	p.Recommendation.Change = false
	if ch := Changes(p); len(ch) != 0 {
		t.Errorf("a recommendation that changes nothing lists %v", ch)
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("abcdef", 4); got != "abc…" {
		t.Errorf("Truncate = %q", got)
	}
	if got := Truncate("ab cd", 4); got != "ab…" {
		t.Errorf("Truncate drops the space before the ellipsis: %q", got)
	}
	if Truncate("abc", 3) != "abc" || Truncate("abc", 0) != "" {
		t.Error("Truncate cuts what fits")
	}
}

func TestRetriesAndChecks(t *testing.T) {
	zero, three, lots := 0, 3, 21
	if Retries(nil) != 0 || Retries(&zero) != -1 || Retries(&three) != 3 {
		t.Error("Retries: absent is httpx's default, 0 none")
	}
	if len(CheckRetries(&lots)) != 1 || len(CheckRetries(&zero)) != 0 {
		t.Error("CheckRetries")
	}
	for raw, bad := range map[string]bool{
		"https://forum.example.org":      false,
		"http://127.0.0.1:8080/api/v3":   false,
		"":                               true,
		"forum.example.org":              true,
		"https://u:p@forum.example.org":  true,
		"https://forum.example.org/?k=1": true,
	} {
		if got := len(CheckURL("base_url", raw, "https://x")) > 0; got != bad {
			t.Errorf("CheckURL(%q) refused %v; want %v", raw, got, bad)
		}
	}
}
