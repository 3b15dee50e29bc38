package openai

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStructuredSuccess(t *testing.T) {
	f := newFake(t, reply{Body: completion(`{"title":"Lower quorum","opening":"This lowers quorum."}`, "stop", 1200, 80)})
	temp := 0.2
	c, s := newTestClient(t, f, Config{
		APIKey: "sk-test-123", MaxTokens: 700, Temperature: &temp,
		Price: Price{PromptPer1K: 0.15, CompletionPer1K: 0.6},
	})
	seed := 7
	resp, err := c.Complete(context.Background(), Request{
		System: "You draft governance proposals.", User: "Facts: ...",
		Schema: draftSchema, SchemaName: "proposal_prose", Seed: &seed,
	})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if string(resp.JSON) != `{"title":"Lower quorum","opening":"This lowers quorum."}` {
		t.Errorf("JSON = %s", resp.JSON)
	}
	if !resp.Structured || resp.Mode != ModeJSONSchema || resp.FinishReason != "stop" || resp.Model != "gpt-4o-mini-2024-07-18" {
		t.Errorf("response = %+v", resp)
	}
	wantCost := 1200.0/1000*0.15 + 80.0/1000*0.6
	want := Usage{PromptTokens: 1200, CompletionTokens: 80, Requests: 1, CostUSD: wantCost}
	if d := resp.Usage.CostUSD - wantCost; resp.Usage.PromptTokens != 1200 || resp.Usage.CompletionTokens != 80 || resp.Usage.Requests != 1 || math.Abs(d) > 1e-12 {
		t.Errorf("call usage = %+v, want %+v", resp.Usage, want)
	}
	if u := c.Usage(); u != resp.Usage {
		t.Errorf("client usage = %+v, want %+v", u, resp.Usage)
	}
	if len(s.got()) != 0 {
		t.Errorf("slept %v on a first-time success", s.got())
	}

	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1/chat/completions" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test-123" {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if r.Body["model"] != "gpt-4o-mini" || r.Body["max_tokens"] != 700.0 || r.Body["seed"] != 7.0 || r.Body["stream"] != false {
		t.Errorf("body = %v", r.Body)
	}
	if got, ok := r.Body["temperature"].(float64); !ok || math.Abs(got-0.2) > 1e-6 {
		t.Errorf("temperature = %v", r.Body["temperature"])
	}
	msgs := messages(t, r)
	if len(msgs) != 2 || msgs[0] != [2]string{"system", "You draft governance proposals."} || msgs[1] != [2]string{"user", "Facts: ..."} {
		t.Errorf("messages = %q", msgs)
	}
	rf := r.Body["response_format"].(map[string]any)
	js := rf["json_schema"].(map[string]any)
	if rf["type"] != "json_schema" || js["name"] != "proposal_prose" || js["strict"] != true {
		t.Errorf("response_format = %v", rf)
	}
	sent, _ := json.Marshal(js["schema"])
	var a, b any
	_ = json.Unmarshal(sent, &a)
	_ = json.Unmarshal(draftSchema, &b)
	if !jsonEqual(a, b) {
		t.Errorf("schema sent = %s, want %s", sent, draftSchema)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestPlainTextRequest(t *testing.T) {
	f := newFake(t, reply{Body: completion("Hello.", "stop", 10, 2)})
	zero := 0.0
	c, _ := newTestClient(t, f, Config{Temperature: &zero})
	resp, err := c.Complete(context.Background(), Request{User: "Say hello."})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content != "Hello." || resp.JSON != nil || resp.Structured || resp.Mode != ModePrompt {
		t.Errorf("response = %+v", resp)
	}
	r := f.Requests()[0]
	if _, ok := r.Body["response_format"]; ok {
		t.Errorf("plain request sent response_format %v", r.Body["response_format"])
	}
	if _, ok := r.Body["max_tokens"]; ok {
		t.Errorf("max_tokens sent with MaxTokens 0")
	}
	// A zero temperature must reach the endpoint as (nearly) zero, not be
	// dropped to the endpoint's default of 1.
	if got, ok := r.Body["temperature"].(float64); !ok || got <= 0 || got > 1e-30 {
		t.Errorf("temperature = %v, want the smallest positive float32", r.Body["temperature"])
	}
}

func TestReasoningModelUsesMaxCompletionTokens(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 10, 2)})
	c, _ := newTestClient(t, f, Config{Model: "o3-mini", MaxTokens: 500})
	if _, err := c.Complete(context.Background(), Request{User: "x"}); err != nil {
		t.Fatal(err)
	}
	r := f.Requests()[0]
	if r.Body["max_completion_tokens"] != 500.0 {
		t.Errorf("max_completion_tokens = %v", r.Body["max_completion_tokens"])
	}
	if _, ok := r.Body["max_tokens"]; ok {
		t.Errorf("max_tokens sent to a reasoning model")
	}
}

