package governor

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Clock says what a governor counts durations in.
type Clock string

const (
	// Blocks: durations are block counts (GovernorBravo, Nouns, Aave v2,
	// OpenZeppelin Governor with a block-number clock: ERC-6372
	// CLOCK_MODE "mode=blocknumber&from=default").
	Blocks Clock = "blocks"
	// Timestamp: durations are seconds (Aragon Voting; OpenZeppelin
	// Governor whose token's CLOCK_MODE is "mode=timestamp").
	Timestamp Clock = "timestamp"
)

// Onchain is what turning a parameter value into a setter's argument
// needs: the governor's address and clock, the chain's block time, the
// token's decimals and, for an OpenZeppelin quorum, the quorum's
// denominator. Zero fields take the family's defaults (see
// DefaultOnchain).
type Onchain struct {
	// Address is the contract the calls go to ("" when unknown).
	Address string `json:"address,omitempty"`
	// Contract names that contract for a reader ("GovernorBravo").
	Contract string `json:"contract,omitempty"`
	// Clock is what durations are counted in.
	Clock Clock `json:"clock,omitempty"`
	// BlockSeconds is the chain's seconds per block, for a Blocks clock.
	BlockSeconds float64 `json:"block_seconds,omitempty"`
	// TokenDecimals is the governance token's decimals (18 for most
	// ERC-20s): a threshold of 1 token is 10^TokenDecimals units.
	TokenDecimals int `json:"token_decimals,omitempty"`
	// QuorumDenominator is OpenZeppelin's quorumDenominator() (100 by
	// default; Arbitrum's governors override it to 10,000).
	QuorumDenominator int64 `json:"quorum_denominator,omitempty"`
}

// onchainDefaults are each family's defaults. Ethereum mainnet has made a
// block every 12 s since the Merge (2022-09-15, proof of stake: one slot
// per 12 s); Arbitrum's governors read L1 block numbers, so 12 s too.
var onchainDefaults = map[string]Onchain{
	"oz":       {Contract: "Governor", Clock: Blocks, BlockSeconds: 12, TokenDecimals: 18, QuorumDenominator: 100},
	"bravo":    {Contract: "GovernorBravo", Clock: Blocks, BlockSeconds: 12, TokenDecimals: 18},
	"aave-v2":  {Contract: "Executor", Clock: Blocks, BlockSeconds: 12, TokenDecimals: 18},
	"aragon":   {Contract: "Voting", Clock: Timestamp, TokenDecimals: 18},
	"arbitrum": {Contract: "L2ArbitrumGovernor", Clock: Blocks, BlockSeconds: 12, TokenDecimals: 18, QuorumDenominator: 10000},
	"nouns":    {Contract: "NounsDAOProxy", Clock: Blocks, BlockSeconds: 12, TokenDecimals: 0},
}

// DefaultOnchain returns the named family's defaults; an unknown family
// gets OpenZeppelin's.
func DefaultOnchain(family string) Onchain {
	if d, ok := onchainDefaults[family]; ok {
		return d
	}
	return onchainDefaults["oz"]
}

// Merge returns o with its zero fields taken from d.
func (o Onchain) Merge(d Onchain) Onchain {
	if o.Address == "" {
		o.Address = d.Address
	}
	if o.Contract == "" {
		o.Contract = d.Contract
	}
	if o.Clock == "" {
		o.Clock = d.Clock
	}
	if o.BlockSeconds == 0 {
		o.BlockSeconds = d.BlockSeconds
	}
	if o.TokenDecimals == 0 {
		o.TokenDecimals = d.TokenDecimals
	}
	if o.QuorumDenominator == 0 {
		o.QuorumDenominator = d.QuorumDenominator
	}
	return o
}

// ArgUnit is the unit of a setter's integer argument.
type ArgUnit string

