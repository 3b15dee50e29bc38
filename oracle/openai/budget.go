package openai

import (
	"fmt"
	"math"

	goopenai "github.com/sashabaranov/go-openai"
)

// Prompt-size estimation. Before a request is sent its prompt tokens are
// unknown; the client estimates them from the prompt's bytes at
// initialBytesPerToken (OpenAI's rule of thumb: a token is about four
// characters of English text) plus the per-message framing of OpenAI's chat
// format (3 tokens a message and 3 to prime the reply, from OpenAI's
// cookbook "How to count tokens with tiktoken"). Once a reply reports its
// prompt_tokens the client keeps the smallest bytes-per-token it has seen,
// so later estimates err high rather than low; it learns from the prompt
// tokens net of the framing, and never below one byte a token (a byte-level
// BPE token covers at least one byte).
const (
	initialBytesPerToken = 4
	tokensPerMessage     = 3
	tokensReplyPriming   = 3
)

// estimate is the prompt's token estimate.
func (c *Client) estimate(promptBytes, messages int) int {
	c.mu.Lock()
	bpt := c.bytesPerToken
	c.mu.Unlock()
	return int(math.Ceil(float64(promptBytes)/bpt)) + tokensPerMessage*messages + tokensReplyPriming
}

// cost is the price of the given tokens at Config.Price.
func (c *Client) cost(prompt, completion int) float64 {
	return float64(prompt)/1000*c.cfg.Price.PromptPer1K + float64(completion)/1000*c.cfg.Price.CompletionPer1K
}

// reserve checks that a request with the estimated prompt and MaxTokens of
// completion fits in the budget beside what is spent and what requests in
// flight could spend, and reserves it; the request is not sent otherwise.
func (c *Client) reserve(prompt int) (reservation, error) {
	r := reservation{tokens: prompt + c.cfg.MaxTokens, usd: c.cost(prompt, c.cfg.MaxTokens)}
	b := c.cfg.Budget
	c.mu.Lock()
	defer c.mu.Unlock()
	spentTokens := c.usage.PromptTokens + c.usage.CompletionTokens
	if b.Tokens > 0 && spentTokens+c.reserved.tokens+r.tokens > b.Tokens {
		return reservation{}, &Error{Kind: ErrBudget, Hint: fmt.Sprintf(
			"the request could use %d tokens (prompt estimated at %d, completion bounded by MaxTokens %d) but %d of Budget.Tokens %d are spent or reserved; raise the budget or lower MaxTokens",
			r.tokens, prompt, c.cfg.MaxTokens, spentTokens+c.reserved.tokens, b.Tokens)}
	}
	if b.USD > 0 && c.usage.CostUSD+c.reserved.usd+r.usd > b.USD {
		return reservation{}, &Error{Kind: ErrBudget, Hint: fmt.Sprintf(
			"the request could cost $%.4f (prompt estimated at %d tokens, completion bounded by MaxTokens %d) but $%.4f of Budget.USD $%.4f is spent or reserved; raise the budget or lower MaxTokens",
			r.usd, prompt, c.cfg.MaxTokens, c.usage.CostUSD+c.reserved.usd, b.USD)}
	}
	c.reserved.tokens += r.tokens
	c.reserved.usd += r.usd
	return r, nil
}

// settle releases a reservation, books what the reply reports (nothing for
// a failed request: endpoints do not bill refused requests), learns the
// prompt's bytes per token, and returns call with the tokens added.
func (c *Client) settle(r reservation, u goopenai.Usage, promptBytes, messages int, call Usage) Usage {
	pt, ct := max(u.PromptTokens, 0), max(u.CompletionTokens, 0)
	cost := c.cost(pt, ct)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserved.tokens -= r.tokens
	c.reserved.usd -= r.usd
	c.usage.PromptTokens += pt
	c.usage.CompletionTokens += ct
	c.usage.CostUSD += cost
	if content := pt - tokensPerMessage*messages - tokensReplyPriming; content > 0 && promptBytes > 0 {
		if bpt := float64(promptBytes) / float64(content); bpt < c.bytesPerToken {
			c.bytesPerToken = max(bpt, 1)
		}
	}
	call.PromptTokens += pt
	call.CompletionTokens += ct
	call.CostUSD += cost
	return call
}
