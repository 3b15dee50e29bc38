package safe

import (
	"fmt"
	"math/big"

	"github.com/attune-dao/attune/internal/evm"
)

// The governor proposal styles Propose knows.
const (
	// StyleOZ is OpenZeppelin Governor's propose(address[] targets,
	// uint256[] values, bytes[] calldatas, string description), whose
	// proposal id is uint256(keccak256(abi.encode(targets, values,
	// calldatas, keccak256(bytes(description))))) (Governor.hashProposal).
	StyleOZ = "oz"
	// StyleBravo is GovernorBravo's propose(address[] targets, uint[]
	// values, string[] signatures, bytes[] calldatas, string description),
	// where each calldata holds only the arguments and the executor
	// prepends the signature's selector; its proposal id is a counter
	// (proposalCount + 1), known only once the proposal is made.
	StyleBravo = "bravo"
)

// Proposal style for each governor family (governor.Rules.Family) whose
// votes are proposed by a propose call; Aragon (newVote with an EVM
// script) and Aave v2 (create through an executor) are not.
var familyStyle = map[string]string{
	"oz":       StyleOZ,
	"arbitrum": StyleOZ,
	"bravo":    StyleBravo,
	"nouns":    StyleBravo,
}

// StyleFor returns the propose style of a governor family, or "" when
// the family's proposals are not made by propose.
func StyleFor(family string) string { return familyStyle[family] }

// GovernorProposal is the governor proposal that makes a recommendation's
// calls: what a steward submits from a wallet, with the description hash
// the proposal id (and queue and execute) depend on.
type GovernorProposal struct {
	// Key identifies the publication ("attune:<cycle-id>").
	Key string `json:"key"`
	// Governor is the contract propose is called on; ChainID its chain.
	Governor string `json:"governor"`
	ChainID  string `json:"chain_id"`
	// Style is "oz" or "bravo"; Function the propose signature.
	Style    string `json:"style"`
	Function string `json:"function"`
	// Targets, Values, Signatures (Bravo only) and Calldatas are the
	// proposal's actions, in order.
	Targets    []string `json:"targets"`
	Values     []string `json:"values"`
	Signatures []string `json:"signatures,omitempty"`
	Calldatas  []string `json:"calldatas"`
	// Description is the proposal's text; DescriptionHash its Keccak-256,
	// which OpenZeppelin's queue and execute take instead of the text.
	Description     string `json:"description"`
	DescriptionHash string `json:"description_hash"`
	// ProposalID is OpenZeppelin's hashProposal, in decimal (as explorers
	// and Tally show it) and hex; empty for Bravo.
	ProposalID    string `json:"proposal_id,omitempty"`
	ProposalIDHex string `json:"proposal_id_hex,omitempty"`
	// Calldata is the whole propose call: what a wallet sends to
	// Governor with value 0.
	Calldata string `json:"calldata"`
	// Note says what to check before sending.
	Note string `json:"note"`
}

// Propose builds the propose call of style for calls, all on one
// governor, with description as the proposal's text.
func Propose(style string, calls []Call, description, chainID, key string) (GovernorProposal, error) {
	if len(calls) == 0 {
		return GovernorProposal{}, fmt.Errorf("a proposal needs at least one call")
	}
	governor := calls[0].To
	for _, c := range calls[1:] {
		if c.To != governor {
			return GovernorProposal{}, fmt.Errorf("the calls go to %s and %s; a proposal here is made on one governor", governor.Hex(), c.To.Hex())
		}
	}
	descHash := evm.Keccak256([]byte(description))
	p := GovernorProposal{
		Key: key, Governor: governor.Hex(), ChainID: chainID, Style: style,
		Description: description, DescriptionHash: descHash.Hex(),
	}
	targets := make([]evm.Address, len(calls))
	values := make([]*big.Int, len(calls))
	for i, c := range calls {
		targets[i] = c.To
		values[i] = new(big.Int)
		p.Targets = append(p.Targets, c.To.Hex())
		p.Values = append(p.Values, "0")
	}
	var data []byte
	var err error
	switch style {
	case StyleOZ:
		calldatas := make([][]byte, len(calls))
		for i, c := range calls {
			calldatas[i] = c.Data
			p.Calldatas = append(p.Calldatas, evm.EncodeHex(c.Data))
		}
		p.Function = "propose(address[],uint256[],bytes[],string)"
		data, err = evm.EncodeCall(p.Function, targets, values, calldatas, description)
		if err != nil {
			return GovernorProposal{}, err
		}
		enc, err := evm.Encode([]evm.Type{evm.SliceOf(evm.AddrT), evm.SliceOf(evm.Uint256), evm.SliceOf(evm.BytesT), evm.Bytes32},
			[]any{targets, values, calldatas, descHash})
		if err != nil {
			return GovernorProposal{}, err
		}
		id := evm.Keccak256(enc)
		p.ProposalIDHex = id.Hex()
		p.ProposalID = new(big.Int).SetBytes(id[:]).String()
		p.Note = "Send Calldata to Governor with value 0 from an account holding at least the proposal threshold in votes. " +
			"ProposalID is what Governor.hashProposal returns for these actions and this exact description; queue and execute take DescriptionHash."
	case StyleBravo:
		signatures := make([]string, len(calls))
		args := make([][]byte, len(calls))
		for i, c := range calls {
			signatures[i] = c.Signature.Canonical()
			args[i] = c.Data[4:]
			p.Signatures = append(p.Signatures, signatures[i])
			p.Calldatas = append(p.Calldatas, evm.EncodeHex(args[i]))
		}
		p.Function = "propose(address[],uint256[],string[],bytes[],string)"
		data, err = evm.EncodeCall(p.Function, targets, values, signatures, args, description)
		if err != nil {
			return GovernorProposal{}, err
		}
		p.Note = "Send Calldata to the governor with value 0 from an account holding at least the proposal threshold in votes. " +
			"GovernorBravo numbers proposals in order (proposalCount + 1), so the id is known once the proposal is made; each calldata holds the arguments and the executor prepends the signature's selector."
	default:
		return GovernorProposal{}, fmt.Errorf("unknown proposal style %q; want %q or %q", style, StyleOZ, StyleBravo)
	}
	p.Calldata = evm.EncodeHex(data)
	return p, nil
}

// Transaction returns the propose call as a batch transaction (raw data,
// as the Transaction Builder writes a custom call).
func (p GovernorProposal) Transaction() Transaction {
	data := p.Calldata
	return Transaction{To: p.Governor, Value: "0", Data: &data}
}