func TestFallbackJSONSchemaToJSONObject(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"openai", 400, openAINoSchema},
		{"azure", 400, azureNoSchema},
		{"llama.cpp", 500, llamaCppNoSchema},
		{"vllm", 400, vllmOldBadFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t,
				reply{Status: tc.status, Body: tc.body},
				reply{Body: completion("```json\n{\"title\":\"T\",\"opening\":\"O\"}\n```", "stop", 300, 20)},
			)
			c, s := newTestClient(t, f, Config{})
			resp, err := c.Complete(context.Background(), Request{System: "Draft.", User: "Facts.", Schema: draftSchema})
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if string(resp.JSON) != `{"title":"T","opening":"O"}` {
				t.Errorf("JSON = %s", resp.JSON)
			}
			if resp.Mode != ModeJSONObject || resp.Structured || c.Mode() != ModeJSONObject {
				t.Errorf("mode = %v structured %v client mode %v", resp.Mode, resp.Structured, c.Mode())
			}
			if resp.Usage.Requests != 2 || len(s.got()) != 0 {
				t.Errorf("requests %d, waits %v: a refused format is not retried", resp.Usage.Requests, s.got())
			}
			if len(resp.Notes) != 1 {
				t.Fatalf("notes = %q", resp.Notes)
			}
			mustContain(t, resp.Notes[0], "json_schema refused", "json_object")
			reqs := f.Requests()
			if len(reqs) != 2 || responseFormatType(reqs[0]) != "json_schema" || responseFormatType(reqs[1]) != "json_object" {
				t.Fatalf("formats sent: %d requests", len(reqs))
			}
			sys := messages(t, reqs[1])[0]
			if sys[0] != "system" {
				t.Fatalf("first message %q", sys)
			}
			mustContain(t, sys[1], "Draft.", "JSON", `"additionalProperties":false`)

			// The mode is remembered: the next call starts at json_object.
			f.SetReplies(reply{Body: completion(`{"title":"A","opening":"B"}`, "stop", 300, 20)})
			resp, err = c.Complete(context.Background(), Request{User: "Again.", Schema: draftSchema})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Usage.Requests != 1 || len(resp.Notes) != 0 || responseFormatType(f.Requests()[2]) != "json_object" {
				t.Errorf("second call: %+v, sent %q", resp, responseFormatType(f.Requests()[2]))
			}
		})
	}
}

func TestFallbackDownToPrompt(t *testing.T) {
	f := newFake(t,
		reply{Status: 400, Body: openAINoSchema},
		reply{Status: 400, Body: openAINoJSONObject},
		reply{Body: completion("Here it is:\n{\"title\":\"T\",\"opening\":\"O\"}\nHope that helps.", "stop", 300, 20)},
	)
	c, _ := newTestClient(t, f, Config{})
	resp, err := c.Complete(context.Background(), Request{User: "Facts.", Schema: draftSchema})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.JSON) != `{"title":"T","opening":"O"}` || resp.Mode != ModePrompt || c.Mode() != ModePrompt || len(resp.Notes) != 2 {
		t.Errorf("response = %+v", resp)
	}
	reqs := f.Requests()
	if len(reqs) != 3 || responseFormatType(reqs[2]) != "" {
		t.Fatalf("third request format %q", responseFormatType(reqs[2]))
	}
	mustContain(t, messages(t, reqs[2])[0][1], "JSON Schema")
}

