package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/attune-dao/attune/adapters"
)

// Role is what a token may do. Every role reads; a steward also approves,
// rejects, publishes and runs cycles; an admin also verifies the audit
// log. An admin is not a steward: approving takes a steward's token, so
// that whoever runs the service does not also decide what it publishes.
type Role string

// The roles.
const (
	Viewer  Role = "viewer"
	Steward Role = "steward"
	Admin   Role = "admin"
)

// Roles lists every role.
var Roles = []Role{Viewer, Steward, Admin}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == Viewer || r == Steward || r == Admin }

// may reports whether r may do what needs need: reading needs a viewer
// (any role); other roles are needed exactly.
func (r Role) may(need Role) bool { return need == Viewer && r.Valid() || r == need }

// MinTokenLength is the shortest token accepted from the environment or a
// file: a token is a password that never changes hands by typing, so it
// should be long and random (e.g. openssl rand -hex 32).
const MinTokenLength = 24

// Token is a bearer token the service accepts: who holds it, the role it
// grants and the SHA-256 of its secret. The secret itself is not kept.
type Token struct {
	Name string
	Role Role
	Hash [sha256.Size]byte
}

// TokenConfig is one token in the service's config: its holder's name,
// its role, and either the SHA-256 of the token (hex; the config then
// holds no secret) or where the token itself is (an environment variable
// or a file, never the config).
//
//	tokens:
//	  - {name: alice, role: steward, sha256: 3f7a...}   # HashToken of the token
//	  - {name: ci, role: viewer, env: ATTUNE_TOKEN_CI}
type TokenConfig struct {
	Name            string `yaml:"name"`
	Role            Role   `yaml:"role"`
	SHA256          string `yaml:"sha256,omitempty"`
	adapters.Secret `yaml:",inline"`
}

