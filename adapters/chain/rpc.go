package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/internal/evm"
)

// RPCError is a JSON-RPC 2.0 error object a node answered with, such as
// {"code":-32000,"message":"execution reverted"}. Status is the HTTP
// status it came with (200 for most nodes; Alchemy answers some refusals
// with 400, QuickNode with 413).
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
	Status  int             `json:"-"`
}

func (e *RPCError) Error() string {
	msg := fmt.Sprintf("JSON-RPC error %d: %s", e.Code, oneLine(e.Message, 300))
	if len(e.Data) > 0 && string(e.Data) != "null" {
		msg += " (data " + oneLine(string(e.Data), 200) + ")"
	}
	return msg
}

// Transient reports whether a later try may succeed unchanged: the
// node's rate limits (-32005 "limit exceeded" without a range, 429) and
// internal errors (-32603).
func (e *RPCError) Transient() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == -32603 ||
		(e.Code == -32005 && !strings.Contains(strings.ToLower(e.Message), "result"))
}

// revertData returns the bytes an execution error carries (the revert
// reason's encoding), nil when there are none.
func (e *RPCError) revertData() []byte {
	var s string
	if json.Unmarshal(e.Data, &s) != nil {
		var obj struct {
			Data string `json:"data"`
		}
		if json.Unmarshal(e.Data, &obj) != nil {
			return nil
		}
		s = obj.Data
	}
	b, err := evm.DecodeHex(s)
	if err != nil {
		return nil
	}
	return b
}

// isRevert reports whether the error says the call reverted (as opposed
// to a node that failed): geth's "execution reverted" (code 3 with data,
// or -32000), Erigon's and Nethermind's wordings, and a revert with data.
func (e *RPCError) isRevert() bool {
	m := strings.ToLower(e.Message)
	return e.Code == 3 || strings.Contains(m, "revert") || strings.Contains(m, "invalid opcode") ||
		strings.Contains(m, "execution error")
}

// request is one JSON-RPC 2.0 call.
type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

// response is one JSON-RPC 2.0 answer.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *RPCError       `json:"error"`
}

// call is one request of a batch and, after it ran, its answer.
type call struct {
	Method string
	Params []any
	// Result and Err are set by batch: Err is an *RPCError when the node
	// answered this call with an error object.
	Result json.RawMessage
	Err    error
}

// rpcClient speaks JSON-RPC 2.0 over HTTP through httpx, which retries
// 429, 5xx and network failures.
type rpcClient struct {
	http *httpx.Client
	// url is the endpoint, secret (providers put the key in it); where
	// is what messages show of it.
	url, where string
	// source names the source in log lines ("governor 0xc0Da…"); errors
	// leave it to the caller, which names the source once.
	source string
	// batchSize bounds the calls sent in one request.
	batchSize int
	nextID    uint64
}

// redactEndpoint writes u for a message: what httpx.Redact keeps (no user
// info, credential-like query values hidden) with every path segment that
// looks like an API key (16 or more letters, digits, - or _) replaced by
// REDACTED, since Infura, Alchemy, QuickNode and Ankr put the key in the
// path.
func redactEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured rpc_url"
	}
	c := *u
	segs := strings.Split(c.Path, "/")
	for i, s := range segs {
		if keyLike.MatchString(s) {
			segs[i] = "REDACTED"
		}
	}
	c.Path = strings.Join(segs, "/")
	c.RawPath = ""
	c.Fragment = ""
	return httpx.Redact(&c)
}

var keyLike = regexp.MustCompile(`^[A-Za-z0-9_-]{16,}$`)

// post sends one JSON body and returns the answer's body. An HTTP error
// whose body is a JSON-RPC error object (Alchemy's 400, QuickNode's 413)
// comes back as that *RPCError; other failures as errors naming the
// endpoint without its key.
func (c *rpcClient) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("the rpc_url %s is not a valid URL: %v", c.where, redactErr(err, c.url, c.where))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(ctx, req)
	if err == nil {
		return resp.Body, nil
	}
	var he *httpx.Error
	if errors.As(err, &he) {
		if he.Status > 0 {
			var r response
			if json.Unmarshal([]byte(he.Body), &r) == nil && r.Error != nil {
				r.Error.Status = he.Status
				return nil, r.Error
			}
		}
		cp := *he
		cp.Op, cp.URL = req.Method, c.where // the path may hold the key
		cp.Err = redactErr(he.Err, c.url, c.where)
		what := "check rpc_url and that the node is up"
		if cp.Retryable {
			what = "the node is busy or unreachable; try again later, lower per_minute, or use another endpoint"
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := fmt.Errorf("%w; %s", &cp, what)
		if cp.Retryable {
			return nil, adapters.Transient(e)
		}
		return nil, e
	}
	return nil, redactErr(err, c.url, c.where)
}

// redactErr replaces the secret URL in err's message.
func redactErr(err error, secret, where string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, where))
}

