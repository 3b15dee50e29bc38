package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/adapters/httpx"
)

// The queries, in the hub's GraphQL schema (snapshot-labs/snapshot-hub,
// src/graphql/schema.gql): Query.space, Query.proposals with
// ProposalWhere, Query.votes with VoteWhere. The hub orders by the
// orderBy field and then by id ascending, which the paging relies on.
const (
	spaceQuery = `query Space($id: String!) {
  space(id: $id) {
    id
    name
    network
    symbol
    strategies { name network }
    voting { delay period quorum quorumType type }
  }
}`

	proposalFields = `{
    id
    title
    author
    created
    start
    end
    state
    type
    choices
    scores
    scores_state
    scores_total
    quorum
    quorumType
    votes
  }`

	// proposalsQuery pages through a space's proposals created from
	// $from on, oldest first; flagged (spam) proposals are left out, as
	// Snapshot's own pages leave them out.
	proposalsQuery = `query Proposals($space: String!, $first: Int!, $skip: Int!, $from: Int!) {
  proposals(first: $first, skip: $skip, where: {space: $space, created_gte: $from, flagged: false}, orderBy: "created", orderDirection: asc) ` + proposalFields + `
}`

	// proposalsByIDQuery reads up to 100 proposals by id.
	proposalsByIDQuery = `query ProposalsByID($space: String!, $ids: [String]!, $first: Int!) {
  proposals(first: $first, skip: 0, where: {space: $space, id_in: $ids}, orderBy: "created", orderDirection: asc) ` + proposalFields + `
}`

	// votesQuery pages through the votes on up to 100 proposals, cast
	// from $from on, oldest first.
	votesQuery = `query Votes($proposals: [String]!, $first: Int!, $skip: Int!, $from: Int!) {
  votes(first: $first, skip: $skip, where: {proposal_in: $proposals, created_gte: $from}, orderBy: "created", orderDirection: asc) {
    id
    voter
    created
    choice
    vp
    proposal { id }
  }
}`
)

// request is a GraphQL request as the hub takes it: POST, JSON.
type request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// apiSpace is Query.space's answer.
type apiSpace struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Network    string `json:"network"`
	Symbol     string `json:"symbol"`
	Strategies []struct {
		Name    string `json:"name"`
		Network string `json:"network"`
	} `json:"strategies"`
	Voting *struct {
		Delay      *int64   `json:"delay"`
		Period     *int64   `json:"period"`
		Quorum     *float64 `json:"quorum"`
		QuorumType string   `json:"quorumType"`
		Type       string   `json:"type"`
	} `json:"voting"`
}

// apiProposal is one of Query.proposals' answer. Times are unix seconds.
type apiProposal struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Author      string    `json:"author"`
	Created     int64     `json:"created"`
	Start       int64     `json:"start"`
	End         int64     `json:"end"`
	State       string    `json:"state"`
	Type        string    `json:"type"`
	Choices     []string  `json:"choices"`
	Scores      []float64 `json:"scores"`
	ScoresState string    `json:"scores_state"`
	ScoresTotal float64   `json:"scores_total"`
	Quorum      float64   `json:"quorum"`
	QuorumType  string    `json:"quorumType"`
	Votes       int       `json:"votes"`
}

func (p *apiProposal) key() (string, int64) { return p.ID, p.Created }

// apiVote is one of Query.votes' answer.
type apiVote struct {
	ID       string   `json:"id"`
	Voter    string   `json:"voter"`
	Created  int64    `json:"created"`
	Choice   choice   `json:"choice"`
	VP       optFloat `json:"vp"`
	Proposal struct {
		ID string `json:"id"`
	} `json:"proposal"`
}

func (v *apiVote) key() (string, int64) { return v.ID, v.Created }

// choice is a vote's choice (the schema's Any): a 1-based choice number
// for single-choice and basic votes; a list or an object of them for the
// other types, which N does not hold.
type choice struct {
	// N is the choice number, 0 when the choice is not one number.
	N int
}

// UnmarshalJSON keeps a whole positive number; any other JSON value
// leaves N 0.
func (c *choice) UnmarshalJSON(b []byte) error {
	c.N = 0
	n, err := strconv.ParseInt(string(b), 10, 32)
	if err == nil && n > 0 {
		c.N = int(n)
		return nil
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil && f > 0 && f < 1<<31 && f == float64(int(f)) {
		c.N = int(f)
		return nil
	}
	return nil
}

// optFloat is a nullable number.
type optFloat struct {
	V   float64
	Set bool
}

// UnmarshalJSON reads a number or null.
func (f *optFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = optFloat{}
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("vp %.40q is not a number", b)
	}
	*f = optFloat{V: v, Set: true}
	return nil
}

type (
	spaceData     struct{ Space *apiSpace }
	proposalsData struct{ Proposals *[]apiProposal }
	votesData     struct{ Votes *[]apiVote }
)

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path,omitempty"`
}

// answer is a GraphQL answer whose data has the shape T.
type answer[T any] struct {
	Data   *T         `json:"data"`
	Errors []gqlError `json:"errors"`
}

// hubError is an answer whose errors field is not empty: the hub refused
// the query (HTTP 400) or failed to run it (HTTP 200, as for its limits).
type hubError struct {
	Status   int
	Messages []string
}

func (e *hubError) Error() string {
	return fmt.Sprintf("the hub answered HTTP %d with errors: %s", e.Status, strings.Join(e.Messages, "; "))
}

// Transient reports whether a later run may succeed unchanged: the hub
// failed to run the query ("request failed" is what its resolvers answer
// when their database query fails), rather than refusing it.
func (e *hubError) Transient() bool {
	for _, m := range e.Messages {
		if m != "request failed" {
			return false
		}
	}
	return len(e.Messages) > 0
}

// errNotGraphQL is wrapped by decode's errors for answers that are not a
// GraphQL answer.
var errNotGraphQL = errors.New("not a GraphQL answer")

// decode reads a GraphQL answer whose data has the shape T. An answer
// with errors is a *hubError even when it carries data too: a partial
// answer is not used.
func decode[T any](status int, body []byte) (*T, error) {
	var a answer[T]
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("%w: %v (the answer starts %q)", errNotGraphQL, err, start(body))
	}
	if len(a.Errors) > 0 {
		e := &hubError{Status: status}
		for _, m := range a.Errors {
			e.Messages = append(e.Messages, strings.ToValidUTF8(m.Message, "?"))
		}
		return nil, e
	}
	if a.Data == nil {
		return nil, fmt.Errorf("%w: it has neither data nor errors (the answer starts %q)", errNotGraphQL, start(body))
	}
	return a.Data, nil
}

// hubErrors reads the messages of an error answer's body (such as a
// 400's), or nil when it is not one.
func hubErrors(body []byte) []string {
	var a struct {
		Errors []gqlError `json:"errors"`
		// error_description is how the hub's express handlers (rate
		// limit, API key) explain themselves.
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &a) != nil {
		return nil
	}
	var out []string
	for _, m := range a.Errors {
		out = append(out, strings.ToValidUTF8(m.Message, "?"))
	}
	if a.Description != "" {
		out = append(out, strings.ToValidUTF8(a.Description, "?"))
	}
	return out
}

// start is the beginning of a body for a message.
func start(b []byte) string { return httpx.Snippet(string(b[:min(len(b), 121)]), 120) }