func TestBadRequestNotAboutFormatDoesNotFallBack(t *testing.T) {
	f := newFake(t, reply{Status: 400, Body: openAIContextTooLong})
	c, _ := newTestClient(t, f, Config{})
	_, err := c.Complete(context.Background(), Request{User: "x", Schema: draftSchema})
	if !errors.Is(err, ErrBadRequest) || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if len(f.Requests()) != 1 || c.Mode() != ModeJSONSchema {
		t.Errorf("%d requests, mode %v", len(f.Requests()), c.Mode())
	}
	mustContain(t, err.Error(), "HTTP 400", "maximum context length", "context_length_exceeded", "param messages")
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"http date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		{"milliseconds", map[string]string{"Retry-After-Ms": "1500", "Retry-After": "2"}, 1500 * time.Millisecond},
		{"capped", map[string]string{"Retry-After": "3600"}, 45 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t,
				reply{Status: 429, Header: tc.header, Body: openAIRateLimit},
				reply{Body: completion("ok", "stop", 5, 1)},
			)
			c, s := newTestClient(t, f, Config{MaxRetryAfter: 45 * time.Second}, WithClock(func() time.Time { return now }))
			resp, err := c.Complete(context.Background(), Request{User: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.got(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("waits = %v, want [%v]", got, tc.want)
			}
			if resp.Usage.Requests != 2 || c.Usage().Requests != 2 || len(f.Requests()) != 2 {
				t.Errorf("requests: call %d client %d server %d", resp.Usage.Requests, c.Usage().Requests, len(f.Requests()))
			}
		})
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	f := newFake(t, reply{Status: 503, Body: openAIOverloaded})
	c, s := newTestClient(t, f, Config{MaxRetries: 3, BackoffBase: time.Second, BackoffMax: 3 * time.Second})
	resp, err := c.Complete(context.Background(), Request{User: "x"})
	if err == nil {
		t.Fatal("no error")
	}
	if !IsRetryable(err) || !errors.Is(err, ErrServer) {
		t.Errorf("err = %v, retryable %v", err, IsRetryable(err))
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || e.Attempts != 4 {
		t.Fatalf("err = %#v", err)
	}
	mustContain(t, err.Error(), "HTTP 503", "after 4 attempts", "currently overloaded", "type server_error")
	if len(f.Requests()) != 4 || resp.Usage.Requests != 4 {
		t.Errorf("server saw %d requests, usage %d; want 4", len(f.Requests()), resp.Usage.Requests)
	}
	// Full jitter: wait n is drawn from [0, min(max, base·2^(n-1))].
	waits := s.got()
	if len(waits) != 3 {
		t.Fatalf("waits = %v", waits)
	}
	for i, w := range waits {
		ceiling := min(3*time.Second, time.Second<<i)
		if w < 0 || w > ceiling {
			t.Errorf("wait %d = %v, outside [0, %v]", i+1, w, ceiling)
		}
	}
}

func TestJitterIsSeeded(t *testing.T) {
	run := func(seed uint64) []time.Duration {
		f := newFake(t, reply{Status: 500, Body: openAIServer})
		c, s := newTestClient(t, f, Config{MaxRetries: 5, JitterSeed: seed})
		_, _ = c.Complete(context.Background(), Request{User: "x"})
		return s.got()
	}
	a, b, other := run(11), run(11), run(12)
	if len(a) != 5 || !slicesEqual(a, b) {
		t.Errorf("same seed gave %v and %v", a, b)
	}
	if slicesEqual(a, other) {
		t.Errorf("seeds 11 and 12 gave the same waits %v", a)
	}
}

func slicesEqual(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNoRetriesWhenNegative(t *testing.T) {
	f := newFake(t, reply{Status: 502, Body: nginxBadGateway})
	c, s := newTestClient(t, f, Config{MaxRetries: -1})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !IsRetryable(err) || len(f.Requests()) != 1 || len(s.got()) != 0 {
		t.Errorf("err %v, %d requests, waits %v", err, len(f.Requests()), s.got())
	}
}

func TestHTMLBadGateway(t *testing.T) {
	f := newFake(t, reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: nginxBadGateway})
	c, _ := newTestClient(t, f, Config{MaxRetries: 1})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !IsRetryable(err) || !errors.Is(err, ErrServer) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "HTTP 502", `"502 Bad Gateway"`, "after 2 attempts")
	if strings.Contains(err.Error(), "<") {
		t.Errorf("HTML tags in error: %v", err)
	}
}

func TestAttemptTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    reply
	}{
		{"no headers", reply{Hang: true}},
		{"headers then no body", reply{HangBody: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.r)
			c, s := newTestClient(t, f, Config{Timeout: 50 * time.Millisecond, MaxRetries: 1})
			_, err := c.Complete(context.Background(), Request{User: "x"})
			if !errors.Is(err, ErrTimeout) || !IsRetryable(err) {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				t.Errorf("an attempt timeout reads as the caller's context ending: %v", err)
			}
			if len(f.Requests()) != 2 || len(s.got()) != 1 {
				t.Errorf("%d requests, waits %v; want 2 and 1", len(f.Requests()), s.got())
			}
			mustContain(t, err.Error(), "attempt timed out", "raise Timeout")
		})
	}
}

func TestTruncated(t *testing.T) {
	f := newFake(t, reply{Body: completion(`{"title":"Lower quorum","open`, "length", 900, 64)})
	c, _ := newTestClient(t, f, Config{MaxTokens: 64})
	resp, err := c.Complete(context.Background(), Request{User: "x", Schema: draftSchema})
	if !errors.Is(err, ErrTruncated) || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "MaxTokens 64")
	if resp.Content != `{"title":"Lower quorum","open` || resp.FinishReason != "length" || resp.Usage.CompletionTokens != 64 {
		t.Errorf("response = %+v", resp)
	}
	if len(f.Requests()) != 1 {
		t.Errorf("%d requests", len(f.Requests()))
	}
}

func TestMalformedBodies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      reply
		schema bool
		want   string
	}{
		{"html 200", reply{Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><head><title>Sign in to the proxy</title></head></html>"}, false, "Sign in to the proxy"},
		{"truncated json", reply{Body: `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,`}, false, "not JSON"},
		{"wrong shape", reply{Body: `{"choices":"none"}`}, false, "not a chat completion"},
		{"no choices", reply{Body: `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0,"total_tokens":1}}`}, false, "no choices"},
		{"empty content", reply{Body: completion("", "stop", 5, 0)}, false, "empty"},
		{"no json object", reply{Body: completion("I cannot produce JSON today.", "stop", 5, 7)}, true, "no JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.r)
			c, _ := newTestClient(t, f, Config{})
			req := Request{User: "x"}
			if tc.schema {
				req.Schema = draftSchema
			}
			_, err := c.Complete(context.Background(), req)
			if !errors.Is(err, ErrMalformed) || IsRetryable(err) {
				t.Fatalf("err = %v", err)
			}
			mustContain(t, err.Error(), tc.want)
			if len(f.Requests()) != 1 {
				t.Errorf("%d requests", len(f.Requests()))
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	f := newFake(t, reply{Body: refusalBody})
	c, _ := newTestClient(t, f, Config{})
	resp, err := c.Complete(context.Background(), Request{User: "x", Schema: draftSchema})
	if !errors.Is(err, ErrRefused) || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "cannot assist")
	if resp.Refusal != "I'm sorry, I cannot assist with that request." || resp.Usage.PromptTokens != 120 {
		t.Errorf("response = %+v", resp)
	}
}

func TestContentFilter(t *testing.T) {
	f := newFake(t, reply{Body: completion("", "content_filter", 50, 0)})
	c, _ := newTestClient(t, f, Config{})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v", err)
	}
}

func TestBudgetRefusesBeforeSending(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 10, 1)})
	c, _ := newTestClient(t, f, Config{MaxTokens: 500, Budget: Budget{Tokens: 600}})
	// 400 bytes of prompt at 4 bytes a token = 100, plus 3 for the one
	// message and 3 for the reply: 106 + 500 > 600.
	_, err := c.Complete(context.Background(), Request{User: strings.Repeat("a", 400)})
	if !errors.Is(err, ErrBudget) || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "606 tokens", "Budget.Tokens 600")
	if len(f.Requests()) != 0 || c.Usage().Requests != 0 {
		t.Errorf("a request over budget was sent")
	}
	// 376 bytes: 94 + 6 + 500 = 600 fits exactly.
	if _, err := c.Complete(context.Background(), Request{User: strings.Repeat("a", 376)}); err != nil {
		t.Fatalf("a request within budget: %v", err)
	}
}