// HashToken returns the hex SHA-256 of a token, as TokenConfig.SHA256
// takes it.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Tokens resolves the configured tokens: each entry's hash, read from
// the config or computed from the secret its variable or file holds.
// The errors name the entry (tokens[i]) and what to do, never a secret.
func Tokens(cfgs []TokenConfig, env adapters.Env) ([]Token, error) {
	var errs []error
	out := make([]Token, 0, len(cfgs))
	names := map[string]int{}
	for i, c := range cfgs {
		where := fmt.Sprintf("tokens[%d]", i)
		if err := checkTokenName(c.Name); err != nil {
			errs = append(errs, fmt.Errorf("%s: name: %w", where, err))
			continue
		}
		where += " (" + c.Name + ")"
		if j, ok := names[c.Name]; ok {
			errs = append(errs, fmt.Errorf("%s: the name is also tokens[%d]'s; give each token holder one name", where, j))
			continue
		}
		names[c.Name] = i
		if !c.Role.Valid() {
			errs = append(errs, fmt.Errorf("%s: role %q; want viewer, steward or admin", where, clip(string(c.Role), 40)))
			continue
		}
		t := Token{Name: c.Name, Role: c.Role}
		switch {
		case c.SHA256 != "" && !c.Secret.IsZero():
			errs = append(errs, fmt.Errorf("%s: sets sha256 and env or file; keep one", where))
			continue
		case c.SHA256 != "":
			b, err := hex.DecodeString(c.SHA256)
			if err != nil || len(b) != sha256.Size {
				errs = append(errs, fmt.Errorf("%s: sha256 is not 64 hex digits; put the token's SHA-256 there (sha256sum of the token, without a newline)", where))
				continue
			}
			copy(t.Hash[:], b)
		case c.Env != "" && c.File != "":
			errs = append(errs, fmt.Errorf("%s: names both env and file; keep one", where))
			continue
		default:
			secret, err := c.Secret.Resolve(env)
			if errors.Is(err, adapters.ErrNoSecret) && c.Secret.IsZero() {
				errs = append(errs, fmt.Errorf("%s: no token: set sha256, env or file", where))
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
			if len(secret) < MinTokenLength {
				errs = append(errs, fmt.Errorf("%s: the token is %d characters; use at least %d random ones (openssl rand -hex 32)", where, len(secret), MinTokenLength))
				continue
			}
			t.Hash = sha256.Sum256([]byte(secret))
		}
		out = append(out, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// checkTokenName checks a token holder's name: it names the reviewer in
// the store and the audit log.
func checkTokenName(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty; name the token's holder (it is recorded as the reviewer)")
	}
	if len(s) > 100 {
		return fmt.Errorf("%d bytes; at most 100", len(s))
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == ':' {
			return fmt.Errorf("%q contains %U; use letters, digits and punctuation other than ':'", clip(s, 40), r)
		}
	}
	return nil
}

// tokenSet finds the token a secret belongs to.
type tokenSet struct {
	tokens []Token
	byName map[string]int
}

func newTokenSet(ts []Token) (*tokenSet, error) {
	s := &tokenSet{tokens: append([]Token(nil), ts...), byName: map[string]int{}}
	for i, t := range ts {
		if err := checkTokenName(t.Name); err != nil {
			return nil, fmt.Errorf("server: token %d: name: %w", i, err)
		}
		if !t.Role.Valid() {
			return nil, fmt.Errorf("server: token %s: role %q; want viewer, steward or admin", t.Name, t.Role)
		}
		if _, dup := s.byName[t.Name]; dup {
			return nil, fmt.Errorf("server: two tokens are named %s; give each holder one name", t.Name)
		}
		s.byName[t.Name] = i
	}
	return s, nil
}

// lookup returns the token whose hash is the secret's. It compares with
// every token in constant time, whatever matches, so the time taken says
// nothing about which token or how much of one matched.
func (s *tokenSet) lookup(secret string) (Token, bool) {
	h := sha256.Sum256([]byte(secret))
	found := -1
	for i := range s.tokens {
		if subtle.ConstantTimeCompare(h[:], s.tokens[i].Hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Token{}, false
	}
	return s.tokens[found], true
}

// byHolder returns the token named name.
func (s *tokenSet) byHolder(name string) (Token, bool) {
	i, ok := s.byName[name]
	if !ok {
		return Token{}, false
	}
	return s.tokens[i], true
}

// Principal is who a request acts as: the token's holder and role.
type Principal struct {
	Name string
	Role Role
}

// bearer returns the token in an Authorization: Bearer header, and
// whether there was such a header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// Cookie names. The __Host- prefix makes a browser accept them only when
// Secure, on this host, for every path.
const (
	sessionCookie = "__Host-attune-session"
	signinCookie  = "__Host-attune-signin"
)

// session is what the session cookie carries, signed: who signed in,
// the token's fingerprint (so that a token removed or replaced ends its
// sessions), when it expires, and the nonce the session's CSRF token is
// derived from.
type session struct {
	Name    string `json:"n"`
	Role    Role   `json:"r"`
	Finger  string `json:"f"`
	Expires int64  `json:"e"`
	Nonce   string `json:"c"`
}

// sessions signs and checks session cookies with an HMAC-SHA256 key, so
// that any replica with the key reads them and no session state is kept.
type sessions struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	tokens *tokenSet
}

// fingerprint identifies a token in a session without revealing its hash.
func (s *sessions) fingerprint(t Token) string {
	return s.mac("token", string(t.Role)+"\x00"+hex.EncodeToString(t.Hash[:]))[:32]
}

// mac is the hex HMAC-SHA256 of purpose and msg.
func (s *sessions) mac(purpose, msg string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// issue returns the cookie value of a new session for t.
func (s *sessions) issue(t Token) (string, session) {
	ses := session{Name: t.Name, Role: t.Role, Finger: s.fingerprint(t), Expires: s.now().Add(s.ttl).Unix(), Nonce: randomText(16)}
	payload, _ := json.Marshal(ses)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + s.mac("session", body), ses
}

// read checks a session cookie's value: signed by this key, not expired,
// for a token that still exists with the same secret and role.
func (s *sessions) read(value string) (session, bool) {
	body, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > 4096 || !hmac.Equal([]byte(sig), []byte(s.mac("session", body))) {
		return session{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return session{}, false
	}
	var ses session
	if json.Unmarshal(payload, &ses) != nil || s.now().Unix() >= ses.Expires {
		return session{}, false
	}
	t, ok := s.tokens.byHolder(ses.Name)
	if !ok || t.Role != ses.Role || !hmac.Equal([]byte(s.fingerprint(t)), []byte(ses.Finger)) {
		return session{}, false
	}
	return ses, true
}

// csrf returns a session's CSRF token: forms carry it, and a POST without
// it is refused.
func (s *sessions) csrf(ses session) string { return s.mac("csrf", ses.Nonce+"\x00"+ses.Name) }

// signinCSRF returns the CSRF token of the sign-in form for the nonce in
// the browser's sign-in cookie.
func (s *sessions) signinCSRF(nonce string) string { return s.mac("signin", nonce) }

// randomText returns n random bytes as URL-safe base64.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// MinSessionKeyLength is the shortest session key accepted.
const MinSessionKeyLength = 32

// SessionKey reads the key that signs the desk's session cookies from
// where s says (an environment variable or a file), at least
// MinSessionKeyLength bytes. Replicas behind one address share it; a
// changed key signs everyone out. The error never quotes the key.
func SessionKey(s adapters.Secret, env adapters.Env) ([]byte, error) {
	v, err := s.Resolve(env)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if len(v) < MinSessionKeyLength {
		return nil, fmt.Errorf("session key: %d bytes; use at least %d random ones (openssl rand -hex 32)", len(v), MinSessionKeyLength)
	}
	return []byte(v), nil
}
