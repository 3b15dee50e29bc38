// Package openai is the chat-completions client of attune's LLM drafter:
// one Client per endpoint, speaking the OpenAI chat-completions protocol
// (POST {base_url}/chat/completions) through github.com/sashabaranov/go-openai
// to OpenAI, Azure OpenAI (Config.Azure: deployment URLs, api-version,
// api-key header), vLLM, llama.cpp's server and Ollama's /v1. A key is
// needed for OpenAI and Azure only.
//
// # Retries
//
// go-openai has none; this package adds them below it, as the HTTPDoer
// go-openai sends through. Each attempt runs under its own Config.Timeout,
// reading the body included. An attempt that gets 429, 500, 502, 503 or
// 504, fails on the network or times out is retried up to
// Config.MaxRetries times. Before retry n the client waits what the server
// asked for (retry-after-ms, or Retry-After in seconds or as an HTTP date),
// capped at Config.MaxRetryAfter, or else a full-jitter backoff: a uniform
// draw from [0, min(BackoffMax, BackoffBase·2^(n-1))] from a math/rand/v2
// source seeded by Config.JitterSeed and held by the client. The whole call
// runs under the caller's context: cancelling it stops an attempt or a wait
// at once, and Complete returns the context's error wrapped. A 429 whose
// code is insufficient_quota is not retried (ErrQuota), nor is a 5xx that
// names response_format (llama.cpp's way of refusing json_schema).
//
// # Errors
//
// Every failure is classified in one place into an *Error whose Kind is
// one of ErrAuth (401/403, naming the environment variable to set),
// ErrQuota, ErrNotFound (404, naming the model and base_url), ErrBadRequest
// (other 4xx), ErrRateLimited, ErrServer, ErrNetwork, ErrTimeout,
// ErrMalformed (a 2xx that is not a usable completion: HTML, no choices,
// no JSON object when one was asked for), ErrRefused (the message's refusal
// or a content filter), ErrTruncated (finish_reason "length"), ErrBudget
// and ErrInvalid. The API's error body is quoted, capped at 400 bytes; the
// bodies of OpenAI, Azure, vLLM (both its shapes), llama.cpp, Ollama and
// HTML pages from proxies are all read. IsRetryable tells transient from
// terminal. The API key never appears in an error: an endpoint that echoes
// it gets it replaced by "[redacted]".
//
// # Budget
//
// A Client may carry a Budget in tokens and in USD (at Config.Price). Before
// each request it estimates the prompt's tokens from its bytes (4 bytes a
// token, OpenAI's rule of thumb for English, until replies show a smaller
// ratio, which it then keeps) plus OpenAI's per-message framing, and bounds
// the completion by Config.MaxTokens; a request that, added to what is
// spent and what requests in flight could still spend, would exceed the
// budget is refused before sending with ErrBudget. What replies report is
// added to Usage, across all calls of the client. The guarantee is exact
// for the completion and as good as the estimate for the prompt.
//
// # Structured output and fallback
//
// A Request with a Schema is sent first as response_format
// {"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}.
// An endpoint that refuses it (400, 422, or llama.cpp's 500, with a message
// or param naming response_format, json_schema or json_object) gets the
// request again once as {"type": "json_object"} with the schema in the
// system message, and, refused again, once with no response_format and the
// schema in the system message. The client remembers the lowest mode it has
// reached (Client.Mode) and starts there on later calls; Response.Notes
// records each step down. Response.JSON is the object found in the reply;
// validating it against the schema is the caller's job.
package openai