func TestBudgetAccumulates(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 300, 200)})
	c, _ := newTestClient(t, f, Config{MaxTokens: 200, Budget: Budget{Tokens: 1000}})
	if _, err := c.Complete(context.Background(), Request{User: "short"}); err != nil {
		t.Fatal(err)
	}
	// 500 spent; the next could use its prompt plus 200: still fits.
	if _, err := c.Complete(context.Background(), Request{User: "short"}); err != nil {
		t.Fatal(err)
	}
	// 1000 spent: nothing more fits.
	_, err := c.Complete(context.Background(), Request{User: "short"})
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("err = %v", err)
	}
	if u := c.Usage(); u.PromptTokens != 600 || u.CompletionTokens != 400 || u.Requests != 2 || len(f.Requests()) != 2 {
		t.Errorf("usage = %+v, server %d", u, len(f.Requests()))
	}
}

func TestBudgetUSD(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 1000, 500)})
	c, _ := newTestClient(t, f, Config{MaxTokens: 500, Budget: Budget{USD: 0.05}, Price: Price{PromptPer1K: 0.01, CompletionPer1K: 0.03}})
	// A call costs 1000/1000·0.01 + 500/1000·0.03 = $0.025.
	for i := range 2 {
		if _, err := c.Complete(context.Background(), Request{User: "short"}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := c.Complete(context.Background(), Request{User: "short"}); !errors.Is(err, ErrBudget) {
		t.Fatalf("third call: %v", err)
	}
	if got := c.Usage().CostUSD; math.Abs(got-0.05) > 1e-12 {
		t.Errorf("cost = %v, want 0.05", got)
	}
}

func TestBudgetLearnsBytesPerToken(t *testing.T) {
	// The endpoint reports 2 bytes a token of content; the client must then
	// estimate later prompts at 2, not 4.
	user := strings.Repeat("é", 100) // 200 bytes
	f := newFake(t, reply{Body: completion("ok", "stop", 100+3+3, 1)})
	c, _ := newTestClient(t, f, Config{MaxTokens: 10, Budget: Budget{Tokens: 1_000_000}})
	if got := c.estimate(200, 1); got != 56 {
		t.Fatalf("first estimate = %d, want 50+6", got)
	}
	if _, err := c.Complete(context.Background(), Request{User: user}); err != nil {
		t.Fatal(err)
	}
	if got := c.estimate(200, 1); got != 106 {
		t.Errorf("learnt estimate = %d, want 100+6", got)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	f := newFake(t, reply{Status: 503, Body: openAIOverloaded})
	c, s := newTestClient(t, f, Config{MaxRetries: 5})
	s.block = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Complete(ctx, Request{User: "x"})
		done <- err
	}()
	<-s.entered
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "stopped after 1 attempt")
	if len(f.Requests()) != 1 {
		t.Errorf("%d requests after cancellation, want 1", len(f.Requests()))
	}
}

