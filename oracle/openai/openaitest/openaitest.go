// Package openaitest is a fake OpenAI-compatible chat-completions
// endpoint for tests, in the manner of net/http/httptest: it speaks the
// wire protocol as OpenAI sends it (a chat.completion body, the error
// object {"error":{"message","type","param","code"}}, a 404 for any other
// path), answers each request from a script, and records what it got.
// The bodies below are copied from OpenAI's API reference and from
// answers the endpoints attune supports were seen to send.
package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// DefaultPath is where a Server answers: OpenAI's chat completions under
// the base URL Server.BaseURL returns.
const DefaultPath = "/v1/chat/completions"

// Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Header is set on the answer (Retry-After, say).
	Header map[string]string
	// Body is the answer's body.
	Body string
	// Answer, when set, computes the content of a chat.completion from
	// the request's body (a model that reads its prompt); Body is then
	// that completion.
	Answer func(req map[string]any) string
	// Hang blocks until the client gives up on the request.
	Hang bool
	// HangBody sends the status and headers, then blocks before the body.
	HangBody bool
}

// OK is a 200 reply whose completion has the given content.
func OK(content string) Reply { return Reply{Body: Completion(content, "stop", 1800, 240)} }

// Request is one request as the server received it.
type Request struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	// Body is the request's JSON object.
	Body map[string]any
}

// Server serves scripted replies in order, the last one repeating, on
// POST to its path.
type Server struct {
	*httptest.Server
	t       testing.TB
	mu      sync.Mutex
	path    string
	replies []Reply
	got     []*Request
	// from is how many requests came before the script began.
	from int
}

// NewServer starts a server that answers with replies and is closed when
// the test ends.
func NewServer(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	s := &Server{t: t, path: DefaultPath, replies: replies}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the base_url a client uses for the server.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// SetPath makes the server answer on path instead of DefaultPath (Azure
// OpenAI's /openai/deployments/NAME/chat/completions).
func (s *Server) SetPath(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.path = path
}

// SetReplies replaces the script: the next request gets the first of
// replies, and the last one repeats.
func (s *Server) SetReplies(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies, s.from = replies, len(s.got)
}

// Requests returns what the server has received, in order.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.got...)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := &Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
	if err := json.Unmarshal(raw, &req.Body); err != nil {
		s.t.Errorf("openaitest: the request body is not a JSON object: %v: %q", err, raw)
	}
	s.mu.Lock()
	s.got = append(s.got, req)
	n, path, replies := len(s.got)-s.from, s.path, s.replies
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != path {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":"Invalid URL (%s %s)","type":"invalid_request_error","param":null,"code":null}}`, r.Method, r.URL.Path)
		return
	}
	if len(replies) == 0 {
		s.t.Errorf("openaitest: request %d with no reply scripted", n)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rp := replies[min(n, len(replies))-1]
	if rp.Hang {
		<-r.Context().Done()
		return
	}
	for k, v := range rp.Header {
		w.Header().Set(k, v)
	}
	status := rp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if rp.HangBody {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	body := rp.Body
	if rp.Answer != nil {
		body = Completion(rp.Answer(req.Body), "stop", 1800, 240)
	}
	_, _ = io.WriteString(w, body)
}

// Completion is a chat.completion body exactly as OpenAI sends it, with
// the given content, finish reason and token usage.
func Completion(content, finish string, promptTokens, completionTokens int) string {
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
  "usage": {
    "prompt_tokens": %d,
    "completion_tokens": %d,
    "total_tokens": %d,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "system_fingerprint": "fp_0ba0d124f1"
}`, c, finish, promptTokens, completionTokens, promptTokens+completionTokens)
}

// Bodies as the endpoints send them.
const (
	// RefusalBody is a structured-output refusal as OpenAI sends it.
	RefusalBody = `{
  "id": "chatcmpl-AB1refusal",
  "object": "chat.completion",
  "created": 1727000000,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I cannot assist with that request."},
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {"prompt_tokens": 120, "completion_tokens": 10, "total_tokens": 130}
}`
	// RateLimitBody is OpenAI's 429 for requests per minute.
	RateLimitBody = `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	// ServerErrorBody is OpenAI's 500.
	ServerErrorBody = `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`
)
