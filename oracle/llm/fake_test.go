package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/oracle/openai"
)

// This file holds a fake OpenAI-compatible endpoint that speaks the
// chat-completions wire protocol, answering from a script.

// reply is one scripted answer.
type reply struct {
	status int
	header map[string]string
	body   string
	// answer, when set, computes the reply's content from the request
	// (a model that reads its prompt).
	answer func(req map[string]any) string
}

// fakeAPI serves scripted replies in order on POST /v1/chat/completions;
// the last one repeats.
type fakeAPI struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	replies []reply
	got     []map[string]any
}

func newFake(t *testing.T, replies ...reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, replies: replies}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) url() string { return f.srv.URL + "/v1" }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not a JSON object: %v", err)
	}
	f.mu.Lock()
	f.got = append(f.got, body)
	n := len(f.got)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":"Invalid URL (%s %s)","type":"invalid_request_error","param":null,"code":null}}`, r.Method, r.URL.Path)
		return
	}
	if len(f.replies) == 0 {
		f.t.Errorf("request %d with no reply scripted", n)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rp := f.replies[min(n, len(f.replies))-1]
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	status := rp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	body2 := rp.body
	if rp.answer != nil {
		body2 = completion(rp.answer(body), "stop")
	}
	io.WriteString(w, body2)
}

// requests returns the request bodies received so far.
func (f *fakeAPI) requests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.got...)
}

// completion is a chat.completion body as OpenAI sends it.
func completion(content, finish string) string {
	c, _ := json.Marshal(content)
	return fmt.Sprintf(`{
  "id": "chatcmpl-AB1cdEfGh2IjKlMnOpQrStUvWxYz",
  "object": "chat.completion",
  "created": 1727000000,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [
    {
      "index": 0,
      "message": {"role": "assistant", "content": %s, "refusal": null},
      "logprobs": null,
      "finish_reason": %q
    }
  ],
  "usage": {"prompt_tokens": 1800, "completion_tokens": 240, "total_tokens": 2040,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
  "system_fingerprint": "fp_0ba0d124f1"
}`, c, finish)
}

// ok is a 200 reply with the given content.
func ok(content string) reply { return reply{body: completion(content, "stop")} }

const (
	refusalBody = `{
  "id": "chatcmpl-AB1refusal", "object": "chat.completion", "created": 1727000000, "model": "gpt-4o-2024-08-06",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I cannot assist with that request."}, "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 1800, "completion_tokens": 10, "total_tokens": 1810}
}`
	rateLimitBody = `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	serverBody    = `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`
)

// sleeper records the waits the client asks for and returns at once.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

// newDrafter builds a drafter on the fake endpoint with a fake sleeper;
// edit changes the config first.
func newDrafter(t *testing.T, f *fakeAPI, edit func(*Config)) (*Drafter, *sleeper) {
	t.Helper()
	cfg := Config{OpenAI: openai.Config{BaseURL: f.url(), Model: "gpt-4o-mini", MaxTokens: 1000, MaxRetries: 2}}
	if edit != nil {
		edit(&cfg)
	}
	s := &sleeper{}
	d, err := New(cfg, openai.WithSleep(s.sleep))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d, s
}

// messagesOf returns a request's messages as role/content pairs.
func messagesOf(t *testing.T, body map[string]any) [][2]string {
	t.Helper()
	list, ok := body["messages"].([]any)
	if !ok {
		t.Fatalf("request has no messages: %v", body)
	}
	var out [][2]string
	for _, m := range list {
		mm := m.(map[string]any)
		content, _ := mm["content"].(string)
		role, _ := mm["role"].(string)
		out = append(out, [2]string{role, content})
	}
	return out
}

// allText joins a request's message contents.
func allText(t *testing.T, body map[string]any) string {
	var b strings.Builder
	for _, m := range messagesOf(t, body) {
		b.WriteString(m[1])
		b.WriteString("\n")
	}
	return b.String()
}