func TestCanceledBeforeSending(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 1, 1)})
	c, _ := newTestClient(t, f, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Complete(ctx, Request{User: "x"})
	if !errors.Is(err, context.Canceled) || len(f.Requests()) != 0 {
		t.Fatalf("err = %v, %d requests", err, len(f.Requests()))
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	f := newFake(t)
	url := f.BaseURL()
	f.Close() // nothing listens there any more
	c, s := newTestClient(t, f, Config{BaseURL: url, MaxRetries: 2})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !errors.Is(err, ErrNetwork) || !IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if len(s.got()) != 2 || c.Usage().Requests != 3 {
		t.Errorf("waits %v, requests %d", s.got(), c.Usage().Requests)
	}
}

func TestAzure(t *testing.T) {
	f := newFake(t, reply{Body: completion(`{"title":"T","opening":"O"}`, "stop", 10, 5)})
	const path = "/openai/deployments/prod-gpt4o/chat/completions"
	f.SetPath(path)
	c, _ := newTestClient(t, f, Config{
		BaseURL: f.URL, Model: "gpt-4o", APIKey: "azure-key-1",
		Azure: &Azure{Deployment: "prod-gpt4o"},
	})
	if _, err := c.Complete(context.Background(), Request{User: "x", Schema: draftSchema}); err != nil {
		t.Fatal(err)
	}
	r := f.Requests()[0]
	if r.Path != path || r.Query["api-version"][0] != DefaultAzureAPIVersion {
		t.Errorf("Azure request %s ?%v", r.Path, r.Query)
	}
	if r.Header.Get("api-key") != "azure-key-1" || r.Header.Get("Authorization") != "" {
		t.Errorf("Azure headers: api-key %q, Authorization %q", r.Header.Get("api-key"), r.Header.Get("Authorization"))
	}
}

func TestAzureDeploymentDefaultsToModel(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 1, 1)})
	const path = "/openai/deployments/gpt-4o/chat/completions"
	f.SetPath(path)
	c, _ := newTestClient(t, f, Config{BaseURL: f.URL, Model: "gpt-4o", APIKey: "k", Azure: &Azure{APIVersion: "2024-08-01-preview"}})
	if _, err := c.Complete(context.Background(), Request{User: "x"}); err != nil {
		t.Fatal(err)
	}
	if r := f.Requests()[0]; r.Path != path || r.Query["api-version"][0] != "2024-08-01-preview" {
		t.Errorf("request %s ?%v", r.Path, r.Query)
	}
}

func TestLocalServerWithoutKey(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 1, 1)})
	c, _ := newTestClient(t, f, Config{Model: "llama3.1"})
	if _, err := c.Complete(context.Background(), Request{User: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Requests()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization %q sent without a key", got)
	}
}

