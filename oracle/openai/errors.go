package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kinds of failure. Every error Complete returns for a failed completion is
// an *Error whose Kind is one of these, so a caller tests the kind with
// errors.Is(err, ErrRateLimited) and the retryability with IsRetryable.
// Cancellation of the caller's context is the exception: it is returned
// wrapped so that errors.Is(err, context.Canceled) (or DeadlineExceeded)
// holds, and it is not retryable.
var (
	// ErrAuth: HTTP 401 or 403, the key is missing, wrong or not allowed.
	ErrAuth = errors.New("authentication failed")
	// ErrQuota: HTTP 429 with code insufficient_quota, the account has
	// no credit; retrying does not help.
	ErrQuota = errors.New("quota exhausted")
	// ErrNotFound: HTTP 404, the model or the endpoint does not exist.
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: HTTP 400, 413 or 422, or any other 4xx: the request
	// was refused as it stands.
	ErrBadRequest = errors.New("bad request")
	// ErrRateLimited: HTTP 429 (retryable).
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: HTTP 500, 502, 503 or 504 (retryable), or another 5xx
	// (terminal).
	ErrServer = errors.New("server error")
	// ErrNetwork: the connection failed or broke before a whole response
	// arrived (retryable).
	ErrNetwork = errors.New("network error")
	// ErrTimeout: one attempt took longer than Config.Timeout (retryable).
	ErrTimeout = errors.New("attempt timed out")
	// ErrMalformed: the endpoint answered 2xx with a body that is not a
	// chat completion (not JSON, no choices, empty content), or, when the
	// request had a schema, with content holding no JSON object.
	ErrMalformed = errors.New("malformed response")
	// ErrRefused: the model refused (the message's refusal field) or the
	// endpoint's content filter stopped the reply (finish_reason
	// content_filter).
	ErrRefused = errors.New("model refused")
	// ErrTruncated: finish_reason "length", the reply was cut at the token
	// limit; raise Config.MaxTokens or shorten the request.
	ErrTruncated = errors.New("reply truncated")
	// ErrBudget: the request could exceed the client's token or cost
	// budget, so it was not sent.
	ErrBudget = errors.New("budget exceeded")
	// ErrInvalid: the Config or the Request is invalid, or go-openai
	// refused the request before sending it.
	ErrInvalid = errors.New("invalid request")
)

// Error is a failed completion: what failed (Kind), where (URL, Status),
// what the API said (Message, Type, Code, Param, quoted from its error
// body and length-capped), and what to do (Hint). Error never holds the
// API key: any echo of it in a body is replaced by "[redacted]".
type Error struct {
	// Kind is one of the Err* values.
	Kind error
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// URL is the request's URL without credentials.
	URL string
	// Message, Type, Code and Param come from the API's error body
	// ({"error": {"message", "type", "code", "param"}} and the other
	// shapes parseErrorBody reads); Message is a capped excerpt of the
	// body when the body is not JSON (an HTML page from a proxy).
	Message, Type, Code, Param string
	// Attempts is the number of HTTP attempts made, retries included.
	Attempts int
	// Hint says what to do about it.
	Hint string
	// Err is the underlying error, if any (a network error, a decoding
	// error).
	Err error
}

// Error formats the failure in one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("openai: ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.URL != "" {
		fmt.Fprintf(&b, " from %s", e.URL)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	var meta []string
	if e.Type != "" {
		meta = append(meta, "type "+e.Type)
	}
	if e.Code != "" {
		meta = append(meta, "code "+e.Code)
	}
	if e.Param != "" {
		meta = append(meta, "param "+e.Param)
	}
	if len(meta) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(meta, ", "))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap gives both the Kind and the underlying error to errors.Is and
// errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// IsRetryable reports whether err is a transient failure that a later
// call may not meet: rate limiting (not an exhausted quota), HTTP 500, 502,
// 503 and 504, network errors and attempt timeouts. The client has already
// retried such a failure Config.MaxRetries times before returning it; a
// caller that retries further (the next cycle) may succeed. Everything
// else, cancellation included, is terminal.
func IsRetryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case ErrRateLimited, ErrNetwork, ErrTimeout:
		return true
	case ErrServer:
		return retryableStatus(e.Status)
	}
	return false
}

// retryableStatus is the set of HTTP statuses worth another attempt.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// maxMessage caps the excerpt of an error body quoted in an Error, in
// bytes (cut on a rune boundary).
const maxMessage = 400

// apiError is what an error body says. Endpoints disagree on its shape;
// parseErrorBody reads all those below into this one.
type apiError struct {
	Message, Type, Code, Param string
	// JSON says the body was JSON in a known shape; otherwise Message is
	// an excerpt of the raw body.
	JSON bool
}

// parseErrorBody reads an error body in any of the shapes OpenAI-compatible
// servers send:
//
//	{"error": {"message": "...", "type": "...", "param": ..., "code": ...}}   OpenAI, Azure, Ollama /v1, llama.cpp, vLLM ≥ 0.10
//	{"object": "error", "message": "...", "type": "...", "code": 400}         vLLM before 0.10, FastChat
//	{"error": "..."}                                                          Ollama /api, LM Studio
//	{"message": "..."} / {"detail": "..." or [{"msg": "..."}]}                 gateways, FastAPI validation
//
// message may be a string or a list of strings, code a string, a number or
// null. A body in none of these shapes (an HTML page from a proxy, plain
// text) gives its <title> or its text with tags dropped and spaces
// collapsed. The message is capped at maxMessage bytes.
func parseErrorBody(body []byte) apiError {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err == nil {
		if raw, ok := top["error"]; ok {
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) == nil && inner != nil {
				return apiErrorFrom(inner)
			}
			if s := jsonText(raw); s != "" {
				return apiError{Message: capText(s), JSON: true}
			}
		}
		if _, ok := top["message"]; ok {
			return apiErrorFrom(top)
		}
		if raw, ok := top["detail"]; ok {
			return apiError{Message: capText(detailText(raw)), JSON: true}
		}
	}
	return apiError{Message: capText(textOf(body))}
}

