package safe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/evm"
	goldenfile "github.com/attune-dao/attune/internal/golden"
	"github.com/attune-dao/attune/oracle"
)

// Fixture publications. The governors are real contracts: an
// OpenZeppelin 5 Governor on Sepolia (0xb314…48e0, whose executed
// proposal called setVotingDelay(uint48); see internal/evm's tests) and
// Compound's GovernorBravoDelegator (configs/examples/compound). The
// recommended values are made up for the test, in the form loop writes
// Recommendation.Onchain; the Safe is EIP-55's first mixed-case vector.
const (
	ozGovernor    = "0xb314fac800bd0f5646e1a230b212ed88936648e0"
	bravoGovernor = "0xc0Da02939E1441F497fd74F78cE7Decb17B66529"
	testSafe      = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
)

func ozPublication() *adapters.Publication {
	return &adapters.Publication{
		CycleID: "2026-11-20-3f9a1c2b7d4e", DAO: "Example DAO", Key: "attune:2026-11-20-3f9a1c2b7d4e",
		Recommendation: &oracle.Recommendation{
			CycleID: "2026-11-20-3f9a1c2b7d4e", DAO: "Example DAO", Change: true,
			Date:   time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
			Method: oracle.Method{Governor: "oz"},
			Onchain: []oracle.OnchainCall{
				{Param: "voting_period_days", Contract: "Governor", Address: ozGovernor, Function: "setVotingPeriod(uint32)", Arg: "50400", Meaning: "50,400 blocks, 7 days at 12 s per block"},
				{Param: "proposal_threshold", Contract: "Governor", Address: ozGovernor, Function: "setProposalThreshold(uint256)", Arg: "13000000000000000000000", Meaning: "0.13% of supply (13,000 EXD), in units of 10^-18 token"},
				{Param: "quorum", Contract: "Governor", Address: ozGovernor, Function: "updateQuorumNumerator(uint256)", Arg: "5", Meaning: "5% of supply, 5 of 100"},
				{Param: "participation_reward", Contract: "Governor", Address: ozGovernor, Meaning: "2 EXD per vote", Needs: "the governor holds no reward: paying it needs a separate programme with its own funding source"},
			},
		},
		Proposal: &oracle.Proposal{Title: "Example DAO: Lengthen the voting period", Post: "# Example DAO: Lengthen the voting period\n\nWe propose to lengthen the voting period to 7 days.\n"},
	}
}

func bravoPublication() *adapters.Publication {
	return &adapters.Publication{
		CycleID: "2026-11-20-0b1c2d3e4f5a", DAO: "Compound", Key: "attune:2026-11-20-0b1c2d3e4f5a",
		Recommendation: &oracle.Recommendation{
			CycleID: "2026-11-20-0b1c2d3e4f5a", DAO: "Compound", Change: true,
			Date:   time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
			Method: oracle.Method{Governor: "bravo"},
			Onchain: []oracle.OnchainCall{
				{Param: "voting_period_days", Contract: "GovernorBravo", Address: bravoGovernor, Function: "_setVotingPeriod(uint256)", Arg: "21600", Meaning: "21,600 blocks, 3 days at 12 s per block"},
				{Param: "proposal_threshold", Contract: "GovernorBravo", Address: bravoGovernor, Function: "_setProposalThreshold(uint256)", Arg: "13000000000000000000000", Meaning: "0.13% of supply (13,000 COMP), in units of 10^-18 token"},
			},
		},
		Proposal: &oracle.Proposal{Title: "Compound: Shorten the voting period", Post: "We propose to shorten the voting period to 3 days.\n"},
	}
}