// Call sends one request and decodes its result into out (nil to skip).
// A JSON-RPC error object comes back as an *RPCError, wrapped.
func (c *rpcClient) Call(ctx context.Context, out any, method string, params ...any) error {
	if params == nil {
		params = []any{}
	}
	c.nextID++
	body, err := json.Marshal(request{JSONRPC: "2.0", ID: c.nextID, Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("encoding %s: %w", method, err)
	}
	raw, err := c.post(ctx, body)
	if err != nil {
		return err
	}
	result, err := decodeResponse(raw)
	if err != nil {
		var re *RPCError
		if errors.As(err, &re) {
			return re
		}
		return c.malformed(raw, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(result, out); err != nil {
		return c.malformed(raw, err)
	}
	return nil
}

// decodeResponse reads one JSON-RPC 2.0 answer: its result, or its error
// object as an *RPCError.
func decodeResponse(raw []byte) (json.RawMessage, error) {
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	if r.Error != nil {
		r.Error.Status = http.StatusOK
		return nil, r.Error
	}
	if r.JSONRPC != "2.0" || len(r.Result) == 0 {
		return nil, errors.New(`no "result" and no "error" in a JSON-RPC 2.0 answer`)
	}
	return r.Result, nil
}

// malformed is the error for an answer that is not the JSON-RPC the
// source expects.
func (c *rpcClient) malformed(raw []byte, err error) error {
	return fmt.Errorf("the node at %s answered with something that is not a JSON-RPC 2.0 result (%v): %q; check that rpc_url is an Ethereum JSON-RPC endpoint",
		c.where, err, oneLine(string(raw), 200))
}

// Batch sends calls as JSON-RPC batches of at most batchSize and fills
// each call's Result or Err. Answers are matched by id, in any order; a
// call the node left unanswered gets an error. The error returned is for
// the exchange as a whole (the network, a body that is not a batch).
func (c *rpcClient) Batch(ctx context.Context, calls []*call) error {
	for start := 0; start < len(calls); start += c.batchSize {
		part := calls[start:min(start+c.batchSize, len(calls))]
		if err := c.batch(ctx, part); err != nil {
			return err
		}
	}
	return nil
}

func (c *rpcClient) batch(ctx context.Context, calls []*call) error {
	reqs := make([]request, len(calls))
	byID := make(map[uint64]*call, len(calls))
	for i, cl := range calls {
		c.nextID++
		params := cl.Params
		if params == nil {
			params = []any{}
		}
		reqs[i] = request{JSONRPC: "2.0", ID: c.nextID, Method: cl.Method, Params: params}
		byID[c.nextID] = cl
		cl.Result, cl.Err = nil, nil
	}
	body, err := json.Marshal(reqs)
	if err != nil {
		return fmt.Errorf("encoding a batch: %w", err)
	}
	raw, err := c.post(ctx, body)
	if err != nil {
		return err
	}
	if err := decodeBatch(raw, byID); err != nil {
		// A node that refuses batches answers with one error object.
		var one response
		if json.Unmarshal(raw, &one) == nil && one.Error != nil {
			return fmt.Errorf("the node refused a batch of %d calls: %w; lower batch (1 sends calls one by one)", len(calls), one.Error)
		}
		return fmt.Errorf("a batch of %d %s calls: %w", len(calls), calls[0].Method, c.malformed(raw, err))
	}
	for _, cl := range byID {
		cl.Err = errors.New("the node left this call of a batch unanswered; lower batch")
	}
	return nil
}

// decodeBatch reads a batch's answers into the calls byID names, in any
// order, and removes each call answered from byID. Answers with an id not
// asked for are ignored.
func decodeBatch(raw []byte, byID map[uint64]*call) error {
	var resps []response
	if err := json.Unmarshal(raw, &resps); err != nil {
		return err
	}
	for _, r := range resps {
		id, err := strconv.ParseUint(strings.Trim(string(r.ID), `"`), 10, 64)
		cl, ok := byID[id]
		if err != nil || !ok {
			continue
		}
		delete(byID, id)
		switch {
		case r.Error != nil:
			r.Error.Status = http.StatusOK
			cl.Err = r.Error
		case len(r.Result) == 0:
			cl.Err = fmt.Errorf("%s: an answer in the batch with no \"result\" and no \"error\"", cl.Method)
		default:
			cl.Result = r.Result
		}
	}
	return nil
}

// quantity is a JSON-RPC QUANTITY: 0x followed by hex digits, no leading
// zeros (some nodes write them; they are accepted).
type quantity uint64

func (q *quantity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("quantity %s: want a 0x-prefixed hex string", oneLine(string(b), 40))
	}
	v, err := parseQuantity(s)
	if err != nil {
		return err
	}
	*q = quantity(v)
	return nil
}

// parseQuantity reads 0x followed by 1 to 16 hex digits.
func parseQuantity(s string) (uint64, error) {
	h, ok := strings.CutPrefix(s, "0x")
	if !ok || h == "" || len(h) > 16 {
		return 0, fmt.Errorf("quantity %q: want 0x followed by 1 to 16 hex digits", oneLine(s, 40))
	}
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("quantity %q: %v", oneLine(s, 40), err)
	}
	return v, nil
}

// hexQ writes n as a JSON-RPC QUANTITY.
func hexQ(n uint64) string { return "0x" + strconv.FormatUint(n, 16) }

// oneLine shortens s to n bytes on one line, for messages.
func oneLine(s string, n int) string { return httpx.Snippet(s, n) }
