package github

import (
	"strings"
	"testing"
)

// The decoders of GitHub's answers never panic; an issue found holds the
// marker and is not a pull request.
func FuzzDecode(f *testing.F) {
	const marker = "<!-- attune:2026-10-28-4018bc275ab6 -->"
	f.Add(`{"message":"Validation Failed","errors":[{"resource":"Issue","code":"missing_field","field":"title"}],"documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"422"}`)
	f.Add(`[{"number":41,"body":"x ` + marker + `","pull_request":{"url":"u"}},{"number":42,"html_url":"https://github.com/o/r/issues/42","body":"` + marker + `"}]`)
	f.Add(`[{"number":43,"body":null}]`)
	f.Add(`{"message":""}`)
	f.Fuzz(func(t *testing.T, body string) {
		if msg, ok := decodeError(body); ok && msg == "" {
			t.Fatalf("decodeError(%q) reported an empty message", body)
		}
		is, found, err := findMarked([]byte(body), marker)
		if found && (err != nil || is.Number <= 0 || is.Body == nil || !strings.Contains(*is.Body, marker) || len(is.PullRequest) != 0) {
			t.Fatalf("findMarked(%q) = %+v", body, is)
		}
	})
}