const (
	// ArgDuration: a duration in the governor's clock units (blocks or
	// seconds, as Onchain.Clock says).
	ArgDuration ArgUnit = "duration"
	// ArgBlocks: a duration in blocks, whatever the clock.
	ArgBlocks ArgUnit = "blocks"
	// ArgSeconds: a duration in seconds, whatever the clock.
	ArgSeconds ArgUnit = "seconds"
	// ArgTokenUnits: a token amount in its smallest unit (wei for 18
	// decimals); the parameter is a fraction of supply.
	ArgTokenUnits ArgUnit = "token_units"
	// ArgQuorumNumerator: a numerator over Onchain.QuorumDenominator.
	ArgQuorumNumerator ArgUnit = "quorum_numerator"
	// ArgPct1e18: Aragon's percentages, 10^18 = 100%.
	ArgPct1e18 ArgUnit = "pct_1e18"
	// ArgBPS: basis points, 10,000 = 100%.
	ArgBPS ArgUnit = "bps"
)

// Setter is how a family's contracts hold one parameter: the function an
// ordinary vote calls to change it, or, for a parameter only an upgrade
// changes, the constant that holds it.
type Setter struct {
	Param string `json:"param"`
	// Function is the setter a vote calls ("_setVotingPeriod"); "" when
	// the value is a constant (see Constant).
	Function string `json:"function,omitempty"`
	// Constant names the constant or immutable that holds the value when
	// no function changes it ("quorumVotes").
	Constant string `json:"constant,omitempty"`
	// ArgType is the Solidity type of the argument or constant.
	ArgType string `json:"arg_type"`
	// Unit is what the integer counts.
	Unit ArgUnit `json:"unit"`
	// Source is where the signature was read.
	Source string `json:"source"`
}

// Signature is the setter's signature, e.g. "_setVotingPeriod(uint256)";
// "" for a constant.
func (s Setter) Signature() string {
	if s.Function == "" {
		return ""
	}
	return s.Function + "(" + s.ArgType + ")"
}

// Sources of the setters (read from the contracts' source):
//   - OpenZeppelin Governor 5.x, contracts/governance/extensions/
//     GovernorSettings.sol: setVotingPeriod(uint32) "in clock units",
//     setProposalThreshold(uint256) an amount of token;
//     GovernorVotesQuorumFraction.sol: updateQuorumNumerator(uint256), the
//     quorum being supply × numerator / quorumDenominator(), 100 unless
//     overridden.
//   - compound-finance/compound-protocol, contracts/Governance/
//     GovernorBravoDelegate.sol: _setVotingPeriod(uint) "in blocks",
//     _setProposalThreshold(uint) in COMP wei, and
//     `uint public constant quorumVotes = 400000e18`.
//   - aave/governance-v2, contracts/governance/ProposalValidator.sol and
//     ExecutorWithTimelock.sol: MINIMUM_QUORUM, VOTE_DIFFERENTIAL and
//     PROPOSITION_THRESHOLD (uint256, 100 = 1%, i.e. basis points) and
//     VOTING_DURATION (uint256 blocks) are immutable constructor
//     arguments of each Executor; AaveGovernanceV2.authorizeExecutors
//     (address[]) admits a new Executor.
//   - lidofinance/aragon-apps, apps/voting/contracts/Voting.sol:
//     changeMinAcceptQuorumPct(uint64), changeSupportRequiredPct(uint64)
//     (PCT_BASE = 10^18 = 100%; quorum must not exceed support) and
//     unsafelyChangeVoteTime(uint64) in seconds (more than the objection
//     phase).
//   - ArbitrumFoundation/governance, src/L2ArbitrumGovernor.sol:
//     OpenZeppelin's setters (4.x upgradeable: setVotingPeriod(uint256))
//     with quorumDenominator() = 10,000, called through relay by the
//     governor's owner.
//   - nounsDAO/nouns-monorepo, packages/nouns-contracts/contracts/
//     governance/NounsDAOLogicV2.sol: _setVotingPeriod(uint256) in blocks,
//     _setProposalThresholdBPS(uint256), _setMinQuorumVotesBPS(uint16).
const (
	srcOZSettings = "OpenZeppelin GovernorSettings.sol"
	srcOZQuorum   = "OpenZeppelin GovernorVotesQuorumFraction.sol"
	srcBravo      = "compound-protocol GovernorBravoDelegate.sol"
	srcAave       = "aave governance-v2 ProposalValidator.sol / ExecutorWithTimelock.sol"
	srcAragon     = "lidofinance aragon-apps Voting.sol"
	srcArbitrum   = "ArbitrumFoundation governance L2ArbitrumGovernor.sol"
	srcNouns      = "nouns-monorepo NounsDAOLogicV2.sol"
)

