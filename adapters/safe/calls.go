package safe

import (
	"fmt"
	"math/big"

	"github.com/attune-dao/attune/internal/evm"
	"github.com/attune-dao/attune/oracle"
)

// Call is one setter call of a recommendation, checked and encoded.
type Call struct {
	// Param is attune's parameter name ("voting_period_days").
	Param string
	// To is the contract called (the governor).
	To evm.Address
	// Signature is the setter ("_setVotingPeriod(uint256)"), Arg its one
	// integer argument and Data the calldata: selector and argument.
	Signature evm.Signature
	Arg       *big.Int
	Data      []byte
	// Meaning says what Arg is in plain units.
	Meaning string
}

// paramNames are the setters' parameter names in their contracts' source,
// for the Transaction Builder's contractMethod: OpenZeppelin
// GovernorSettings.sol, GovernorVotesQuorumFraction.sol and
// GovernorPreventLateQuorum.sol; compound-protocol
// GovernorBravoDelegate.sol. Other setters are named "value".
var paramNames = map[string]string{
	"setVotingDelay":             "newVotingDelay",
	"setVotingPeriod":            "newVotingPeriod",
	"setProposalThreshold":       "newProposalThreshold",
	"updateQuorumNumerator":      "newQuorumNumerator",
	"setLateQuorumVoteExtension": "newVoteExtension",
	"_setVotingDelay":            "newVotingDelay",
	"_setVotingPeriod":           "newVotingPeriod",
	"_setProposalThreshold":      "newProposalThreshold",
}

// paramName is the name a setter's argument is shown under.
func paramName(function string) string {
	if n, ok := paramNames[function]; ok {
		return n
	}
	return "value"
}

// Calls checks and encodes the recommendation's on-chain calls, in order:
// each needs a setter signature with one integer parameter, a decimal
// integer argument that fits it and the contract's address. Changes no
// call can make (OnchainCall.Needs) are returned apart, for the file to
// list.
func Calls(onchain []oracle.OnchainCall) (calls []Call, without []oracle.OnchainCall, err error) {
	for i, oc := range onchain {
		if oc.Function == "" || oc.Arg == "" {
			without = append(without, oc)
			continue
		}
		where := fmt.Sprintf("onchain[%d] (%s)", i, oc.Param)
		sig, err := evm.ParseSignature(oc.Function)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		if len(sig.Params) != 1 || (sig.Params[0].Type.Kind != evm.KindUint && sig.Params[0].Type.Kind != evm.KindInt) {
			return nil, nil, fmt.Errorf("%s: %s is not a setter of one integer", where, oc.Function)
		}
		arg, ok := new(big.Int).SetString(oc.Arg, 10)
		if !ok {
			return nil, nil, fmt.Errorf("%s: argument %q is not a decimal integer", where, oc.Arg)
		}
		if oc.Address == "" {
			return nil, nil, fmt.Errorf("%s: the %s's address is not configured; set dao.onchain.address to the contract %s is called on", where, contractName(oc.Contract), sig.Name)
		}
		to, err := evm.ParseAddress(oc.Address)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: dao.onchain.address: %w", where, err)
		}
		data, err := sig.EncodeCall(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		calls = append(calls, Call{Param: oc.Param, To: to, Signature: sig, Arg: arg, Data: data, Meaning: oc.Meaning})
	}
	return calls, without, nil
}

func contractName(c string) string {
	if c == "" {
		return "governor"
	}
	return c
}

// Transaction returns the call as a batch transaction: its calldata, and
// the method and argument for a reader.
func (c Call) Transaction() Transaction {
	data := evm.EncodeHex(c.Data)
	p := c.Signature.Params[0]
	name := paramName(c.Signature.Name)
	return Transaction{
		To:    c.To.Hex(),
		Value: "0",
		Data:  &data,
		ContractMethod: &ContractMethod{
			Inputs:  []ContractInput{{InternalType: p.Type.String(), Name: name, Type: p.Type.String()}},
			Name:    c.Signature.Name,
			Payable: false,
		},
		ContractInputsValues: map[string]string{name: c.Arg.String()},
	}
}
