package openai

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/oracle/openai/openaitest"
)

// This file adapts openaitest, the fake OpenAI-compatible server, to
// these tests' names, and holds a fake sleeper.

type (
	reply   = openaitest.Reply
	seen    = openaitest.Request
	fakeAPI = openaitest.Server
)

func newFake(t *testing.T, replies ...reply) *fakeAPI { return openaitest.NewServer(t, replies...) }

// completion is a chat.completion body exactly as OpenAI sends it.
func completion(content, finish string, prompt, completionTokens int) string {
	return openaitest.Completion(content, finish, prompt, completionTokens)
}

const refusalBody = openaitest.RefusalBody

// Error bodies as the endpoints send them.
const (
	openAIRateLimit       = openaitest.RateLimitBody
	openAIQuota           = `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`
	openAIBadKey          = `{"error":{"message":"Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
	openAINoModel         = `{"error":{"message":"The model ` + "`gpt-9`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`
	openAIServer          = openaitest.ServerErrorBody
	openAIOverloaded      = `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`
	openAINoSchema        = `{"error":{"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model. Learn more about supported models at the Structured Outputs guide: https://platform.openai.com/docs/guides/structured-outputs","type":"invalid_request_error","param":null,"code":null}}`
	openAINoJSONObject    = `{"error":{"message":"Invalid parameter: 'response_format' of type 'json_object' is not supported with this model.","type":"invalid_request_error","param":"response_format","code":null}}`
	openAIContextTooLong  = `{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`
	azureNoSchema         = `{"error":{"code":"BadRequest","message":"response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later"}}`
	llamaCppNoSchema      = `{"error":{"code":500,"message":"response_format type must be one of \"text\" or \"json_object\", but got: json_schema","type":"server_error"}}`
	vllmOldBadFormat      = `{"object":"error","message":"[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}]","type":"BadRequestError","param":null,"code":400}`
	vllmNewNotFound       = `{"error":{"message":"The model ` + "`llama3`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}}`
	ollamaNotFound        = `{"error":{"message":"model \"llama3.1\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`
	nginxBadGateway       = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"
	cloudflareGatewayHTML = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>api.example.com | 504: Gateway time-out</title></head><body><h1>Gateway time-out</h1><p>The web server reported a gateway time-out error.</p></body></html>`
)

// sleeper is a fake wait that records what it was asked to wait and
// returns at once, or, when block is set, waits for ctx to end after
// signalling entered.
type sleeper struct {
	mu      sync.Mutex
	waits   []time.Duration
	block   bool
	entered chan struct{}
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	block := s.block
	s.mu.Unlock()
	if block {
		s.entered <- struct{}{}
		<-ctx.Done()
	}
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient builds a client on the fake server with a fake sleeper.
func newTestClient(t *testing.T, f *fakeAPI, cfg Config, opts ...Option) (*Client, *sleeper) {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = f.BaseURL()
	}
	if cfg.Model == "" {
		cfg.Model = "gpt-4o-mini"
	}
	s := &sleeper{entered: make(chan struct{}, 1)}
	c, err := New(cfg, append([]Option{WithSleep(s.sleep)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, s
}

// draftSchema is a schema like the drafter's.
var draftSchema = json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"},"opening":{"type":"string"}},"required":["title","opening"],"additionalProperties":false}`)

// messages returns a request's messages as role/content pairs.
func messages(t *testing.T, s *seen) [][2]string {
	t.Helper()
	list, ok := s.Body["messages"].([]any)
	if !ok {
		t.Fatalf("request has no messages list: %v", s.Body)
	}
	var out [][2]string
	for _, m := range list {
		mm := m.(map[string]any)
		content, _ := mm["content"].(string)
		out = append(out, [2]string{mm["role"].(string), content})
	}
	return out
}

// responseFormatType returns the request's response_format.type, or "".
func responseFormatType(s *seen) string {
	rf, ok := s.Body["response_format"].(map[string]any)
	if !ok {
		return ""
	}
	typ, _ := rf["type"].(string)
	return typ
}

// mustContain fails unless s contains every part.
func mustContain(t *testing.T, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%q does not contain %q", s, p)
		}
	}
}
