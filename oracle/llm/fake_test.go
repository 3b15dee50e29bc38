package llm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/oracle/openai"
	"github.com/attune-dao/attune/oracle/openai/openaitest"
)

// This file adapts openaitest, the fake OpenAI-compatible endpoint, to
// these tests' names.

type (
	reply   = openaitest.Reply
	fakeAPI = openaitest.Server
)

func newFake(t *testing.T, replies ...reply) *fakeAPI { return openaitest.NewServer(t, replies...) }

// completion is a chat.completion body as OpenAI sends it.
func completion(content, finish string) string {
	return openaitest.Completion(content, finish, 1800, 240)
}

// ok is a 200 reply with the given content.
func ok(content string) reply { return openaitest.OK(content) }

const (
	refusalBody   = openaitest.RefusalBody
	rateLimitBody = openaitest.RateLimitBody
	serverBody    = openaitest.ServerErrorBody
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
	cfg := Config{OpenAI: openai.Config{BaseURL: f.BaseURL(), Model: "gpt-4o-mini", MaxTokens: 1000, MaxRetries: 2}}
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
