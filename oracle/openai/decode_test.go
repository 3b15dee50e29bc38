package openai

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseErrorBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want apiError
	}{
		{"openai", openAIRateLimit, apiError{Message: "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.", Type: "requests", Code: "rate_limit_exceeded", JSON: true}},
		{"openai param", openAINoJSONObject, apiError{Message: "Invalid parameter: 'response_format' of type 'json_object' is not supported with this model.", Type: "invalid_request_error", Param: "response_format", JSON: true}},
		{"azure", azureNoSchema, apiError{Message: "response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later", Code: "BadRequest", JSON: true}},
		{"llama.cpp numeric code", llamaCppNoSchema, apiError{Message: `response_format type must be one of "text" or "json_object", but got: json_schema`, Type: "server_error", Code: "500", JSON: true}},
		{"vllm top level", `{"object":"error","message":"The model ` + "`x`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`, apiError{Message: "The model `x` does not exist.", Type: "NotFoundError", Code: "404", JSON: true}},
		{"ollama native", `{"error":"model 'llama3' not found"}`, apiError{Message: "model 'llama3' not found", JSON: true}},
		{"message list", `{"error":{"message":["a is bad","b is bad"],"type":"invalid_request_error"}}`, apiError{Message: "a is bad, b is bad", Type: "invalid_request_error", JSON: true}},
		{"fastapi detail", `{"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"}]}`, apiError{Message: "field required", JSON: true}},
		{"fastapi detail string", `{"detail":"Not Found"}`, apiError{Message: "Not Found", JSON: true}},
		{"nginx", nginxBadGateway, apiError{Message: "502 Bad Gateway"}},
		{"cloudflare", cloudflareGatewayHTML, apiError{Message: "api.example.com | 504: Gateway time-out"}},
		{"html without title", "<p>upstream   connect\n error</p>", apiError{Message: "upstream connect error"}},
		{"plain text", "Service Unavailable\n", apiError{Message: "Service Unavailable"}},
		{"empty", "", apiError{}},
		{"json null error", `{"error":null,"message":"x"}`, apiError{Message: "x", JSON: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseErrorBody([]byte(tc.body)); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseErrorBodyCapsMessage(t *testing.T) {
	long := strings.Repeat("é", 1000)
	got := parseErrorBody([]byte(`{"error":{"message":"` + long + `"}}`))
	if len(got.Message) > maxMessage+len("…") || !utf8.ValidString(got.Message) || !strings.HasSuffix(got.Message, "…") {
		t.Errorf("message of %d bytes, valid %v", len(got.Message), utf8.ValidString(got.Message))
	}
}

func TestClassify(t *testing.T) {
	c, err := New(Config{BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKeyEnv: "K"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status    int
		body      string
		kind      error
		retryable bool
		format    bool
	}{
		{401, openAIBadKey, ErrAuth, false, false},
		{403, `{"error":{"message":"forbidden"}}`, ErrAuth, false, false},
		{404, ollamaNotFound, ErrNotFound, false, false},
		{400, openAIContextTooLong, ErrBadRequest, false, false},
		{400, openAINoSchema, ErrBadRequest, false, true},
		{422, `{"detail":[{"msg":"response_format.type: Input should be 'text' or 'json_object'"}]}`, ErrBadRequest, false, true},
		{413, "Request Entity Too Large", ErrBadRequest, false, false},
		{429, openAIRateLimit, ErrRateLimited, true, false},
		{429, openAIQuota, ErrQuota, false, false},
		{500, openAIServer, ErrServer, true, false},
		{500, llamaCppNoSchema, ErrServer, true, true},
		{501, `{"error":{"code":501,"message":"json_schema is not supported","type":"not_supported_error"}}`, ErrServer, false, true},
		{502, nginxBadGateway, ErrServer, true, false},
		{503, openAIOverloaded, ErrServer, true, false},
		{504, cloudflareGatewayHTML, ErrServer, true, false},
		{505, "", ErrServer, false, false},
	} {
		e := c.classify(tc.status, []byte(tc.body), "http://localhost:11434/v1/chat/completions")
		if e.Kind != tc.kind || IsRetryable(e) != tc.retryable || rejectsFormat(e) != tc.format {
			t.Errorf("%d %.40s: kind %v retryable %v format %v; want %v %v %v",
				tc.status, tc.body, e.Kind, IsRetryable(e), rejectsFormat(e), tc.kind, tc.retryable, tc.format)
		}
	}
}

func TestIsRetryableOfOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), &Error{Kind: ErrTruncated}, &Error{Kind: ErrBudget}, &Error{Kind: ErrRefused}} {
		if IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = true", err)
		}
	}
	if !IsRetryable(&Error{Kind: ErrTimeout}) || !IsRetryable(&Error{Kind: ErrNetwork}) {
		t.Errorf("timeouts and network errors must be retryable")
	}
}

func TestExtractJSON(t *testing.T) {
	obj := `{"title":"T","opening":"O {braces} inside"}`
	for _, tc := range []struct {
		name, in, want string
	}{
		{"bare", obj, obj},
		{"spaces", "\n  " + obj + "\n", obj},
		{"fence json", "```json\n" + obj + "\n```", obj},
		{"fence bare", "```\n" + obj + "\n```", obj},
		{"fence after prose", "Here is the draft:\n\n```json\n" + obj + "\n```\nLet me know.", obj},
		{"skips non-json fence", "```python\nprint({1: 2})\n```\n```json\n" + obj + "\n```", obj},
		{"think block", "<think>The user wants {json}.</think>\n" + obj, obj},
		{"prose around", "Sure! " + obj + " Hope this helps.", obj},
		{"first brace not json", "Use {placeholders} like " + obj, obj},
		{"nested", `{"a":{"b":[1,{"c":2}]}}`, `{"a":{"b":[1,{"c":2}]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExtractJSON(tc.in)
			if err != nil || string(got) != tc.want {
				t.Errorf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	for _, in := range []string{"", "   ", "no json here", "[1,2,3]", `{"unterminated": `, "<think>only thinking</think>", `"a string"`} {
		if got, err := ExtractJSON(in); err == nil {
			t.Errorf("ExtractJSON(%q) = %s, want an error", in, got)
		}
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		openAIRateLimit, openAIQuota, openAIBadKey, openAINoModel, openAIServer, openAINoSchema,
		azureNoSchema, llamaCppNoSchema, vllmOldBadFormat, vllmNewNotFound, ollamaNotFound,
		nginxBadGateway, cloudflareGatewayHTML, `{"error":"x"}`, `{"detail":[{"msg":"m"}]}`,
		`{"error":{"message":["a",1]}}`, `{"error":{"code":1e999}}`, "<title>", "\xff\xfe", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a := parseErrorBody(body)
		for _, s := range []string{a.Message, a.Type, a.Code, a.Param} {
			if len(s) > maxMessage+len("…") {
				t.Fatalf("field of %d bytes exceeds the cap", len(s))
			}
			if !utf8.ValidString(s) {
				t.Fatalf("field %q is not valid UTF-8", s)
			}
		}
		e := &Error{Kind: ErrServer, Status: 500, Message: a.Message, Type: a.Type, Code: a.Code, Param: a.Param}
		_ = e.Error()
		_ = rejectsFormat(e)
	})
}

func FuzzExtractJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, "```json\n{\"a\":1}\n```", "<think>x</think>{\"a\":1}", "text {\"a\":1} text",
		"{{{", "```", "```json\n", "<think>", "{\"a\":\"}\"}", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExtractJSON(s)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with a result %q", err, got)
			}
			return
		}
		if !isObject(string(got)) {
			t.Fatalf("ExtractJSON(%q) = %q, not a JSON object", s, got)
		}
		if !strings.Contains(s, string(got)) {
			t.Fatalf("ExtractJSON(%q) = %q, not a part of the input", s, got)
		}
	})
}