var setters = map[string]map[string]Setter{
	"oz": {
		Quorum:            {Function: "updateQuorumNumerator", ArgType: "uint256", Unit: ArgQuorumNumerator, Source: srcOZQuorum},
		ProposalThreshold: {Function: "setProposalThreshold", ArgType: "uint256", Unit: ArgTokenUnits, Source: srcOZSettings},
		VotingPeriodDays:  {Function: "setVotingPeriod", ArgType: "uint32", Unit: ArgDuration, Source: srcOZSettings},
	},
	"bravo": {
		Quorum:            {Constant: "quorumVotes", ArgType: "uint256", Unit: ArgTokenUnits, Source: srcBravo},
		ProposalThreshold: {Function: "_setProposalThreshold", ArgType: "uint256", Unit: ArgTokenUnits, Source: srcBravo},
		VotingPeriodDays:  {Function: "_setVotingPeriod", ArgType: "uint256", Unit: ArgBlocks, Source: srcBravo},
	},
	"aave-v2": {
		Quorum:            {Constant: "MINIMUM_QUORUM", ArgType: "uint256", Unit: ArgBPS, Source: srcAave},
		VoteDifferential:  {Constant: "VOTE_DIFFERENTIAL", ArgType: "uint256", Unit: ArgBPS, Source: srcAave},
		ProposalThreshold: {Constant: "PROPOSITION_THRESHOLD", ArgType: "uint256", Unit: ArgBPS, Source: srcAave},
		VotingPeriodDays:  {Constant: "VOTING_DURATION", ArgType: "uint256", Unit: ArgBlocks, Source: srcAave},
	},
	"aragon": {
		Quorum:           {Function: "changeMinAcceptQuorumPct", ArgType: "uint64", Unit: ArgPct1e18, Source: srcAragon},
		SupportRequired:  {Function: "changeSupportRequiredPct", ArgType: "uint64", Unit: ArgPct1e18, Source: srcAragon},
		VotingPeriodDays: {Function: "unsafelyChangeVoteTime", ArgType: "uint64", Unit: ArgSeconds, Source: srcAragon},
	},
	"arbitrum": {
		Quorum:            {Function: "updateQuorumNumerator", ArgType: "uint256", Unit: ArgQuorumNumerator, Source: srcArbitrum},
		ProposalThreshold: {Function: "setProposalThreshold", ArgType: "uint256", Unit: ArgTokenUnits, Source: srcArbitrum},
		VotingPeriodDays:  {Function: "setVotingPeriod", ArgType: "uint256", Unit: ArgBlocks, Source: srcArbitrum},
	},
	"nouns": {
		Quorum:            {Function: "_setMinQuorumVotesBPS", ArgType: "uint16", Unit: ArgBPS, Source: srcNouns},
		ProposalThreshold: {Function: "_setProposalThresholdBPS", ArgType: "uint256", Unit: ArgBPS, Source: srcNouns},
		VotingPeriodDays:  {Function: "_setVotingPeriod", ArgType: "uint256", Unit: ArgBlocks, Source: srcNouns},
	},
}

// Setter returns how the rules' family holds param: the function a vote
// calls, or the constant an upgrade replaces. ok is false when the
// family's contracts hold no such value (a participation reward is a
// separate programme; OpenZeppelin has no vote differential).
func (r Rules) Setter(param string) (Setter, bool) {
	s, ok := setters[r.Family][param]
	s.Param = param
	return s, ok
}

// Rounding says which way Quantize rounds.
type Rounding int

const (
	// Nearest rounds to the nearest argument.
	Nearest Rounding = iota
	// Down rounds towards minus infinity.
	Down
	// Up rounds towards plus infinity.
	Up
)

func roundBy(x float64, mode Rounding) float64 {
	switch mode {
	case Down:
		return math.Floor(x)
	case Up:
		return math.Ceil(x)
	}
	return math.Round(x)
}

