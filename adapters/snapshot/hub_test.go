package snapshot

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// hubSchema restates, from snapshot-labs/snapshot-hub's
// src/graphql/schema.gql (commit de4c4ff8), the queries, arguments, input
// fields and object fields the source uses and a few it does not, with
// the hub's types and nullability, so that the fake hub refuses any
// query the real one would refuse for its shape.
const hubSchema = `
scalar Any

type Query {
  space(id: String!): Space
  proposals(first: Int! = 20, skip: Int! = 0, where: ProposalWhere, orderBy: String, orderDirection: OrderDirection): [Proposal]
  votes(first: Int! = 20, skip: Int! = 0, where: VoteWhere, orderBy: String, orderDirection: OrderDirection): [Vote]
}

input ProposalWhere {
  id: String
  id_in: [String]
  space: String
  space_in: [String]
  author: String
  created: Int
  created_gt: Int
  created_gte: Int
  created_lt: Int
  created_lte: Int
  state: String
  flagged: Boolean
  title_contains: String
}

input VoteWhere {
  id: String
  id_in: [String]
  space: String
  voter: String
  voter_in: [String]
  proposal: String
  proposal_in: [String]
  created: Int
  created_gt: Int
  created_gte: Int
  created_lt: Int
  created_lte: Int
}

enum OrderDirection { asc desc }

type Space {
  id: String!
  name: String
  network: String
  symbol: String
  strategies: [Strategy]
  voting: SpaceVoting
  proposalsCount: Int
  created: Int!
}

type SpaceVoting {
  delay: Int
  period: Int
  type: String
  quorum: Float
  quorumType: String!
  hideAbstain: Boolean
}

type Strategy {
  name: String!
  network: String
  params: Any
}

type Proposal {
  id: String!
  ipfs: String
  author: String!
  created: Int!
  space: Space
  network: String!
  symbol: String!
  type: String
  title: String!
  body: String
  choices: [String]!
  start: Int!
  end: Int!
  quorum: Float!
  quorumType: String!
  snapshot: Int
  state: String
  scores: [Float]
  scores_state: String
  scores_total: Float
  votes: Int
  flagged: Boolean
}

type Vote {
  id: String!
  ipfs: String
  voter: String!
  created: Int!
  space: Space!
  proposal: Proposal
  choice: Any!
  reason: String
  vp: Float
  vp_state: String
}
`

// fakeSpace, fakeProposal and fakeVote are the hub's records.
type fakeSpace struct {
	ID, Name, Network, Symbol string
	Strategies                []string
	Quorum                    float64
	QuorumType                string
	VotingType                string
}

type fakeProposal struct {
	apiProposal
	Space   string `json:"space"`
	Flagged bool   `json:"flagged"`
}

type fakeVote struct {
	ID       string          `json:"id"`
	Voter    string          `json:"voter"`
	Created  int64           `json:"created"`
	Choice   json.RawMessage `json:"choice"`
	VP       *float64        `json:"vp"`
	Proposal string          `json:"proposal"`
	Space    string          `json:"space"`
}

// fakeHub is an httptest handler that speaks the hub's GraphQL: it parses
// and validates each query against hubSchema (HTTP 400 with errors, as
// express-graphql answers), applies the hub's limits (HTTP 200 with an
// errors entry and the field null, as the hub's resolvers answer) and
// where, orderBy, orderDirection, skip and first to its records, and
// writes exactly the fields asked for, in the order asked.
type fakeHub struct {
	t      testing.TB
	schema *ast.Schema

	mu        sync.Mutex
	spaces    map[string]*fakeSpace
	proposals []fakeProposal // in (created, id) order
	votes     []fakeVote     // in (created, id) order

	// key, when set, is the API key the hub wants in x-api-key.
	key string
	// before, when set, may answer request n (from 1) itself.
	before func(n int, w http.ResponseWriter, req *hubRequest) bool
	// cache keeps answers by request body when set.
	cache map[string][]byte

	n        int
	requests []hubRequest
}

