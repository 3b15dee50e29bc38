package chain

import (
	"fmt"
	"math/big"

	"github.com/attune-dao/attune/internal/evm"
)

// The governor events this source reads. OpenZeppelin's Governor (v4 and
// v5, contracts/governance/IGovernor.sol and extensions/) and Compound's
// GovernorBravo (contracts/Governance/GovernorBravoInterfaces.sol) declare
// them with the same canonical types (Bravo's uint is uint256), so their
// topics are the same; they differ in names and meaning only (OpenZeppelin
// v5's voteStart and voteEnd are clock timepoints, Bravo's startBlock and
// endBlock block numbers).
var (
	evProposalCreated = mustSig("ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)")
	evVoteCast        = mustSig("VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason)")
	evVoteCastParams  = mustSig("VoteCastWithParams(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason, bytes params)")
	evQueued          = mustSig("ProposalQueued(uint256 proposalId, uint256 eta)")
	evExecuted        = mustSig("ProposalExecuted(uint256 proposalId)")
	evCanceled        = mustSig("ProposalCanceled(uint256 proposalId)")
	evExtended        = mustSig("ProposalExtended(uint256 indexed proposalId, uint64 extendedDeadline)")
	evDelaySet        = mustSig("VotingDelaySet(uint256 oldVotingDelay, uint256 newVotingDelay)")
	evPeriodSet       = mustSig("VotingPeriodSet(uint256 oldVotingPeriod, uint256 newVotingPeriod)")
	evThresholdSet    = mustSig("ProposalThresholdSet(uint256 oldProposalThreshold, uint256 newProposalThreshold)")
	evQuorumUpdated   = mustSig("QuorumNumeratorUpdated(uint256 oldQuorumNumerator, uint256 newQuorumNumerator)")
)

// eventSigs are the events asked for, by topic.
var eventSigs = func() map[evm.Hash]evm.Signature {
	m := map[evm.Hash]evm.Signature{}
	for _, s := range []evm.Signature{evProposalCreated, evVoteCast, evVoteCastParams, evQueued, evExecuted,
		evCanceled, evExtended, evDelaySet, evPeriodSet, evThresholdSet, evQuorumUpdated} {
		m[s.Topic()] = s
	}
	return m
}()

// eventTopics lists eventSigs' topics in a fixed order, for the filter.
var eventTopics = func() []evm.Hash {
	var ts []evm.Hash
	for _, s := range []evm.Signature{evProposalCreated, evVoteCast, evVoteCastParams, evQueued, evExecuted,
		evCanceled, evExtended, evDelaySet, evPeriodSet, evThresholdSet, evQuorumUpdated} {
		ts = append(ts, s.Topic())
	}
	return ts
}()

func mustSig(s string) evm.Signature {
	sig, err := evm.ParseSignature(s)
	if err != nil {
		panic(err) // the signatures above are constants
	}
	return sig
}

// event is one decoded governor log. Name is the event's name; the other
// fields are those the event carries.
type event struct {
	Name     string
	Block    uint64
	LogIndex uint64
	Tx       string
	// Time is the block's timestamp when the log carried it, else 0.
	Time uint64

	Proposal    *big.Int // every proposal event
	Proposer    string   // ProposalCreated
	Start, End  *big.Int // ProposalCreated voteStart/voteEnd; ProposalExtended's new deadline in End
	Description string   // ProposalCreated
	Voter       string   // VoteCast*
	Support     uint8    // VoteCast*
	Weight      *big.Int // VoteCast*
	Eta         *big.Int // ProposalQueued
	Old, New    *big.Int // parameter events
}

// decodeLog decodes l as one of the governor's events. A log of another
// event (a governor emits others: TimelockChange, NewAdmin...) gives ok
// false; a log of a known event that does not decode is an error naming
// its transaction.
func decodeLog(l rawLog) (ev event, ok bool, err error) {
	if len(l.Topics) == 0 {
		return ev, false, nil
	}
	sig, known := eventSigs[l.Topics[0]]
	if !known {
		return ev, false, nil
	}
	data, err := evm.DecodeHex(l.Data)
	if err != nil {
		return ev, false, fmt.Errorf("%s log %d of tx %s: %w", sig.Name, l.LogIndex, oneLine(l.TxHash, 70), err)
	}
	vals, err := sig.DecodeLog(l.Topics, data)
	if err != nil {
		return ev, false, fmt.Errorf("%s log %d of tx %s (block %d): %w", sig.Name, l.LogIndex, oneLine(l.TxHash, 70), l.BlockNumber, err)
	}
	ev = event{Name: sig.Name, Block: uint64(l.BlockNumber), LogIndex: uint64(l.LogIndex), Tx: l.TxHash}
	if l.BlockTimestamp != nil {
		ev.Time = uint64(*l.BlockTimestamp)
	}
	num := func(i int) *big.Int { return vals[i].(*big.Int) }
	addr := func(i int) string { return vals[i].(evm.Address).Hex() }
	switch sig.Name {
	case "ProposalCreated":
		ev.Proposal, ev.Proposer, ev.Start, ev.End = num(0), addr(1), num(6), num(7)
		ev.Description = vals[8].(string)
	case "VoteCast", "VoteCastWithParams":
		ev.Voter, ev.Proposal, ev.Weight = addr(0), num(1), num(3)
		ev.Support = uint8(num(2).Uint64())
	case "ProposalQueued":
		ev.Proposal, ev.Eta = num(0), num(1)
	case "ProposalExecuted", "ProposalCanceled":
		ev.Proposal = num(0)
	case "ProposalExtended":
		ev.Proposal, ev.End = num(0), num(1)
	default: // the parameter events: (old, new)
		ev.Old, ev.New = num(0), num(1)
	}
	return ev, true, nil
}
