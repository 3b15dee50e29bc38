package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/history"
)

// Source reads a Snapshot space's governance history from a hub. It is
// an adapters.Source and an adapters.Incremental.
type Source struct {
	s    settings
	http *httpx.Client
	log  *slog.Logger
}

var (
	_ adapters.Source      = (*Source)(nil)
	_ adapters.Incremental = (*Source)(nil)
)

// Read reads the space's proposals (all, or those created since the
// configured date) and the votes on those whose scores are final. Either
// the whole history comes back or an error naming what failed.
func (src *Source) Read(ctx context.Context) (*adapters.Data, error) {
	h, err := src.read(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &adapters.Data{History: h}, nil
}

// ReadSince brings prev, the history this source returned last time, up
// to date: it reads the proposals created since the newest in prev, and
// again those prev holds as pending or active (not yet counted), with
// their votes once counted; the rest of prev is kept as it was. A prev
// read from another hub, space or since date is read again whole.
func (src *Source) ReadSince(ctx context.Context, prev *history.History) (*history.History, error) {
	if prev == nil || len(prev.Provenance) == 0 || prev.Provenance[0] != src.origin() || len(prev.Proposals) == 0 {
		src.log.Info("snapshot: no earlier read of this space to bring up to date; reading it all", "space", src.s.space)
		return src.read(ctx, nil)
	}
	return src.read(ctx, prev)
}

// origin is the first line of the provenance: what the history is a read
// of. ReadSince only builds on a history with the same.
func (src *Source) origin() string {
	what := "all proposals"
	if src.s.since > 0 {
		what = "proposals created since " + unix(src.s.since).Format("2006-01-02T15:04:05Z")
	}
	return fmt.Sprintf("snapshot hub %s, space %s, %s", src.s.url, src.s.space, what)
}

// fail wraps err, which happened while doing what, with the source, the
// space and what to do about it.
func (src *Source) fail(what string, err error) error {
	return fmt.Errorf("snapshot source, space %s: %s: %w%s", src.s.space, what, err, src.advice(err))
}

// advice says what to do about err.
func (src *Source) advice(err error) string {
	var he *httpx.Error
	var qe *hubError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &he):
		return ""
	case errors.As(err, &qe):
		if qe.Transient() {
			return "; the hub failed to run the query: run again later"
		}
		return "; the hub refused attune's query: if base_url is a Snapshot hub its schema or limits may have changed, please report this"
	case errors.As(err, &he):
		switch {
		case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
			return "; the hub refused the request: check api_key" + hubSays(he)
		case he.Status == http.StatusTooManyRequests:
			return "; the hub is limiting the rate: lower per_minute, set api_key, or run again later" + hubSays(he)
		case he.Status == http.StatusBadRequest:
			return "; the hub refused attune's query: if base_url is a Snapshot hub its schema may have changed, please report this" + hubSays(he)
		case he.Status == http.StatusNotFound || he.Status == http.StatusMethodNotAllowed:
			return fmt.Sprintf("; check base_url (%s): it should be a Snapshot hub's GraphQL endpoint", src.s.url)
		case he.Retryable:
			return "; the hub or the network is failing: run again later"
		}
		return ""
	case errors.Is(err, errNotGraphQL):
		return fmt.Sprintf("; check base_url (%s): it should be a Snapshot hub's GraphQL endpoint", src.s.url)
	}
	return ""
}

// hubSays quotes the messages of an error answer's body.
func hubSays(e *httpx.Error) string {
	if m := hubErrors([]byte(e.Body)); len(m) > 0 {
		return " (the hub says: " + strings.Join(m, "; ") + ")"
	}
	return ""
}

// call sends one GraphQL request and decodes its data.
func call[T any](ctx context.Context, src *Source, req request) (*T, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, src.s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := src.http.Do(ctx, hreq)
	if err != nil {
		return nil, err
	}
	return decode[T](resp.Status, resp.Body)
}

// space reads the space's settings.
func (src *Source) space(ctx context.Context) (*apiSpace, error) {
	d, err := call[spaceData](ctx, src, request{Query: spaceQuery, OperationName: "Space", Variables: map[string]any{"id": src.s.space}})
	if err != nil {
		return nil, src.fail("reading the space's settings", err)
	}
	if d.Space == nil {
		return nil, src.fail("reading the space's settings", fmt.Errorf("the hub has no space %q; check space (the id in the space's address, such as ens.eth)", src.s.space))
	}
	return d.Space, nil
}