// maxArg bounds an argument converted through a float64: beyond 2^53
// whole numbers are no longer exact.
const maxArg = 1 << 53

// Quantize converts v, in the model's unit (days for a period, a
// fraction of supply for a quorum or threshold, a share for support),
// into the setter's integer argument, rounded as mode says, and returns
// the argument and the value it enacts in the model's unit. supply is the
// token supply a fraction of supply refers to (needed for token units).
// It fails on a negative or non-finite value, a missing block time,
// decimals or denominator, or an argument beyond 2^53 (or, in token
// units, beyond uint256).
func (s Setter) Quantize(v float64, oc Onchain, supply float64, mode Rounding) (*big.Int, float64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return nil, 0, fmt.Errorf("%s: value %v; want a finite number, 0 or more: %w", s.Param, v, ErrInvalid)
	}
	unit := s.Unit
	if unit == ArgDuration {
		unit = ArgSeconds
		if oc.Clock != Timestamp {
			unit = ArgBlocks
		}
	}
	integer := func(scale float64) (*big.Int, float64, error) {
		x := roundBy(v*scale, mode)
		if x > maxArg {
			return nil, 0, fmt.Errorf("%s: %v is too large for %s: %w", s.Param, v, unit, ErrInvalid)
		}
		return big.NewInt(int64(x)), x / scale, nil
	}
	switch unit {
	case ArgSeconds:
		return integer(86400)
	case ArgBlocks:
		if !(oc.BlockSeconds > 0) || math.IsInf(oc.BlockSeconds, 0) {
			return nil, 0, fmt.Errorf("%s: a period in blocks needs the block time (dao.onchain.block_seconds): %w", s.Param, ErrInvalid)
		}
		return integer(86400 / oc.BlockSeconds)
	case ArgQuorumNumerator:
		if oc.QuorumDenominator < 1 {
			return nil, 0, fmt.Errorf("%s: a quorum numerator needs the quorum denominator (dao.onchain.quorum_denominator): %w", s.Param, ErrInvalid)
		}
		return integer(float64(oc.QuorumDenominator))
	case ArgBPS:
		return integer(10000)
	case ArgPct1e18:
		// 10^18 exceeds 2^53: go through the shortest decimal of v.
		n, err := decimalUnits(v, 18, mode)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", s.Param, err)
		}
		f, _ := new(big.Float).Quo(new(big.Float).SetInt(n), new(big.Float).SetFloat64(1e18)).Float64()
		return n, f, nil
	case ArgTokenUnits:
		if !(supply > 0) || math.IsInf(supply, 0) {
			return nil, 0, fmt.Errorf("%s: a token amount needs the total supply: %w", s.Param, ErrInvalid)
		}
		if oc.TokenDecimals < 0 || oc.TokenDecimals > 36 {
			return nil, 0, fmt.Errorf("%s: token decimals %d; want 0 to 36: %w", s.Param, oc.TokenDecimals, ErrInvalid)
		}
		// v × supply carries the float error of both (0.051 × 10^7 =
		// 509999.99999999994); 12 significant digits drop it.
		tokens := trimFloat(v * supply)
		n, err := decimalUnits(tokens, oc.TokenDecimals, mode)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", s.Param, err)
		}
		scale := new(big.Float).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(oc.TokenDecimals)), nil))
		t, _ := new(big.Float).Quo(new(big.Float).SetInt(n), scale).Float64()
		return n, t / supply, nil
	}
	return nil, 0, fmt.Errorf("%s: unknown argument unit %q: %w", s.Param, s.Unit, ErrInvalid)
}

// maxUint256 is the largest uint256.
var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// decimalUnits returns x × 10^decimals as an integer, from x's shortest
// decimal representation (so 4.7 gives 47 followed by 17 zeros, not the
// binary float's tail), rounded as mode says.
func decimalUnits(x float64, decimals int, mode Rounding) (*big.Int, error) {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var rest string
	if len(frac) > decimals {
		frac, rest = frac[:decimals], frac[decimals:]
	}
	frac += strings.Repeat("0", decimals-len(frac))
	n, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok {
		return nil, fmt.Errorf("cannot read %q as a decimal: %w", s, ErrInvalid)
	}
	if strings.Trim(rest, "0") != "" {
		up := mode == Up || (mode == Nearest && rest[0] >= '5')
		if up {
			n.Add(n, big.NewInt(1))
		}
	}
	if n.Cmp(maxUint256) > 0 {
		return nil, fmt.Errorf("%v × 10^%d does not fit a uint256: %w", x, decimals, ErrInvalid)
	}
	return n, nil
}