func newSink(t *testing.T, dir string, chainID uint64) *Sink {
	t.Helper()
	cfg, ok := adapters.NewSinkConfig(Type)
	if !ok {
		t.Fatalf("sink type %q is not registered", Type)
	}
	c := cfg.(*Config)
	c.ChainID, c.Safe, c.Dir = chainID, testSafe, dir
	s, err := c.NewSink(adapters.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
}

func mustDecodeHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := evm.DecodeHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t *testing.T, path string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPublishOpenZeppelin(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, 11155111)
	p := ozPublication()
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	cycleDir := filepath.Join(dir, p.CycleID)
	want := []string{filepath.Join(cycleDir, BatchFile), filepath.Join(cycleDir, ProposalFile), filepath.Join(cycleDir, ProposeBatchFile)}
	if fmt.Sprint(r.Files) != fmt.Sprint(want) {
		t.Fatalf("receipt files %v; want %v", r.Files, want)
	}

	var batch Batch
	raw := readJSON(t, r.Files[0], &batch)
	golden(t, "oz/"+BatchFile, raw)
	// The checksum is the app's, over the file as written, and the
	// receipt names it.
	if sum, err := Checksum(raw); err != nil || sum != batch.Meta.Checksum || r.ID != sum {
		t.Errorf("checksum %s, %v; file says %s, receipt %s", sum, err, batch.Meta.Checksum, r.ID)
	}
	if batch.ChainID != "11155111" || batch.Meta.CreatedFromSafeAddress != testSafe || batch.CreatedAt != p.Recommendation.Date.UnixMilli() {
		t.Errorf("batch header %+v", batch)
	}
	// Each transaction's calldata is the selector and the argument's
	// word, derived by hand; the participation reward has no call.
	if len(batch.Transactions) != 3 {
		t.Fatalf("%d transactions; want 3 (the reward has no call)", len(batch.Transactions))
	}
	for i, sel := range []string{"0xe540d01d", "0xece40cc1", "0x06f3f9e6"} {
		tx := batch.Transactions[i]
		arg, _ := new(big.Int).SetString(p.Recommendation.Onchain[i].Arg, 10)
		if want := sel + fmt.Sprintf("%064x", arg); tx.Data == nil || *tx.Data != want {
			t.Errorf("tx %d data %v; want %s", i, tx.Data, want)
		}
		if tx.To != "0xB314FAC800bD0F5646e1a230b212Ed88936648e0" || tx.Value != "0" {
			t.Errorf("tx %d to %s value %s", i, tx.To, tx.Value)
		}
	}
	if m := batch.Transactions[0].ContractMethod; m == nil || m.Name != "setVotingPeriod" || m.Inputs[0].Type != "uint32" || m.Inputs[0].Name != "newVotingPeriod" ||
		batch.Transactions[0].ContractInputsValues["newVotingPeriod"] != "50400" {
		t.Errorf("tx 0 method %+v values %v", m, batch.Transactions[0].ContractInputsValues)
	}
	if !strings.HasPrefix(batch.Meta.Description, p.Key+" ") || !strings.Contains(batch.Meta.Description, "Not made by a call: participation_reward (the governor holds no reward") {
		t.Errorf("description %q", batch.Meta.Description)
	}

	var prop GovernorProposal
	golden(t, "oz/"+ProposalFile, readJSON(t, r.Files[1], &prop))
	if prop.DescriptionHash != evm.Keccak256([]byte(p.Proposal.Post)).Hex() || prop.Description != p.Proposal.Post {
		t.Errorf("description %q hash %s", prop.Description, prop.DescriptionHash)
	}
	// The propose calldata decodes to the batch's calls, and the id is
	// hashProposal of them.
	sig, _ := evm.ParseSignature("propose(address[],uint256[],bytes[],string)")
	vals, err := sig.DecodeCall(mustDecodeHex(t, prop.Calldata))
	if err != nil {
		t.Fatal(err)
	}
	calldatas := vals[2].([]any)
	for i, tx := range batch.Transactions {
		if evm.EncodeHex(calldatas[i].([]byte)) != *tx.Data || vals[0].([]any)[i].(evm.Address).Hex() != tx.To {
			t.Errorf("proposal action %d differs from batch transaction %d", i, i)
		}
	}
	if vals[3].(string) != p.Proposal.Post {
		t.Errorf("proposal description %q", vals[3])
	}
	enc, _ := evm.Encode([]evm.Type{evm.SliceOf(evm.AddrT), evm.SliceOf(evm.Uint256), evm.SliceOf(evm.BytesT), evm.Bytes32}, []any{vals[0], vals[1], vals[2], evm.Keccak256([]byte(p.Proposal.Post))})
	id := evm.Keccak256(enc)
	if prop.ProposalIDHex != id.Hex() || prop.ProposalID != new(big.Int).SetBytes(id[:]).String() {
		t.Errorf("proposal id %s (%s); want %s", prop.ProposalID, prop.ProposalIDHex, id)
	}

	var pb Batch
	rawPB := readJSON(t, r.Files[2], &pb)
	golden(t, "oz/"+ProposeBatchFile, rawPB)
	if sum, _ := Checksum(rawPB); sum != pb.Meta.Checksum || len(pb.Transactions) != 1 || *pb.Transactions[0].Data != prop.Calldata || pb.Transactions[0].To != prop.Governor || pb.Transactions[0].ContractMethod != nil {
		t.Errorf("propose batch %+v", pb)
	}

	// Preview shows the same bytes, Find recognises the publication, and
	// publishing again rewrites the same files.
	out, err := s.Preview(context.Background(), p)
	if err != nil || len(out) != 3 || !bytes.Equal(out[0].Body, raw) || out[0].Target != r.Files[0] {
		t.Errorf("Preview = %d items, %v", len(out), err)
	}
	found, ok, err := s.Find(context.Background(), p)
	if err != nil || !ok || found.ID != r.ID || len(found.Files) != 3 {
		t.Errorf("Find = %+v, %v, %v", found, ok, err)
	}
	other := ozPublication()
	other.Key = "attune:another"
	if _, ok, _ := s.Find(context.Background(), other); ok {
		t.Error("Find recognised a batch made for another key")
	}
	r2, err := s.Publish(context.Background(), p)
	again, _ := os.ReadFile(r2.Files[0])
	if err != nil || r2.ID != r.ID || !bytes.Equal(again, raw) {
		t.Errorf("second Publish: %v, id %s", err, r2.ID)
	}
}

