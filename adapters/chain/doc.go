// Package chain is the governor source: it reads an on-chain governor's
// history over Ethereum JSON-RPC, with no indexer and no key beyond the
// node's endpoint. It registers the source type "governor".
//
// Two families are read: OpenZeppelin Governor (v4 and v5; family oz) and
// Compound's GovernorBravo and its forks (family bravo). Their events
// share canonical signatures, so one decoder (package internal/evm) reads
// both: ProposalCreated, VoteCast, VoteCastWithParams, ProposalQueued,
// ProposalExecuted, ProposalCanceled, ProposalExtended and the settings'
// VotingDelaySet, VotingPeriodSet, ProposalThresholdSet and
// QuorumNumeratorUpdated.
//
// eth_getLogs runs over block spans that start at max_range, shrink when
// the node refuses a range (to the range it suggests, the cap it states,
// or half; the wordings of Infura, Alchemy, QuickNode, Ankr and others are
// recognised) and grow back after each success. eth_call reads the
// governor's clock (ERC-6372 CLOCK_MODE), counting mode, settings and
// quorum, and the token's symbol, decimals and supply
// (getPastTotalSupply at each snapshot when the token keeps checkpoints);
// block timestamps come from the logs (blockTimestamp) or from
// eth_getBlockByNumber. Calls and block lookups go in JSON-RPC batches.
//
// The history's amounts are whole tokens converted exactly from the
// integers on chain; a proposal's state is the one the governor's state()
// gives at the last block read, from its events, clock and tallies. The
// parameters over time are the values in force at the first proposal and
// one change per setting event. ReadSince reads only the blocks after the
// last one a previous history covers (its provenance records the range)
// and re-reads the proposals it left open from the governor.
package chain