// Step returns the step a proposal rounds v to before it is quantized:
// whole hours for a period in days, two significant digits otherwise (of
// the token amount for a threshold in tokens, of the fraction for a
// percentage). 0 for v = 0.
func (s Setter) Step(v, supply float64) float64 {
	switch s.Unit {
	case ArgDuration, ArgBlocks, ArgSeconds:
		return 1.0 / 24
	case ArgTokenUnits:
		if supply > 0 {
			return SignificantStep(v*supply, 2) / supply
		}
	}
	return SignificantStep(v, 2)
}

// SignificantStep returns the step that keeps digits significant digits
// of x: 10^(floor(log10|x|) − digits + 1); 0 for x = 0 or a non-finite x.
func SignificantStep(x float64, digits int) float64 {
	x = math.Abs(x)
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Pow(10, math.Floor(math.Log10(x))-float64(digits)+1)
}

// RoundTo rounds x to a multiple of step as mode says (x itself for a
// step of 0), correcting the float error of the multiplication so that
// 0.015 on a step of 0.001 stays 0.015.
func RoundTo(x, step float64, mode Rounding) float64 {
	if !(step > 0) {
		return x
	}
	k := x / step
	if r := math.Round(k); math.Abs(k-r) < 1e-9 {
		k = r
	}
	// Trim the representation error of k × step (0.1 × 3 = 0.30000000000000004).
	return trimFloat(roundBy(k, mode) * step)
}

// trimFloat rounds x to 12 significant digits, dropping the error of a
// float product.
func trimFloat(x float64) float64 {
	if f, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64); err == nil {
		return f
	}
	return x
}

// Enactment is a parameter value as a proposal enacts it.
type Enactment struct {
	// Value is the enacted value in the model's unit.
	Value float64
	// Arg is the setter's argument (or the constant's new value); nil
	// when the family's contracts hold no such value.
	Arg *big.Int
	// Setter is how the family holds the parameter; HasSetter is false
	// when it holds none.
	Setter    Setter
	HasSetter bool
}

// Enact rounds v, a recommended value of param, to what a proposal can
// state and the governor enact: first to a step a reader recognises
// (Setter.Step: whole hours, two significant digits), then to the
// setter's integer argument. The result must stay within [lo, hi] (the
// range the search was allowed); when rounding to the nearest step
// leaves it, v is rounded towards current instead, and when that leaves
// it too, the enactment is current itself. A parameter without a setter
// (a reward, a differential the contracts do not hold) is rounded to two
// significant digits.
func (r Rules) Enact(param string, v, current, lo, hi float64, oc Onchain, supply float64) (Enactment, error) {
	s, ok := r.Setter(param)
	e := Enactment{Setter: s, HasSetter: ok}
	within := func(x float64) bool {
		tol := 1e-12 * max(math.Abs(lo), math.Abs(hi), 1)
		return x >= lo-tol && x <= hi+tol
	}
	toward := Down
	if v < current {
		toward = Up
	}
	step := SignificantStep(v, 2)
	if ok {
		step = s.Step(v, supply)
	}
	for _, mode := range []Rounding{Nearest, toward} {
		nice := RoundTo(v, step, mode)
		if !ok {
			if within(nice) {
				e.Value = nice
				return e, nil
			}
			continue
		}
		arg, val, err := s.Quantize(nice, oc, supply, mode)
		if err != nil {
			return e, err
		}
		if within(val) {
			e.Value, e.Arg = val, arg
			return e, nil
		}
	}
	e.Value = current
	if ok {
		arg, _, err := s.Quantize(current, oc, supply, Nearest)
		if err != nil {
			return e, err
		}
		e.Arg = arg
	}
	return e, nil
}