// proposals reads the proposals created from from on.
func (src *Source) proposals(ctx context.Context, from int64) ([]apiProposal, error) {
	var out []apiProposal
	err := walk(from, src.s.pageSize, func(at position) ([]apiProposal, error) {
		d, err := call[proposalsData](ctx, src, request{Query: proposalsQuery, OperationName: "Proposals", Variables: map[string]any{
			"space": src.s.space, "first": src.s.pageSize, "skip": at.Skip, "from": at.From,
		}})
		if err != nil {
			return nil, src.fail("proposals "+at.String(), err)
		}
		if d.Proposals == nil {
			return nil, src.fail("proposals "+at.String(), fmt.Errorf("%w: its data has no proposals", errNotGraphQL))
		}
		return *d.Proposals, nil
	}, func(at position, p *apiProposal) error {
		if len(out) >= maxProposals {
			return src.fail("proposals "+at.String(), fmt.Errorf("the space has more than %d proposals; set since to read fewer", maxProposals))
		}
		out = append(out, *p)
		return nil
	})
	if err != nil {
		if pe := (*pagingError)(nil); errors.As(err, &pe) {
			return nil, src.fail("paging through the proposals", err)
		}
		return nil, err
	}
	return out, nil
}

// proposalsByID reads the proposals with the given ids; those the hub no
// longer has are missing from the result.
func (src *Source) proposalsByID(ctx context.Context, ids []string) ([]apiProposal, error) {
	var out []apiProposal
	for i := 0; i < len(ids); i += maxIn {
		chunk := ids[i:min(i+maxIn, len(ids))]
		d, err := call[proposalsData](ctx, src, request{Query: proposalsByIDQuery, OperationName: "ProposalsByID", Variables: map[string]any{
			"space": src.s.space, "ids": chunk, "first": len(chunk),
		}})
		what := fmt.Sprintf("proposals %d to %d of the %d not yet counted last time", i+1, i+len(chunk), len(ids))
		if err != nil {
			return nil, src.fail(what, err)
		}
		if d.Proposals == nil {
			return nil, src.fail(what, fmt.Errorf("%w: its data has no proposals", errNotGraphQL))
		}
		out = append(out, *d.Proposals...)
	}
	return out, nil
}

// votes reads the votes on the proposals ps, in batches of up to 100
// proposals, and maps them. budget is how many votes may still be read.
func (src *Source) votes(ctx context.Context, ps []*mapped, budget int) ([]history.Vote, error) {
	expected := 0
	for _, p := range ps {
		expected += max(p.api.Votes, 0)
	}
	out := make([]history.Vote, 0, min(expected, budget))
	for i := 0; i < len(ps); i += maxIn {
		batch := ps[i:min(i+maxIn, len(ps))]
		byID := make(map[string]*mapped, len(batch))
		ids := make([]string, len(batch))
		for k, p := range batch {
			byID[p.api.ID] = p
			ids[k] = p.api.ID
		}
		what := func(at position) string {
			return fmt.Sprintf("votes on proposals %d to %d of %d, %v", i+1, i+len(batch), len(ps), at)
		}
		err := walk(0, src.s.pageSize, func(at position) ([]apiVote, error) {
			d, err := call[votesData](ctx, src, request{Query: votesQuery, OperationName: "Votes", Variables: map[string]any{
				"proposals": ids, "first": src.s.pageSize, "skip": at.Skip, "from": at.From,
			}})
			if err != nil {
				return nil, src.fail(what(at), err)
			}
			if d.Votes == nil {
				return nil, src.fail(what(at), fmt.Errorf("%w: its data has no votes", errNotGraphQL))
			}
			return *d.Votes, nil
		}, func(at position, v *apiVote) error {
			if len(out) >= budget {
				return src.fail(what(at), fmt.Errorf("more than max_votes (%d) votes to read; set since to read fewer proposals, or raise max_votes", src.s.maxVotes))
			}
			if v.Proposal.ID == "" {
				return src.fail(what(at), fmt.Errorf("vote %q names no proposal", v.ID))
			}
			p := byID[v.Proposal.ID]
			if p == nil {
				return src.fail(what(at), fmt.Errorf("vote %q is on proposal %q, which was not asked for", v.ID, v.Proposal.ID))
			}
			hv, err := p.vote(v)
			if err != nil {
				return src.fail(what(at), err)
			}
			p.cast++
			out = append(out, hv)
			return nil
		})
		if err != nil {
			if pe := (*pagingError)(nil); errors.As(err, &pe) {
				return nil, src.fail(fmt.Sprintf("paging through the votes on proposals %d to %d", i+1, i+len(batch)), err)
			}
			return nil, err
		}
	}
	return out, nil
}
