package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"
)

// Mode is how a request with a schema asks for structured output.
type Mode int

// Structured-output modes, from the strictest down. A client starts at
// Config.Mode and steps down, once per refusal, when an endpoint refuses
// the response_format it was sent.
const (
	// ModeJSONSchema sends response_format {type: "json_schema",
	// json_schema: {name, schema, strict: true}}: the endpoint constrains
	// the reply to the schema (OpenAI, Azure from 2024-08-01-preview, vLLM,
	// recent llama.cpp and Ollama).
	ModeJSONSchema Mode = iota
	// ModeJSONObject sends response_format {type: "json_object"} and the
	// schema in the system message: the reply is JSON, its shape is
	// asked for, not enforced.
	ModeJSONObject
	// ModePrompt sends no response_format, only the schema in the system
	// message. It is also the mode of a request without a schema.
	ModePrompt
)

// String names the mode as its response_format type.
func (m Mode) String() string {
	switch m {
	case ModeJSONSchema:
		return "json_schema"
	case ModeJSONObject:
		return "json_object"
	case ModePrompt:
		return "prompt"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Message is one chat message.
type Message struct {
	// Role is "system", "user" or "assistant".
	Role    string
	Content string
}

// Request is one chat completion. The messages sent are System (as a
// system message, with the schema appended in the modes that need it),
// then Messages, then User; empty ones are left out. A repair round sends
// the first exchange in Messages and the findings in User.
type Request struct {
	System   string
	Messages []Message
	User     string
	// Schema, when set, is a JSON Schema (an object) the reply must
	// follow; SchemaName names it ("response" when empty; letters,
	// digits, _ and -, at most 64). See Mode for how it is sent.
	Schema     json.RawMessage
	SchemaName string
	// Seed asks the endpoint for reproducible sampling, where it can.
	Seed *int
}

// Response is a completed reply.
type Response struct {
	// Content is the message's text.
	Content string
	// JSON is the JSON object found in Content (code fences, a leading
	// <think> block and prose around it dropped) when the request had a
	// schema. It is syntactically JSON; checking it against the schema is
	// the caller's.
	JSON json.RawMessage
	// Refusal is the model's refusal, when it refused.
	Refusal string
	// Model is the model that answered, as the endpoint names it.
	Model string
	// FinishReason is the choice's finish_reason ("stop", "length"...).
	FinishReason string
	// Mode is the structured-output mode the reply was obtained in.
	Mode Mode
	// Structured says the endpoint enforced the schema (ModeJSONSchema).
	Structured bool
	// Usage is this call's spending, fallbacks and retries included.
	Usage Usage
	// Notes say what the call stepped down from and why, one line per
	// refused mode, for the draft's metadata.
	Notes []string
}

// Complete sends req and returns the reply.
//
// With a schema it starts in the client's current Mode; when the endpoint
// refuses that mode's response_format it steps down once
// (json_schema -> json_object -> prompt), remembers the lower mode for
// later calls and resends. Each HTTP attempt is retried on 429, 500, 502,
// 503, 504, network errors and attempt timeouts (see Config); a request
// that could exceed the budget is not sent (ErrBudget).
//
// Errors are *Error values of the kinds listed with ErrAuth, or ctx's
// error wrapped. With ErrRefused, ErrTruncated and ErrMalformed from a 2xx
// reply, the Response holds what came back (Content, Refusal,
// FinishReason, Usage) so that a caller can show it in a repair round.
func (c *Client) Complete(ctx context.Context, req Request) (Response, error) {
	if err := req.validate(); err != nil {
		return Response{}, err
	}
	stats := &callStats{}
	ctx = context.WithValue(ctx, callKey{}, stats)
	var out Response
	for {
		mode := ModePrompt
		if len(req.Schema) > 0 {
			mode = c.Mode()
		}
		cr, promptBytes := c.build(req, mode)
		est := c.estimate(promptBytes, len(cr.Messages))
		res, err := c.reserve(est)
		if err != nil {
			out.Usage.Requests = c.attempts(stats)
			return out, err
		}
		before := c.attempts(stats)
		resp, err := c.api.CreateChatCompletion(ctx, cr)
		var used goopenai.Usage
		if err == nil {
			used = resp.Usage
		}
		out.Usage = c.settle(res, used, promptBytes, len(cr.Messages), out.Usage)
		out.Usage.Requests = c.attempts(stats)
		if err != nil {
			var e *Error
			switch {
			case errors.As(err, &e):
				if mode < ModePrompt && rejectsFormat(e) {
					next := c.stepDown(mode)
					out.Notes = append(out.Notes, fmt.Sprintf("%s refused by the endpoint (HTTP %d: %q); sent as %s", mode, e.Status, e.Message, next))
					continue
				}
				return out, err
			case ctx.Err() != nil:
				return out, err
			case c.attempts(stats) == before:
				return out, &Error{Kind: ErrInvalid, Err: err, Hint: fmt.Sprintf("go-openai refused the request for model %q before sending it", c.cfg.Model)}
			default:
				return out, &Error{Kind: ErrMalformed, Err: err, Attempts: out.Usage.Requests,
					Hint: "the endpoint answered 2xx with JSON that is not a chat completion"}
			}
		}
		return c.finish(resp, req, mode, out)
	}
}

// validate checks a Request before anything is sent.
func (r Request) validate() error {
	bad := func(format string, args ...any) error {
		return &Error{Kind: ErrInvalid, Hint: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(r.User) == "" && len(r.Messages) == 0 {
		return bad("the request has no User text and no Messages")
	}
	for i, m := range r.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return bad("Messages[%d].Role is %q; use system, user or assistant", i, m.Role)
		}
	}
	if len(r.Schema) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(r.Schema, &obj); err != nil {
			return bad("Schema is not a JSON object: %v", err)
		}
	}
	if r.SchemaName != "" && !schemaNameRe.MatchString(r.SchemaName) {
		return bad("SchemaName %q must be 1 to 64 letters, digits, _ or -", r.SchemaName)
	}
	return nil
}

// schemaInstruction asks for the schema in words, for the modes in which
// the endpoint does not enforce it. It says "JSON", which OpenAI requires
// in the messages of a json_object request.
func schemaInstruction(schema json.RawMessage) string {
	var compact bytes.Buffer
	if json.Compact(&compact, schema) != nil {
		compact.Write(schema)
	}
	return "Reply with one JSON object and nothing else: no code fences, no text before or after it. " +
		"The object must validate against this JSON Schema:\n" + compact.String()
}

// build renders req in mode as a go-openai request and counts the bytes
// the prompt is made of (messages and, in ModeJSONSchema, the schema).
func (c *Client) build(req Request, mode Mode) (goopenai.ChatCompletionRequest, int) {
	system := req.System
	if len(req.Schema) > 0 && mode != ModeJSONSchema {
		if system != "" {
			system += "\n\n"
		}
		system += schemaInstruction(req.Schema)
	}
	var msgs []goopenai.ChatCompletionMessage
	add := func(role, content string) {
		if strings.TrimSpace(content) != "" {
			msgs = append(msgs, goopenai.ChatCompletionMessage{Role: role, Content: content})
		}
	}
	add(goopenai.ChatMessageRoleSystem, system)
	for _, m := range req.Messages {
		add(m.Role, m.Content)
	}
	add(goopenai.ChatMessageRoleUser, req.User)
	size := 0
	for _, m := range msgs {
		size += len(m.Content)
	}

	cr := goopenai.ChatCompletionRequest{Model: c.cfg.Model, Messages: msgs, Seed: req.Seed}
	if reasoningModel(c.cfg.Model) {
		cr.MaxCompletionTokens = c.cfg.MaxTokens
	} else {
		// max_tokens, not max_completion_tokens: Ollama's /v1 reads only
		// max_tokens, and llama.cpp, vLLM and OpenAI's other models take it.
		//lint:ignore SA1019 deprecated by OpenAI for reasoning models only, handled above.
		cr.MaxTokens = c.cfg.MaxTokens
	}
	if t := c.cfg.Temperature; t != nil {
		v := float32(*t)
		if v == 0 {
			v = math.SmallestNonzeroFloat32
		}
		cr.Temperature = v
	}
	if len(req.Schema) > 0 {
		switch mode {
		case ModeJSONSchema:
			name := req.SchemaName
			if name == "" {
				name = "response"
			}
			cr.ResponseFormat = &goopenai.ChatCompletionResponseFormat{
				Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
				JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{
					Name: name, Schema: req.Schema, Strict: true,
				},
			}
			size += len(req.Schema)
		case ModeJSONObject:
			cr.ResponseFormat = &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONObject}
		}
	}
	return cr, size
}