// apiErrorFrom reads message, type, code and param from one JSON object.
func apiErrorFrom(m map[string]json.RawMessage) apiError {
	a := apiError{JSON: true}
	a.Message = capText(jsonText(m["message"]))
	a.Type = capText(jsonText(m["type"]))
	a.Code = capText(jsonText(m["code"]))
	a.Param = capText(jsonText(m["param"]))
	return a
}

// jsonText renders a JSON scalar or a list of strings as text: strings
// unquoted, numbers as written, null and anything else as "".
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, ", ")
	}
	return ""
}

// detailText reads FastAPI's detail: a string or a list of {"msg": ...}.
func detailText(raw json.RawMessage) string {
	if s := jsonText(raw); s != "" {
		return s
	}
	var items []struct {
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &items) != nil {
		return ""
	}
	msgs := make([]string, 0, len(items))
	for _, it := range items {
		if it.Msg != "" {
			msgs = append(msgs, it.Msg)
		}
	}
	return strings.Join(msgs, ", ")
}

var (
	titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// textOf gives the readable text of a non-JSON body: an HTML page's title,
// or its text with tags dropped; whitespace collapsed.
func textOf(body []byte) string {
	if len(body) > 64<<10 {
		body = body[:64<<10]
	}
	s := string(body)
	if m := titleRe.FindStringSubmatch(s); m != nil && strings.TrimSpace(m[1]) != "" {
		s = m[1]
	} else if strings.Contains(s, "<") {
		s = tagRe.ReplaceAllString(s, " ")
	}
	return strings.Join(strings.Fields(s), " ")
}

// capText cuts s to maxMessage bytes on a rune boundary, marking the cut,
// and replaces invalid UTF-8.
func capText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// classify turns a non-2xx response into an Error: the kind from the
// status (and, for 429, the code that tells an exhausted quota from a rate
// limit), the API's words from the body, and a hint naming what to change.
func (c *Client) classify(status int, body []byte, url string) *Error {
	a := parseErrorBody(body)
	e := &Error{
		Status:  status,
		URL:     url,
		Message: c.redact(a.Message),
		Type:    c.redact(a.Type),
		Code:    c.redact(a.Code),
		Param:   c.redact(a.Param),
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = ErrAuth
		e.Hint = c.keyHint()
	case status == http.StatusTooManyRequests && (a.Code == "insufficient_quota" || a.Type == "insufficient_quota"):
		e.Kind = ErrQuota
		e.Hint = "the account behind the key has no quota left: check its plan and billing"
	case status == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.Hint = "the endpoint limits the request rate; retry later or raise the limit"
	case status == http.StatusNotFound:
		e.Kind = ErrNotFound
		e.Hint = fmt.Sprintf("check that model %q exists at base_url %s (for Ollama: ollama pull %s) and that base_url ends in the API's root, e.g. .../v1",
			c.cfg.Model, c.baseURL, c.cfg.Model)
	case status >= 500:
		e.Kind = ErrServer
		if retryableStatus(status) {
			e.Hint = "the endpoint or a proxy in front of it failed; retry later"
		}
	default:
		e.Kind = ErrBadRequest
		e.Hint = "the endpoint refused the request as sent; check model, max_tokens and the prompt's size"
	}
	return e
}

// keyHint says how to supply a key, naming the environment variable the
// configuration reads it from.
func (c *Client) keyHint() string {
	env := c.cfg.APIKeyEnv
	if env == "" {
		env = "the variable named by oracle.api_key_env"
	}
	if c.cfg.APIKey == "" {
		return fmt.Sprintf("no API key was sent: set %s to the endpoint's key", env)
	}
	return fmt.Sprintf("the endpoint refused the API key read from %s: set it to a valid key with access to model %q", env, c.cfg.Model)
}

// redact replaces every occurrence of the API key in s.
func (c *Client) redact(s string) string {
	if c.cfg.APIKey == "" || !strings.Contains(s, c.cfg.APIKey) {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.APIKey, "[redacted]")
}

// rejectsFormat reports whether e is the endpoint refusing the
// response_format it was sent (rather than the request as a whole), so that
// the client can fall back to a simpler mode. Endpoints refuse with 400
// (OpenAI, Azure, vLLM), 422 (schema validators) or, in llama.cpp's server
// before it learnt json_schema, 500 with type server_error; in every case
// the message or the param names response_format, json_schema or
// json_object.
func rejectsFormat(e *Error) bool {
	switch e.Status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusInternalServerError, http.StatusNotImplemented:
	default:
		return false
	}
	text := strings.ToLower(e.Message + " " + e.Param + " " + e.Code)
	for _, word := range []string{"response_format", "json_schema", "json_object", "response format"} {
		if strings.Contains(text, word) {
			return true
		}
	}
	return false
}
