// Package snapshot is the source of type "snapshot": it reads a Snapshot
// space's proposals and votes from a Snapshot hub's GraphQL API
// (https://hub.snapshot.org/graphql by default) into a governance
// history, without an indexer and without a key.
//
// # What it asks the hub
//
// One Space query (name, symbol, network, strategies, voting settings),
// then the space's proposals oldest first (Query.proposals, where space,
// created_gte, flagged false), then the votes on the proposals whose vote
// is closed and whose scores are final, up to 100 proposals a request
// (Query.votes, where proposal_in). Field and argument names are those of
// snapshot-labs/snapshot-hub's src/graphql/schema.gql. Pages hold at most
// 1,000 items (the hub's limit on first); skip goes up to 5,000 (its
// limit on skip), and past that the list restarts from the last item's
// created time, skipping the items of that second already read, so that
// none is lost when several share a second; items are deduplicated by id
// besides. Every request goes through httpx: a client-side rate limit
// (per_minute, 60 by default, inside the 100 a minute the hub allows
// without a key), retries of 429 (honouring Retry-After), 5xx and network
// failures, and a timeout per request. An API key, when configured, is
// sent as the x-api-key header.
//
// Any failure (an HTTP error after the retries, an answer with GraphQL
// errors, as the hub's limit errors are with HTTP 200, an answer that is
// not JSON or lacks its data) ends the read with an error naming the
// space, the query and page, and what to do; nothing is half-returned.
//
// # The history it makes
//
// Proposals of basic voting map their scores by position to For, Against
// and Abstain; single-choice proposals whose choices are one For word
// (for, yes, approve...), one Against word (against, no, reject...) and at
// most one abstain map by label. Other proposals (approval, ranked-choice,
// weighted, quadratic, single-choice among options) are not decisions for
// or against a change and are left out, with a log line counting them.
// Snapshot has no passed or defeated state; a closed proposal with final
// scores is decided as Snapshot's interface decides basic votes (see
// passed) and becomes succeeded or defeated; pending and active proposals,
// and closed ones whose scores are not final yet, are pending or active,
// without votes, and are read again by ReadSince. A vote's voting power
// (vp) is its weight. A proposal's start is never before its creation.
//
// Snapshot publishes neither the token supply nor the holders. The
// supply comes from the config (supply, in tokens) and is the history's
// one supply point; each proposal's quorum (absolute voting power)
// becomes the quorum parameter, as a fraction of that supply, from the
// proposal's start, except quorums of rejection. The history has no
// holders and no governor family.
package snapshot
