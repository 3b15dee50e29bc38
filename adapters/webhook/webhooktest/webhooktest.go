// Package webhooktest provides receivers of the webhook sink's three
// formats for tests, each speaking its real protocol: an attune receiver
// that verifies signatures as a user's service would, and fakes of
// Slack's incoming webhooks and Discord's execute-webhook endpoint with
// their real answers and error bodies (testdata/README.md in package
// webhook cites them).
package webhooktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/adapters/webhook"
)

// Receiver receives the attune format: it checks each request's
// signature with webhook.Verify and keeps the events it accepted, one per
// key, as a receiver should.
type Receiver struct {
	sinktest.Script
	// Secret is the shared key; Now the receiver's clock (time.Now when
	// nil); Tolerance is passed to Verify.
	Secret    string
	Now       func() time.Time
	Tolerance time.Duration

	mu       sync.Mutex
	requests int
	rejected []error
	events   []webhook.Event
	keys     map[string]bool
}

// NewReceiver starts a receiver with secret; the test closes it.
func NewReceiver(secret string) (*Receiver, *httptest.Server) {
	r := &Receiver{Secret: secret}
	return r, httptest.NewServer(r)
}

// ServeHTTP answers 200 to a delivery it accepts (a second delivery of a
// key too, without keeping it again), 400 to one whose signature fails.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.requests++
	rc.mu.Unlock()
	if rc.Serve(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "want a POST with a body", http.StatusBadRequest)
		return
	}
	now := time.Now()
	if rc.Now != nil {
		now = rc.Now()
	}
	if err := webhook.Verify(rc.Secret, r.Header.Get(webhook.SignatureHeader), body, now, rc.Tolerance); err != nil {
		rc.mu.Lock()
		rc.rejected = append(rc.rejected, err)
		rc.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ev webhook.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.Key == "" || ev.Key != r.Header.Get(webhook.KeyHeader) {
		http.Error(w, "not an attune event", http.StatusUnprocessableEntity)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.keys == nil {
		rc.keys = map[string]bool{}
	}
	if !rc.keys[ev.Key] {
		rc.keys[ev.Key] = true
		rc.events = append(rc.events, ev)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"received":%q}`, ev.Key)
}

// Requests counts every request, refused or not.
func (rc *Receiver) Requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests
}

// Events are the accepted events, one per key.
func (rc *Receiver) Events() []webhook.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhook.Event(nil), rc.events...)
}

// Rejected are Verify's errors for the deliveries refused.
func (rc *Receiver) Rejected() []error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]error(nil), rc.rejected...)
}

// Slack fakes an incoming webhook (POST https://hooks.slack.com/services/T/B/X):
// 200 "ok" in text/plain to a message with text or blocks, Slack's plain
// text errors otherwise.
type Slack struct {
	sinktest.Script
	// Path is the webhook's path, its token included; other paths get
	// 404 no_service.
	Path string
	inbox
}

// inbox counts a chat fake's requests and keeps the messages posted.
type inbox struct {
	mu       sync.Mutex
	requests int
	messages []map[string]any
}

func (b *inbox) request() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests++
}

// add keeps m and returns how many messages there are.
func (b *inbox) add(m map[string]any) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.messages = append(b.messages, m)
	return len(b.messages)
}

// Requests counts every request.
func (b *inbox) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests
}

// Messages are the messages posted.
func (b *inbox) Messages() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]map[string]any(nil), b.messages...)
}

// SlackPath is a webhook path of Slack's shape.
const SlackPath = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"

// NewSlack starts a Slack fake at SlackPath.
func NewSlack() (*Slack, *httptest.Server) {
	s := &Slack{Path: SlackPath}
	return s, httptest.NewServer(s)
}

// Slack's answers (docs.slack.dev, "Sending messages using incoming
// webhooks", Handling errors).
var (
	SlackInvalidToken = sinktest.Reply{Status: 403, Body: "invalid_token", Header: textPlain}
	SlackArchived     = sinktest.Reply{Status: 410, Body: "channel_is_archived", Header: textPlain}
	SlackRateLimited  = sinktest.Reply{Status: 429, Body: "rate_limited", Header: http.Header{"Content-Type": {"text/plain"}, "Retry-After": {"1"}}}
	SlackRollupError  = sinktest.Reply{Status: 500, Body: "rollup_error", Header: textPlain}
)

var textPlain = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}

func (s *Slack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.request()
	if s.Serve(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Path != s.Path {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "no_service")
		return
	}
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "invalid_payload")
		return
	}
	if _, ok := m["text"]; !ok {
		if _, ok := m["blocks"]; !ok {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "no_text")
			return
		}
	}
	s.add(m)
	io.WriteString(w, "ok")
}

// Discord fakes POST /api/webhooks/{id}/{token}: 204 No Content, or with
// ?wait=true 200 and the message created; Discord's JSON errors
// otherwise (discord.com/developers/docs: Execute Webhook, JSON Error
// Codes, Rate Limits).
type Discord struct {
	sinktest.Script
	// ID and Token make the webhook's path.
	ID, Token string
	inbox
}

// NewDiscord starts a Discord fake.
func NewDiscord() (*Discord, *httptest.Server) {
	d := &Discord{ID: "1184563790128578611", Token: "dQ9yK2vR1xM8pL4nZ7sW0tB3cF6hJ5aE-gUiOoYbTnVmXqPrSlKjHgFdSaZxCvBn"}
	return d, httptest.NewServer(d)
}

// Path is the webhook's path.
func (d *Discord) Path() string { return "/api/webhooks/" + d.ID + "/" + d.Token }

// DiscordRateLimited is Discord's 429.
var DiscordRateLimited = sinktest.Reply{Status: 429, Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}, "X-Ratelimit-Scope": {"shared"}},
	Body: `{"message": "You are being rate limited.", "retry_after": 0.529, "global": false}`}

func (d *Discord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.request()
	if d.Serve(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/webhooks/"+d.ID+"/") && r.URL.Path != d.Path():
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message": "Invalid Webhook Token", "code": 50027}`)
		return
	case r.URL.Path != d.Path():
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message": "Unknown Webhook", "code": 10015}`)
		return
	}
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message": "Cannot send an empty message", "code": 50006}`)
		return
	}
	content, _ := m["content"].(string)
	if n := len(utf16.Encode([]rune(content))); n > 2000 {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message": "Invalid Form Body", "code": 50035, "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}}`)
		return
	}
	id := 1184570000000000000 + int64(d.add(m))
	if r.URL.Query().Get("wait") != "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	msg := map[string]any{"type": 0, "content": content, "mentions": []any{}, "mention_roles": []any{}, "attachments": []any{}, "embeds": []any{},
		"timestamp": "2024-12-12T09:14:07.123000+00:00", "edited_timestamp": nil, "flags": 0, "components": []any{},
		"id": strconv.FormatInt(id, 10), "channel_id": "1184561234567890123",
		"author": map[string]any{"id": d.ID, "username": "attune", "avatar": nil, "discriminator": "0000", "public_flags": 0, "flags": 0, "bot": true, "global_name": nil},
		"pinned": false, "mention_everyone": false, "tts": false, "webhook_id": d.ID}
	json.NewEncoder(w).Encode(msg)
}
