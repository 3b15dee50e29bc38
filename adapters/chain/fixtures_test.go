package chain

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/internal/evm"
)

// newTestHTTP is an httpx client that retries without waiting.
func newTestHTTP(c *http.Client) *httpx.Client {
	return httpx.New(httpx.Options{HTTP: c, MaxRetries: 2, Timeout: 5 * time.Second,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
}

// Compound's contracts (configs/examples/compound/SOURCES.md).
var (
	compoundBravo = mustAddr("0xc0Da02939E1441F497fd74F78cE7Decb17B66529")
	compToken     = mustAddr("0xc00e94Cb662C3520282E6f5717214004A7f26888")
)

// enc is a contract function's encoded result.
func enc(types []evm.Type, vals []any) ([]byte, *RPCError) {
	out, err := evm.Encode(types, vals)
	if err != nil {
		panic(err)
	}
	return out, nil
}

func mustAddr(s string) evm.Address {
	a, err := evm.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

// bravoEvent is one decoded event of testdata/compound_bravo_events.json
// (see testdata/README.md).
type bravoEvent struct {
	Event      string   `json:"event"`
	Block      uint64   `json:"block"`
	LogIndex   uint64   `json:"log_index"`
	Tx         string   `json:"tx"`
	Timestamp  string   `json:"timestamp"`
	ID         string   `json:"id"`
	Proposer   string   `json:"proposer"`
	Targets    []string `json:"targets"`
	Values     []string `json:"values"`
	Signatures []string `json:"signatures"`
	Calldatas  []string `json:"calldatas"`
	StartBlock string   `json:"startBlock"`
	EndBlock   string   `json:"endBlock"`
	Desc       string   `json:"description"`
	Voter      string   `json:"voter"`
	ProposalID string   `json:"proposalId"`
	Support    int      `json:"support"`
	Votes      string   `json:"votes"`
	Reason     string   `json:"reason"`
	Eta        string   `json:"eta"`
	Old        string   `json:"old"`
	New        string   `json:"new"`
}

type bravoFixture struct {
	Source string       `json:"source"`
	Events []bravoEvent `json:"events"`
	times  [][2]uint64
}

func loadBravoFixture(t testing.TB) *bravoFixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/compound_bravo_events.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		bravoFixture
		BlockTimes [][2]any `json:"block_times"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	fx := f.bravoFixture
	for _, bt := range f.BlockTimes {
		ts, err := time.Parse(time.RFC3339, bt[1].(string))
		if err != nil {
			t.Fatal(err)
		}
		fx.times = append(fx.times, [2]uint64{uint64(bt[0].(float64)), uint64(ts.Unix())})
	}
	return &fx
}

// encodeLog writes a decoded event as the log the governor emitted: its
// real topic, the indexed parameters in topics and the ABI encoding of
// the others in data (Solidity's encoding is canonical, so these are
// the bytes on chain).
func encodeLog(t testing.TB, addr evm.Address, sig evm.Signature, block, index uint64, tx string, vals ...any) fakeLog {
	t.Helper()
	topics := []string{sig.Topic().Hex()}
	var types []evm.Type
	var plain []any
	for i, p := range sig.Params {
		if p.Indexed {
			w, err := evm.Encode([]evm.Type{p.Type}, []any{vals[i]})
			if err != nil {
				t.Fatal(err)
			}
			topics = append(topics, evm.EncodeHex(w))
			continue
		}
		types = append(types, p.Type)
		plain = append(plain, vals[i])
	}
	data, err := evm.Encode(types, plain)
	if err != nil {
		t.Fatalf("%s: %v", sig.Name, err)
	}
	return fakeLog{Address: addr.Hex(), Topics: topics, Data: evm.EncodeHex(data),
		BlockNumber: hexQ(block), TransactionHash: tx, LogIndex: hexQ(index)}
}

func strsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// logs encodes the fixture's events.
func (fx *bravoFixture) logs(t testing.TB) []fakeLog {
	t.Helper()
	var out []fakeLog
	for _, e := range fx.Events {
		var l fakeLog
		switch e.Event {
		case "ProposalCreated":
			l = encodeLog(t, compoundBravo, evProposalCreated, e.Block, e.LogIndex, e.Tx,
				e.ID, e.Proposer, strsToAny(e.Targets), strsToAny(e.Values), strsToAny(e.Signatures), strsToAny(e.Calldatas),
				e.StartBlock, e.EndBlock, e.Desc)
		case "VoteCast":
			l = encodeLog(t, compoundBravo, evVoteCast, e.Block, e.LogIndex, e.Tx, e.Voter, e.ProposalID, e.Support, e.Votes, e.Reason)
		case "ProposalQueued":
			l = encodeLog(t, compoundBravo, evQueued, e.Block, e.LogIndex, e.Tx, e.ID, e.Eta)
		case "ProposalExecuted":
			l = encodeLog(t, compoundBravo, evExecuted, e.Block, e.LogIndex, e.Tx, e.ID)
		case "ProposalCanceled":
			l = encodeLog(t, compoundBravo, evCanceled, e.Block, e.LogIndex, e.Tx, e.ID)
		case "VotingDelaySet":
			l = encodeLog(t, compoundBravo, evDelaySet, e.Block, e.LogIndex, e.Tx, e.Old, e.New)
		case "VotingPeriodSet":
			l = encodeLog(t, compoundBravo, evPeriodSet, e.Block, e.LogIndex, e.Tx, e.Old, e.New)
		case "ProposalThresholdSet":
			l = encodeLog(t, compoundBravo, evThresholdSet, e.Block, e.LogIndex, e.Tx, e.Old, e.New)
		default:
			t.Fatalf("fixture event %s", e.Event)
		}
		out = append(out, l)
	}
	return out
}

// Compound's settings, as the fixture's events leave them and as
// GovernorBravoDelegate.sol declares them: quorumVotes = 400,000 COMP;
// COMP's total supply 10,000,000 (tools/histconv/testdata, from
// bhemen/dao-governance data/governance_token_supplies.csv).
var (
	weiPerToken      = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	compSupply       = new(big.Int).Mul(big.NewInt(10_000_000), weiPerToken)
	bravoQuorumVotes = new(big.Int).Mul(big.NewInt(400_000), weiPerToken)
)

// compoundNode serves the Compound fixture with head at block head: the
// governor's logs, the block times, and the governor's and COMP's calls
// answering as the contracts would at that block (values from the
// fixture's events).
func compoundNode(t testing.TB, head uint64) (*fakeNode, *bravoFixture) {
	t.Helper()
	fx := loadBravoFixture(t)
	n := newFakeNode()
	n.head = head
	n.times = fx.times
	for _, l := range fx.logs(t) {
		n.addLog(l)
	}
	// Settings at a block: the last event's new value at or before it.
	setting := func(event string, block uint64) *big.Int {
		var v *big.Int
		for _, e := range fx.Events {
			if e.Event == event && e.Block <= block {
				v = bigStr(t, e.New)
			}
		}
		return v
	}
	u := func(event string) contractFn {
		return func(_ []byte, block uint64) ([]byte, *RPCError) {
			return enc(u256, []any{setting(event, block)})
		}
	}
	n.fn(compoundBravo, "votingDelay()", u("VotingDelaySet"))
	n.fn(compoundBravo, "votingPeriod()", u("VotingPeriodSet"))
	n.fn(compoundBravo, "proposalThreshold()", u("ProposalThresholdSet"))
	n.ret(compoundBravo, "name()", []evm.Type{evm.StringT}, "Compound Governor Bravo")
	n.ret(compoundBravo, "quorumVotes()", u256, bravoQuorumVotes)
	n.ret(compoundBravo, "comp()", []evm.Type{evm.AddrT}, compToken)
	n.fn(compoundBravo, "proposals(uint256)", func(args []byte, block uint64) ([]byte, *RPCError) {
		id := new(big.Int).SetBytes(args[:32]).String()
		var proposer string
		start, end, eta := big.NewInt(0), big.NewInt(0), big.NewInt(0)
		tallies := [3]*big.Int{new(big.Int), new(big.Int), new(big.Int)} // against, for, abstain
		canceled, executed := false, false
		for _, e := range fx.Events {
			if e.Block > block {
				continue
			}
			switch {
			case e.Event == "ProposalCreated" && e.ID == id:
				proposer, start, end = e.Proposer, bigStr(t, e.StartBlock), bigStr(t, e.EndBlock)
			case e.Event == "VoteCast" && e.ProposalID == id:
				tallies[e.Support].Add(tallies[e.Support], bigStr(t, e.Votes))
			case e.Event == "ProposalQueued" && e.ID == id:
				eta = bigStr(t, e.Eta)
			case e.Event == "ProposalCanceled" && e.ID == id:
				canceled = true
			case e.Event == "ProposalExecuted" && e.ID == id:
				executed = true
			}
		}
		if proposer == "" {
			return nil, &RPCError{Code: -32000, Message: "execution reverted"}
		}
		return enc([]evm.Type{evm.Uint256, evm.AddrT, evm.Uint256, evm.Uint256, evm.Uint256, evm.Uint256, evm.Uint256, evm.Uint256, evm.BoolT, evm.BoolT},
			[]any{id, proposer, eta, start, end, tallies[1], tallies[0], tallies[2], canceled, executed})
	})
	n.ret(compToken, "symbol()", []evm.Type{evm.StringT}, "COMP")
	n.ret(compToken, "decimals()", []evm.Type{{Kind: evm.KindUint, Size: 8}}, 18)
	n.ret(compToken, "totalSupply()", u256, compSupply)
	return n, fx
}

func compoundConfig() Config {
	return Config{Family: Bravo, Address: compoundBravo.Hex(), FromBlock: 12266840, MaxRange: 100_000}
}

// The OpenZeppelin fixture: the "nominal workflow" of OpenZeppelin's
// test/governance/Governor.test.js (openzeppelin-contracts at
// fddac901ccdbdb06be90536822936ea765dd9218) with its timestamp-clock
// token (ERC20VotesTimestampMock): GovernorMock with votingDelay 4,
// votingPeriod 16, proposalThreshold 0, quorumNumerator 10 (of 100), a
// 100-token supply of which voter1..voter4 hold 10, 7, 5 and 2, who vote
// For ("This is nice"), For, Against and Abstain; the proposal is then
// executed. Accounts are Hardhat's default accounts and the contracts
// the addresses the test's deployments get on a fresh Hardhat network
// (account 0's nonces 0, 1, 2). The blocks and times are this fixture's
// own: the test runs on a local chain whose clock is the wall clock.
var (
	ozGovernor = mustAddr("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")
	ozToken    = mustAddr("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
	ozReceiver = mustAddr("0x5FbDB2315678afecb367f032d93F642f64180aa3")
	ozProposer = mustAddr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
	ozVoters   = []evm.Address{
		mustAddr("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
		mustAddr("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
		mustAddr("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
		mustAddr("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
	}
)

// ozScenario is the timeline of the OpenZeppelin fixture.
type ozScenario struct {
	deploy, propose, executeBlock uint64 // blocks
	t0                            uint64 // the proposal's timestamp
	id                            *big.Int
}

// ozNode serves the OpenZeppelin fixture with head at block head.
func ozNode(t testing.TB, head uint64) (*fakeNode, ozScenario) {
	t.Helper()
	sc := ozScenario{deploy: 100, propose: 110, executeBlock: 131, t0: 1_700_000_000}
	n := newFakeNode()
	n.head = head
	// One block a second from the deployment, so that a block's time is
	// t0 - propose + block.
	n.times = [][2]uint64{{sc.deploy, sc.t0 - (sc.propose - sc.deploy)}, {sc.executeBlock + 1000, sc.t0 + (sc.executeBlock + 1000 - sc.propose)}}
	tok := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), weiPerToken) }
	// hashProposal(targets, values, calldatas, keccak256(description)).
	sel, _ := evm.Selector("mockFunction()")
	desc := "<proposal description>"
	packed, err := evm.Encode([]evm.Type{evm.SliceOf(evm.AddrT), evm.SliceOf(evm.Uint256), evm.SliceOf(evm.BytesT), evm.Bytes32},
		[]any{[]any{ozReceiver}, []any{tok(1)}, []any{sel[:]}, evm.Keccak256([]byte(desc))})
	if err != nil {
		t.Fatal(err)
	}
	h := evm.Keccak256(packed)
	sc.id = new(big.Int).SetBytes(h[:])
	tx := func(i int) string { return "0x" + strconv.FormatInt(int64(i), 16) }
	at := func(block uint64) uint64 { return sc.t0 - sc.propose + block }
	n.addLog(encodeLog(t, ozGovernor, evDelaySet, sc.deploy, 0, tx(1), 0, 4))
	n.addLog(encodeLog(t, ozGovernor, evPeriodSet, sc.deploy, 1, tx(1), 0, 16))
	n.addLog(encodeLog(t, ozGovernor, evThresholdSet, sc.deploy, 2, tx(1), 0, 0))
	n.addLog(encodeLog(t, ozGovernor, evQuorumUpdated, sc.deploy, 3, tx(1), 0, 10))
	n.addLog(encodeLog(t, ozGovernor, evProposalCreated, sc.propose, 0, tx(2), sc.id, ozProposer,
		[]any{ozReceiver}, []any{tok(1)}, []any{""}, []any{sel[:]}, sc.t0+4, sc.t0+4+16, desc))
	weights := []int64{10, 7, 5, 2}
	supports := []int{1, 1, 0, 2}
	reasons := []string{"This is nice", "", "", ""}
	for i, v := range ozVoters {
		n.addLog(encodeLog(t, ozGovernor, evVoteCast, sc.propose+5+uint64(i), 0, tx(3+i), v, sc.id, supports[i], tok(weights[i]), reasons[i]))
	}
	n.addLog(encodeLog(t, ozGovernor, evExecuted, sc.executeBlock, 0, tx(9), sc.id))
	n.ret(ozGovernor, "name()", []evm.Type{evm.StringT}, "OZ-Governor")
	n.ret(ozGovernor, "CLOCK_MODE()", []evm.Type{evm.StringT}, "mode=timestamp")
	n.ret(ozGovernor, "COUNTING_MODE()", []evm.Type{evm.StringT}, "support=bravo&quorum=for,abstain")
	n.ret(ozGovernor, "votingDelay()", u256, 4)
	n.ret(ozGovernor, "votingPeriod()", u256, 16)
	n.ret(ozGovernor, "proposalThreshold()", u256, 0)
	n.ret(ozGovernor, "quorumNumerator()", u256, 10)
	n.ret(ozGovernor, "quorumDenominator()", u256, 100)
	n.ret(ozGovernor, "token()", []evm.Type{evm.AddrT}, ozToken)
	n.fn(ozGovernor, "quorum(uint256)", func(args []byte, block uint64) ([]byte, *RPCError) {
		tp := new(big.Int).SetBytes(args[:32])
		if tp.Uint64() >= at(block) {
			return nil, &RPCError{Code: 3, Message: "execution reverted"}
		}
		return enc(u256, []any{tok(10)}) // 10% of 100
	})
	n.fn(ozGovernor, "proposalSnapshot(uint256)", func([]byte, uint64) ([]byte, *RPCError) { return enc(u256, []any{sc.t0 + 4}) })
	n.fn(ozGovernor, "proposalDeadline(uint256)", func([]byte, uint64) ([]byte, *RPCError) { return enc(u256, []any{sc.t0 + 20}) })
	n.fn(ozGovernor, "proposalVotes(uint256)", func(_ []byte, block uint64) ([]byte, *RPCError) {
		var tally [3]*big.Int
		for i := range tally {
			tally[i] = new(big.Int)
		}
		for i := range ozVoters {
			if sc.propose+5+uint64(i) <= block {
				tally[supports[i]].Add(tally[supports[i]], tok(weights[i]))
			}
		}
		return enc([]evm.Type{evm.Uint256, evm.Uint256, evm.Uint256}, []any{tally[0], tally[1], tally[2]})
	})
	n.ret(ozToken, "symbol()", []evm.Type{evm.StringT}, "MTKN")
	n.ret(ozToken, "decimals()", []evm.Type{{Kind: evm.KindUint, Size: 8}}, 18)
	n.ret(ozToken, "totalSupply()", u256, tok(100))
	n.fn(ozToken, "getPastTotalSupply(uint256)", func(args []byte, block uint64) ([]byte, *RPCError) {
		tp := new(big.Int).SetBytes(args[:32])
		if tp.Uint64() >= at(block) {
			// ERC5805FutureLookup(uint256,uint48)
			return nil, &RPCError{Code: 3, Message: "execution reverted"}
		}
		return enc(u256, []any{tok(100)})
	})
	return n, sc
}

func ozConfig() Config {
	return Config{Family: OZ, Address: ozGovernor.Hex(), FromBlock: 1}
}

// newTestHTTPTimeout is newTestHTTP with a per-attempt timeout.
func newTestHTTPTimeout(_ *httpx.Client, d time.Duration) *httpx.Client {
	return httpx.New(httpx.Options{MaxRetries: 1, Timeout: d,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
}