// reasoningModel reports whether model is one of OpenAI's reasoning models,
// which take max_completion_tokens instead of max_tokens (go-openai refuses
// max_tokens for them before sending).
func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// stepDown lowers the client's mode below from, unless another call has
// already lowered it further, and returns the mode to use next.
func (c *Client) stepDown(from Mode) Mode {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode <= from {
		c.mode = from + 1
	}
	return c.mode
}

// attempts reads a call's attempt count.
func (c *Client) attempts(s *callStats) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.attempts
}

// finish checks a 2xx reply and fills out.
func (c *Client) finish(resp goopenai.ChatCompletionResponse, req Request, mode Mode, out Response) (Response, error) {
	out.Model = resp.Model
	out.Mode = mode
	out.Structured = mode == ModeJSONSchema && len(req.Schema) > 0
	fail := func(kind error, msg, hint string) (Response, error) {
		return out, &Error{Kind: kind, Message: capText(c.redact(msg)), Attempts: out.Usage.Requests, URL: c.baseURL, Hint: hint}
	}
	if len(resp.Choices) == 0 {
		return fail(ErrMalformed, "", "the reply has no choices")
	}
	ch := resp.Choices[0]
	out.Content = ch.Message.Content
	out.Refusal = ch.Message.Refusal
	out.FinishReason = string(ch.FinishReason)
	switch {
	case out.Refusal != "":
		return fail(ErrRefused, out.Refusal, "the model declined the request; the caller should fall back")
	case ch.FinishReason == goopenai.FinishReasonContentFilter:
		return fail(ErrRefused, "", "the endpoint's content filter stopped the reply")
	case ch.FinishReason == goopenai.FinishReasonLength:
		return fail(ErrTruncated, "", fmt.Sprintf("the reply reached the token limit (MaxTokens %d) before it ended; raise MaxTokens or shorten the request", c.cfg.MaxTokens))
	}
	if len(req.Schema) > 0 {
		obj, err := ExtractJSON(out.Content)
		if err != nil {
			return fail(ErrMalformed, out.Content, fmt.Sprintf("the reply (in %s mode) holds no JSON object: %v", mode, err))
		}
		out.JSON = obj
	} else if strings.TrimSpace(out.Content) == "" {
		return fail(ErrMalformed, "", "the reply's content is empty")
	}
	return out, nil
}