func TestKeyNeverInErrors(t *testing.T) {
	const key = "sk-proj-SECRET-0123456789abcdef"
	for _, tc := range []struct {
		status int
		body   string
	}{
		{401, `{"error":{"message":"Incorrect API key provided: ` + key + `.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{400, `{"error":{"message":"bad header Authorization: Bearer ` + key + `","type":"invalid_request_error","param":"` + key + `","code":"` + key + `"}}`},
		{500, `{"object":"error","message":"upstream said ` + key + `","type":"` + key + `","code":500}`},
		{502, "<html><head><title>502 " + key + "</title></head></html>"},
		{200, "<html><body>Authorization: Bearer " + key + "</body></html>"},
		{200, completion("", "length", 1, 1)},
	} {
		f := newFake(t, reply{Status: tc.status, Body: tc.body})
		c, _ := newTestClient(t, f, Config{APIKey: key, APIKeyEnv: "ATTUNE_OPENAI_KEY", MaxRetries: -1})
		_, err := c.Complete(context.Background(), Request{User: "x"})
		if err == nil {
			t.Fatalf("status %d: no error", tc.status)
		}
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("status %d: the key is in the error: %v", tc.status, err)
		}
		if got := f.Requests()[0].Header.Get("Authorization"); got != "Bearer "+key {
			t.Errorf("Authorization %q", got)
		}
	}
}

func TestAuthErrorNamesEnvVar(t *testing.T) {
	f := newFake(t, reply{Status: 401, Body: openAIBadKey})
	c, s := newTestClient(t, f, Config{APIKey: "sk-wrong", APIKeyEnv: "ATTUNE_OPENAI_KEY"})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !errors.Is(err, ErrAuth) || IsRetryable(err) || len(s.got()) != 0 {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "HTTP 401", "ATTUNE_OPENAI_KEY", "Incorrect API key", "code invalid_api_key")

	f = newFake(t, reply{Status: 401, Body: `{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}`})
	c, _ = newTestClient(t, f, Config{APIKeyEnv: "LLAMA_KEY"})
	_, err = c.Complete(context.Background(), Request{User: "x"})
	mustContain(t, err.Error(), "no API key was sent", "set LLAMA_KEY")
}

func TestNotFoundNamesModelAndBaseURL(t *testing.T) {
	for _, body := range []string{openAINoModel, vllmNewNotFound, ollamaNotFound} {
		f := newFake(t, reply{Status: 404, Body: body})
		c, _ := newTestClient(t, f, Config{Model: "llama3.1"})
		_, err := c.Complete(context.Background(), Request{User: "x"})
		if !errors.Is(err, ErrNotFound) || IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
		mustContain(t, err.Error(), `model "llama3.1"`, f.BaseURL(), "HTTP 404")
	}
	// A base_url without /v1 reaches the wrong path.
	f := newFake(t, reply{Body: completion("ok", "stop", 1, 1)})
	c, _ := newTestClient(t, f, Config{BaseURL: f.URL})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err.Error(), "Invalid URL (POST /chat/completions)", "base_url")
}

func TestQuotaIsTerminal(t *testing.T) {
	f := newFake(t, reply{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: openAIQuota})
	c, s := newTestClient(t, f, Config{})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !errors.Is(err, ErrQuota) || IsRetryable(err) || len(s.got()) != 0 || len(f.Requests()) != 1 {
		t.Fatalf("err = %v, waits %v", err, s.got())
	}
}

func TestConcurrentCallsRespectBudget(t *testing.T) {
	f := newFake(t, reply{Body: completion("ok", "stop", 10, 40)})
	// Each call reserves its prompt estimate (2 bytes → 1 token, plus 6)
	// and 50 of completion: 57. Five fit in 300 while in flight; once
	// settled each has spent 50.
	c, _ := newTestClient(t, f, Config{MaxTokens: 50, Budget: Budget{Tokens: 300}})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.Complete(context.Background(), Request{User: "hi"})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrBudget):
			t.Errorf("err = %v", err)
		}
	}
	u := c.Usage()
	if u.PromptTokens+u.CompletionTokens > 300 {
		t.Errorf("spent %d tokens over a budget of 300", u.PromptTokens+u.CompletionTokens)
	}
	if ok != 5 || ok != len(f.Requests()) || u.Requests != ok {
		t.Errorf("%d calls succeeded, server saw %d, usage %+v", ok, len(f.Requests()), u)
	}
}

func TestRequestValidation(t *testing.T) {
	f := newFake(t)
	c, _ := newTestClient(t, f, Config{})
	for _, req := range []Request{
		{},
		{System: "only a system prompt"},
		{User: "x", Schema: json.RawMessage(`[1,2]`)},
		{User: "x", Schema: json.RawMessage(`{`)},
		{User: "x", Schema: draftSchema, SchemaName: "has space"},
		{Messages: []Message{{Role: "tool", Content: "x"}}},
	} {
		if _, err := c.Complete(context.Background(), req); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", req, err)
		}
	}
	if len(f.Requests()) != 0 {
		t.Errorf("invalid requests were sent")
	}
}

func TestRepairConversation(t *testing.T) {
	f := newFake(t, reply{Body: completion(`{"title":"T","opening":"O"}`, "stop", 10, 5)})
	c, _ := newTestClient(t, f, Config{})
	_, err := c.Complete(context.Background(), Request{
		System:   "sys",
		Messages: []Message{{Role: "user", Content: "facts"}, {Role: "assistant", Content: `{"title":"bad"}`}},
		User:     "Findings: fix the number.",
		Schema:   draftSchema,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := messages(t, f.Requests()[0])
	want := [][2]string{{"system", "sys"}, {"user", "facts"}, {"assistant", `{"title":"bad"}`}, {"user", "Findings: fix the number."}}
	if len(got) != len(want) {
		t.Fatalf("messages = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestRefusedByGoOpenAIBeforeSending(t *testing.T) {
	f := newFake(t)
	// go-openai refuses chat completions for completion-only models.
	c, _ := newTestClient(t, f, Config{Model: "text-davinci-003"})
	_, err := c.Complete(context.Background(), Request{User: "x"})
	if !errors.Is(err, ErrInvalid) || IsRetryable(err) || len(f.Requests()) != 0 {
		t.Fatalf("err = %v, %d requests", err, len(f.Requests()))
	}
	mustContain(t, err.Error(), "before sending", "text-davinci-003")
}