func TestPublishBravo(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, 1)
	p := bravoPublication()
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var batch Batch
	golden(t, "bravo/"+BatchFile, readJSON(t, r.Files[0], &batch))
	// _setProposalThreshold(13000e18): selector 0x17ba1b8b and the
	// argument's word, 0x2c0bb3dd30c4e200000.
	if want := "0x17ba1b8b0000000000000000000000000000000000000000000002c0bb3dd30c4e200000"; *batch.Transactions[1].Data != want {
		t.Errorf("threshold calldata %s; want %s", *batch.Transactions[1].Data, want)
	}
	var prop GovernorProposal
	golden(t, "bravo/"+ProposalFile, readJSON(t, r.Files[1], &prop))
	if prop.Style != StyleBravo || prop.ProposalID != "" || fmt.Sprint(prop.Signatures) != "[_setVotingPeriod(uint256) _setProposalThreshold(uint256)]" {
		t.Errorf("bravo proposal %+v", prop)
	}
	// Bravo's description gets the title as its heading; each calldata is
	// the arguments alone.
	if !strings.HasPrefix(prop.Description, "# Compound: Shorten the voting period\n\n") {
		t.Errorf("description %q", prop.Description)
	}
	sig, _ := evm.ParseSignature("propose(address[],uint256[],string[],bytes[],string)")
	vals, err := sig.DecodeCall(mustDecodeHex(t, prop.Calldata))
	if err != nil {
		t.Fatal(err)
	}
	if got := evm.EncodeHex(vals[3].([]any)[0].([]byte)); got != "0x"+fmt.Sprintf("%064x", 21600) {
		t.Errorf("first calldata %s; want the argument alone", got)
	}
}

func TestPublishRefusesAndSkips(t *testing.T) {
	s := newSink(t, t.TempDir(), 1)
	ctx := context.Background()
	// No call to make: no files, a receipt that says so.
	p := bravoPublication()
	p.Recommendation.Onchain = nil
	r, err := s.Publish(ctx, p)
	if err != nil || r.ID != NothingToEnact || len(r.Files) != 0 {
		t.Errorf("no calls: %+v, %v", r, err)
	}
	// Aragon is not proposed to by propose: the batch only.
	p = ozPublication()
	p.Recommendation.Method.Governor = "aragon"
	if r, err := s.Publish(ctx, p); err != nil || len(r.Files) != 1 {
		t.Errorf("aragon: %+v, %v", r, err)
	}
	for name, mutate := range map[string]func(*oracle.OnchainCall){
		"no address":        func(c *oracle.OnchainCall) { c.Address = "" },
		"bad address":       func(c *oracle.OnchainCall) { c.Address = "0x1234" },
		"not a signature":   func(c *oracle.OnchainCall) { c.Function = "setVotingPeriod" },
		"two arguments":     func(c *oracle.OnchainCall) { c.Function = "f(uint256,uint256)" },
		"not an integer":    func(c *oracle.OnchainCall) { c.Function = "f(address)" },
		"fraction":          func(c *oracle.OnchainCall) { c.Arg = "1.5" },
		"too large for u32": func(c *oracle.OnchainCall) { c.Arg = "4294967296" },
	} {
		p := ozPublication()
		mutate(&p.Recommendation.Onchain[0])
		if _, err := s.Publish(ctx, p); err == nil || !strings.Contains(err.Error(), "onchain[0] (voting_period_days)") {
			t.Errorf("%s: Publish = %v; want an error naming onchain[0]", name, err)
		}
	}
	p = ozPublication()
	p.CycleID = "../escape"
	if _, err := s.Publish(ctx, p); err == nil {
		t.Error("a cycle id naming another directory was accepted")
	}
	if _, err := s.Publish(ctx, &adapters.Publication{CycleID: "c"}); err == nil {
		t.Error("a publication without a recommendation was accepted")
	}
}