// hubRequest is a request as the fake hub read it.
type hubRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Header        http.Header    `json:"-"`
}

func newFakeHub(t testing.TB) *fakeHub {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.gql", Input: hubSchema})
	if err != nil {
		t.Fatalf("the fake hub's schema: %v", err)
	}
	return &fakeHub{t: t, schema: schema, spaces: map[string]*fakeSpace{}}
}

// add stores proposals and votes, keeping the hub's order.
func (h *fakeHub) add(ps []fakeProposal, vs []fakeVote) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.proposals = append(h.proposals, ps...)
	h.votes = append(h.votes, vs...)
	slices.SortFunc(h.proposals, func(a, b fakeProposal) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), strings.Compare(a.ID, b.ID))
	})
	slices.SortFunc(h.votes, func(a, b fakeVote) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), strings.Compare(a.ID, b.ID))
	})
}

// count is how many requests the hub answered.
func (h *fakeHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func (h *fakeHub) log() []hubRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.requests)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": []map[string]any{{"message": "GraphQL only supports GET and POST requests."}}})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req hubRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]any{{"message": "POST body sent invalid JSON."}}})
		return
	}
	req.Header = r.Header.Clone()
	h.mu.Lock()
	h.n++
	n := h.n
	h.requests = append(h.requests, req)
	before, key := h.before, h.key
	var cached []byte
	if h.cache != nil {
		cached = h.cache[string(body)]
	}
	h.mu.Unlock()
	if before != nil && before(n, w, &req) {
		return
	}
	if key != "" && r.Header.Get("X-Api-Key") != key {
		// The hub's keycard middleware and sendError.
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "error_description": "invalid api key"})
		return
	}
	if cached != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(cached)
		return
	}
	status, out := h.answer(&req)
	if h.cache != nil && status == http.StatusOK {
		h.mu.Lock()
		h.cache[string(body)] = out
		h.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// answer runs a request: its status and body.
func (h *fakeHub) answer(req *hubRequest) (int, []byte) {
	doc, errs := gqlparser.LoadQueryWithRules(h.schema, req.Query, nil) // the default rules
	if len(errs) > 0 {
		return http.StatusBadRequest, mustJSON(map[string]any{"errors": errs})
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		return http.StatusBadRequest, mustJSON(map[string]any{"errors": []map[string]any{{"message": fmt.Sprintf("Unknown operation named %q.", req.OperationName)}}})
	}
	vars, err := validator.VariableValues(h.schema, op, req.Variables)
	if err != nil {
		return http.StatusBadRequest, mustJSON(map[string]any{"errors": gqlerror.List{gqlerror.WrapIfUnwrapped(err)}})
	}
	var b bytes.Buffer
	var fieldErrs []map[string]any
	b.WriteString(`{"data":{`)
	for i, sel := range op.SelectionSet {
		f := sel.(*ast.Field)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", f.Alias)
		args := f.ArgumentMap(vars)
		var recs []record
		var one record
		switch f.Name {
		case "space":
			h.mu.Lock()
			if s := h.spaces[args["id"].(string)]; s != nil {
				one = s
			}
			h.mu.Unlock()
		case "proposals", "votes":
			recs, err = h.list(f.Name, args)
		default:
			err = fmt.Errorf("fake hub: Query.%s is not implemented", f.Name)
		}
		if err != nil {
			b.WriteString("null")
			fieldErrs = append(fieldErrs, map[string]any{
				"message": err.Error(), "locations": []map[string]int{{"line": f.Position.Line, "column": f.Position.Column}}, "path": []string{f.Alias},
			})
			continue
		}
		if f.Name == "space" {
			h.write(&b, one, f.SelectionSet)
			continue
		}
		b.WriteByte('[')
		for k, r := range recs {
			if k > 0 {
				b.WriteByte(',')
			}
			h.write(&b, r, f.SelectionSet)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	if len(fieldErrs) > 0 {
		b.WriteString(`,"errors":`)
		b.Write(mustJSON(fieldErrs))
	}
	b.WriteByte('}')
	return http.StatusOK, b.Bytes()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// record is a stored object: field gives a field's value, a scalar, a
// record or a list of records.
type record interface {
	field(name string) (any, bool)
}

func (s *fakeSpace) field(name string) (any, bool) {
	switch name {
	case "id":
		return s.ID, true
	case "name":
		return s.Name, true
	case "network":
		return s.Network, true
	case "symbol":
		return s.Symbol, true
	case "strategies":
		out := make([]record, len(s.Strategies))
		for i, n := range s.Strategies {
			out[i] = fields{"name": n, "network": s.Network}
		}
		return out, true
	case "voting":
		return fields{"delay": nil, "period": nil, "quorum": s.Quorum, "quorumType": cmp.Or(s.QuorumType, "default"), "type": nilIfEmpty(s.VotingType)}, true
	}
	return nil, false
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// fields is a record given as a map.
type fields map[string]any

func (f fields) field(name string) (any, bool) {
	v, ok := f[name]
	return v, ok
}

func (p *fakeProposal) field(name string) (any, bool) {
	switch name {
	case "id":
		return p.ID, true
	case "title":
		return p.Title, true
	case "author":
		return p.Author, true
	case "created":
		return p.Created, true
	case "start":
		return p.Start, true
	case "end":
		return p.End, true
	case "state":
		return p.State, true
	case "type":
		return nilIfEmpty(p.Type), true
	case "choices":
		return p.Choices, true
	case "scores":
		return p.Scores, true
	case "scores_state":
		return p.ScoresState, true
	case "scores_total":
		return p.ScoresTotal, true
	case "quorum":
		return p.Quorum, true
	case "quorumType":
		return cmp.Or(p.QuorumType, "default"), true
	case "votes":
		return p.Votes, true
	case "flagged":
		return p.Flagged, true
	}
	return nil, false
}

func (v *fakeVote) field(name string) (any, bool) {
	switch name {
	case "id":
		return v.ID, true
	case "voter":
		return v.Voter, true
	case "created":
		return v.Created, true
	case "choice":
		return v.Choice, true
	case "vp":
		return v.VP, true
	case "proposal":
		return fields{"id": v.Proposal}, true
	}
	return nil, false
}

// write writes r's fields selected by sel, in their order.
func (h *fakeHub) write(b *bytes.Buffer, r record, sel ast.SelectionSet) {
	if r == nil {
		b.WriteString("null")
		return
	}
	b.WriteByte('{')
	for i, s := range sel {
		f := s.(*ast.Field)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "%q:", f.Alias)
		v, ok := r.field(f.Name)
		if !ok {
			h.t.Errorf("fake hub: %T.%s is asked for but not stored", r, f.Name)
			b.WriteString("null")
			continue
		}
		switch v := v.(type) {
		case record:
			h.write(b, v, f.SelectionSet)
		case []record:
			b.WriteByte('[')
			for k, x := range v {
				if k > 0 {
					b.WriteByte(',')
				}
				h.write(b, x, f.SelectionSet)
			}
			b.WriteByte(']')
		case string:
			b.WriteString(strconv.Quote(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case json.RawMessage:
			b.Write(v)
		default:
			b.Write(mustJSON(v))
		}
	}
	b.WriteByte('}')
}

// limits are the hub's ARG_LIMITS (src/graphql/helpers.ts) and its
// checkLimits messages.
func checkLimits(args map[string]any) error {
	for _, k := range []string{"first", "skip"} {
		n := toInt(args[k])
		limit := map[string]int64{"first": 1000, "skip": 5000}[k]
		if n > limit {
			return fmt.Errorf("The `%s` argument must not be greater than %d", k, limit)
		}
		if n < 0 {
			return fmt.Errorf("The `%s` argument must be positive", k)
		}
	}
	where, _ := args["where"].(map[string]any)
	for k, v := range where {
		if l, ok := v.([]any); ok && strings.HasSuffix(k, "_in") && len(l) > 100 {
			return fmt.Errorf("The `%s` argument must not be greater than 100", k)
		}
	}
	return nil
}

func toInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

func inList(v any, s string) bool {
	l, _ := v.([]any)
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// createdOK applies the created_* filters.
func createdOK(where map[string]any, c int64) bool {
	for k, v := range where {
		if v == nil {
			continue
		}
		n := toInt(v)
		switch k {
		case "created":
			if c != n {
				return false
			}
		case "created_gt":
			if c <= n {
				return false
			}
		case "created_gte":
			if c < n {
				return false
			}
		case "created_lt":
			if c >= n {
				return false
			}
		case "created_lte":
			if c > n {
				return false
			}
		}
	}
	return true
}

// list answers Query.proposals or Query.votes.
func (h *fakeHub) list(name string, args map[string]any) ([]record, error) {
	if err := checkLimits(args); err != nil {
		return nil, err
	}
	where, _ := args["where"].(map[string]any)
	known := map[string]bool{"created": true, "created_gt": true, "created_gte": true, "created_lt": true, "created_lte": true}
	if name == "proposals" {
		for _, k := range []string{"id", "id_in", "space", "space_in", "state", "flagged"} {
			known[k] = true
		}
	} else {
		for _, k := range []string{"id", "id_in", "space", "voter", "proposal", "proposal_in"} {
			known[k] = true
		}
	}
	for k := range where {
		if !known[k] {
			return nil, fmt.Errorf("fake hub: where.%s is not implemented", k)
		}
	}
	str := func(k string) (string, bool) {
		s, ok := where[k].(string)
		return s, ok
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []record
	if name == "proposals" {
		for i := range h.proposals {
			p := &h.proposals[i]
			if s, ok := str("space"); ok && p.Space != s {
				continue
			}
			if s, ok := str("id"); ok && p.ID != s {
				continue
			}
			if v, ok := where["id_in"]; ok && v != nil && !inList(v, p.ID) {
				continue
			}
			if v, ok := where["space_in"]; ok && v != nil && !inList(v, p.Space) {
				continue
			}
			if s, ok := str("state"); ok && s != "all" && p.State != s {
				continue
			}
			if f, ok := where["flagged"].(bool); ok && p.Flagged != f {
				continue
			}
			if !createdOK(where, p.Created) {
				continue
			}
			out = append(out, p)
		}
	} else {
		for i := range h.votes {
			v := &h.votes[i]
			if s, ok := str("space"); ok && v.Space != s {
				continue
			}
			if s, ok := str("id"); ok && v.ID != s {
				continue
			}
			if s, ok := str("voter"); ok && v.Voter != s {
				continue
			}
			if s, ok := str("proposal"); ok && v.Proposal != s {
				continue
			}
			if l, ok := where["proposal_in"]; ok && l != nil && !inList(l, v.Proposal) {
				continue
			}
			if l, ok := where["id_in"]; ok && l != nil && !inList(l, v.ID) {
				continue
			}
			if !createdOK(where, v.Created) {
				continue
			}
			out = append(out, v)
		}
	}
	// The hub orders by orderBy (created unless another known number
	// field) in orderDirection (desc by default), then by id ascending.
	by, _ := args["orderBy"].(string)
	if by != "" && by != "created" {
		return nil, fmt.Errorf("fake hub: orderBy %q is not implemented", by)
	}
	if dir, _ := args["orderDirection"].(string); dir != "asc" {
		slices.SortStableFunc(out, func(a, b record) int {
			ca, _ := a.field("created")
			cb, _ := b.field("created")
			return cmp.Compare(cb.(int64), ca.(int64))
		})
	}
	skip, first := int(toInt(args["skip"])), int(toInt(args["first"]))
	if skip >= len(out) {
		return nil, nil
	}
	return out[skip:min(skip+first, len(out))], nil
}
