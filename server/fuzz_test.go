package server

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeReview feeds request bodies to the JSON decoder: it never
// panics, refuses with a 4xx requestError, and what it accepts is one
// object with only the known field, whose comment is then checked.
func FuzzDecodeReview(f *testing.F) {
	for _, s := range []string{
		`{"comment": "Data support a lower threshold."}`, `{"comment": ""}`, `{"comment": "a", "x": 1}`, `{"comment": 3}`,
		`["a"]`, `{"comment": "a"} {}`, `{"comment": "\u0000"}`, ``, `null`, `{"comment": "é\n\tok"}`, "\xff", `{"COMMENT": "case"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r reviewBody
		err := decodeJSON(body, &r)
		if err != nil {
			re, ok := err.(*requestError)
			if !ok || re.status < 400 || re.status > 499 || re.detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatal("invalid UTF-8 accepted")
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			// "null" decodes into the zero body, which checkComment refuses.
			if checkComment(r.Comment) == nil {
				t.Fatalf("%q: not an object, yet a comment %q", body, r.Comment)
			}
			return
		}
		for k := range m {
			if !strings.EqualFold(k, "comment") {
				t.Fatalf("unknown field %q accepted", k)
			}
		}
		if err := checkComment(r.Comment); err == nil && strings.TrimSpace(r.Comment) == "" {
			t.Fatal("an empty comment passed")
		}
	})
}

// FuzzParseList feeds query strings to the list filter: it never
// panics, and what it accepts is within bounds and names real states.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "dao=Compound", "state=pending_review,approved&limit=2", "before=4&limit=500", "limit=0", "state=done",
		"x=1", "dao=a&dao=b", "state=failed&state=failed", "before=-3", "limit=1e3", "a=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, err := parseList(q)
		if err != nil {
			if _, ok := err.(*requestError); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		if lq.limit < 1 || lq.limit > maxLimit || lq.filter.Limit != lq.limit+1 || lq.filter.Before < 0 {
			t.Fatalf("accepted out of bounds: %+v", lq)
		}
		for _, s := range lq.filter.States {
			if !s.Valid() {
				t.Fatalf("state %q accepted", s)
			}
		}
	})
}

// FuzzSessionCookie feeds cookie values to the session reader: nothing
// but a cookie it issued is accepted.
func FuzzSessionCookie(f *testing.F) {
	ts, _ := newTokenSet(testTokens())
	ses := &sessions{key: []byte("a-session-key-of-at-least-32-bytes-for-tests"), ttl: time.Hour, now: time.Now, tokens: ts}
	tok, _ := ts.byHolder("sam")
	// The one good cookie, the same in every fuzzing process.
	payload, _ := json.Marshal(session{Name: tok.Name, Role: tok.Role, Finger: ses.fingerprint(tok), Expires: 4102444800, Nonce: "fixed-nonce"})
	body := base64.RawURLEncoding.EncodeToString(payload)
	good := body + "." + ses.mac("session", body)
	if _, ok := ses.read(good); !ok {
		f.Fatal("the good cookie is refused")
	}
	f.Add(good)
	f.Add("")
	f.Add(".")
	f.Add("eyJuIjoic2FtIiwiciI6InN0ZXdhcmQifQ.00")
	f.Add(good[:len(good)-1] + "0")
	f.Fuzz(func(t *testing.T, v string) {
		s, ok := ses.read(v)
		if ok && v != good {
			t.Fatalf("a forged cookie %q accepted as %+v", v, s)
		}
	})
}

// FuzzSafeNext: whatever comes after sign-in is a path on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/cycles/1", "//evil.example", "https://evil.example", "/\\evil", "/%2F%2Fevil", "javascript:alert(1)", "/a\r\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || u.Host != "" || u.Scheme != "" || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}