func TestConfigCheck(t *testing.T) {
	c := &Config{}
	errs := c.Check()
	if len(errs) != 2 || errs[0].Field != "chain_id" || errs[1].Field != "safe" {
		t.Errorf("empty config: %v", errs)
	}
	c = &Config{ChainID: 1, Safe: "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", Owner: "nope"}
	errs = c.Check()
	if len(errs) != 2 || !strings.Contains(errs[0].Msg, "checksum") || errs[1].Field != "owner" {
		t.Errorf("bad addresses: %v", errs)
	}
	if _, err := c.NewSink(adapters.Env{}); err == nil {
		t.Error("NewSink accepted a bad config")
	}
	c = &Config{ChainID: 1, Safe: strings.ToLower(testSafe), Owner: strings.ToLower(testSafe)}
	s, err := c.NewSink(adapters.Env{Dir: "/base"})
	if err != nil {
		t.Fatal(err)
	}
	if ss := s.(*Sink); ss.safe != testSafe || ss.owner != testSafe || ss.dir != DefaultDir {
		t.Errorf("sink %+v: addresses not checksummed or dir not defaulted", ss)
	}
}

// FuzzChecksum: a batch file from outside never panics Checksum, and a
// checksum computed once is computed again the same.
func FuzzChecksum(f *testing.F) {
	f.Add([]byte(txBuilderTestBatch))
	f.Add([]byte(`{"meta": {"name": "x", "checksum": "0x"}, "n": [1e400, -0.0000001, "\u2028"]}`))
	f.Add([]byte(`{"meta": 5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Checksum(data)
		if err != nil {
			return
		}
		if b, _ := Checksum(data); a != b || len(a) != 66 {
			t.Fatalf("checksum %q then %q", a, b)
		}
	})
}

// Without the governor family in the recommendation, the style follows
// the setters' names: Bravo's begin with an underscore.
func TestStyleInferredFromSetters(t *testing.T) {
	s := newSink(t, t.TempDir(), 1)
	for _, c := range []struct {
		pub  *adapters.Publication
		want string
	}{{bravoPublication(), StyleBravo}, {ozPublication(), StyleOZ}} {
		c.pub.Recommendation.Method.Governor = ""
		out, err := s.Preview(context.Background(), c.pub)
		if err != nil || len(out) != 3 {
			t.Fatalf("Preview = %d files, %v", len(out), err)
		}
		var prop GovernorProposal
		if err := json.Unmarshal(out[1].Body, &prop); err != nil || prop.Style != c.want {
			t.Errorf("style %q, %v; want %q", prop.Style, err, c.want)
		}
	}
	if StyleFor("aave-v2") != "" || StyleFor("nouns") != StyleBravo || StyleFor("arbitrum") != StyleOZ {
		t.Error("StyleFor maps a family wrongly")
	}
	if _, err := Propose("aragon", []Call{{}}, "d", "1", "k"); err == nil {
		t.Error("Propose accepted an unknown style")
	}
	if _, err := Propose(StyleOZ, nil, "d", "1", "k"); err == nil {
		t.Error("Propose accepted no calls")
	}
	a, _ := evm.ParseAddress(ozGovernor)
	b, _ := evm.ParseAddress(bravoGovernor)
	if _, err := Propose(StyleOZ, []Call{{To: a}, {To: b}}, "d", "1", "k"); err == nil || !strings.Contains(err.Error(), "one governor") {
		t.Errorf("Propose on two governors: %v", err)
	}
}
