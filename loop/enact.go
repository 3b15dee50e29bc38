package loop

import (
	"fmt"
	"math"
	"strings"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
)

// supply is the token supply fractions of supply refer to.
func (e *Env) supply() float64 { return e.Observation.Metrics[metrics.TotalSupply] }

// enact rounds every parameter cand moves to what the governor can enact
// and a proposal can state (governor.Rules.Enact), within the searched
// range. It returns the rounded candidate, the unrounded value of each
// parameter rounding moved, and each moved parameter's enactment.
func (e *Env) enact(cand simulator.Params) (simulator.Params, map[string]float64, map[string]governor.Enactment, error) {
	out := cand.Clone()
	unrounded := map[string]float64{}
	ens := map[string]governor.Enactment{}
	for _, sp := range e.Space {
		v, cur := cand[sp.Name], e.Current[sp.Name]
		if v == cur {
			continue
		}
		en, err := e.Rules.Enact(sp.Name, v, cur, sp.Low, sp.High, e.Onchain, e.supply())
		if err != nil {
			return nil, nil, nil, fmt.Errorf("round %s to an enactable value: %w", sp.Name, err)
		}
		ens[sp.Name] = en
		if en.Value != v {
			unrounded[sp.Name] = v
			out[sp.Name] = en.Value
		}
	}
	return out, unrounded, ens, nil
}

// onchainCall says how a vote enacts p, or what it needs instead.
func (e *Env) onchainCall(p oracle.ParamChange, en governor.Enactment, rec *oracle.Recommendation) oracle.OnchainCall {
	oc := e.Onchain
	call := oracle.OnchainCall{Param: p.Name, Contract: oc.Contract, Address: oc.Address}
	m := rec.Method
	value := oracle.FormatValue(p.Recommended, p.Unit, p.Integer)
	if strings.HasPrefix(p.Unit, "fraction of") && m.Supply > 0 {
		value = fmt.Sprintf("%s of supply (%s %s)", sigPct(p.Recommended), groupInt(p.Recommended*m.Supply), symbol(m))
	}
	if en.HasSetter && en.Arg != nil {
		call.Meaning = e.argMeaning(p, en, value)
		e.argUnit(&call, en)
	} else {
		call.Meaning = value
	}
	s := en.Setter
	switch {
	case en.HasSetter && s.Function != "" && p.Enactment == "vote":
		call.Function, call.Arg = s.Signature(), en.Arg.String()
	case p.Name == governor.ParticipationReward:
		call.Needs = "the governor holds no reward: paying it needs a separate programme with its own funding source"
		if spend, ok := recommendedMean(rec, "reward_spend_per_month"); ok {
			call.Needs += fmt.Sprintf(", costing about %s %s a month at the simulated turnout", groupInt(spend), symbol(m))
			if usd, ok := recommendedMean(rec, "reward_spend_usd_per_month"); ok && usd > 0 {
				call.Needs += fmt.Sprintf(" (about %s USD)", groupInt(usd))
			}
		}
	case en.HasSetter && s.Constant != "" && e.Rules.Family == "aave-v2":
		call.Constant, call.Arg = s.Constant, en.Arg.String()
		call.Needs = fmt.Sprintf("%s is immutable in the executor: enacting %s = %s needs a new executor deployed with it and authorised through AaveGovernanceV2's authorizeExecutors, by a vote on the long track", s.Constant, s.Constant, en.Arg)
	case en.HasSetter && s.Constant != "":
		call.Constant, call.Arg = s.Constant, en.Arg.String()
		call.Needs = fmt.Sprintf("%s is a constant of the %s contract: enacting %s = %s needs a new implementation (a contract upgrade approved by governance), not a parameter call", s.Constant, oc.Contract, s.Constant, en.Arg)
	default:
		call.Needs = "the governor's contracts hold no such parameter: enacting it needs a contract upgrade approved by governance"
	}
	return call
}

// argMeaning says what a setter's argument is in plain units.
func (e *Env) argMeaning(p oracle.ParamChange, en governor.Enactment, value string) string {
	oc := e.Onchain
	switch unit := en.Setter.Unit; {
	case unit == governor.ArgBlocks || (unit == governor.ArgDuration && oc.Clock != governor.Timestamp):
		return fmt.Sprintf("%s blocks, %s at %s s per block", groupInt(float64(en.Arg.Int64())), oracle.FormatValue(p.Recommended, "days", false), trimNum(oc.BlockSeconds))
	case unit == governor.ArgSeconds || unit == governor.ArgDuration:
		return fmt.Sprintf("%s seconds, %s", groupInt(float64(en.Arg.Int64())), oracle.FormatValue(p.Recommended, "days", false))
	case unit == governor.ArgTokenUnits:
		return fmt.Sprintf("%s, in units of 10^-%d token", value, oc.TokenDecimals)
	case unit == governor.ArgQuorumNumerator:
		return fmt.Sprintf("%s of supply, %s of %d", sigPct(p.Recommended), en.Arg, oc.QuorumDenominator)
	case unit == governor.ArgPct1e18:
		return fmt.Sprintf("%s, where 10^18 is 100%%", sigPct(p.Recommended))
	case unit == governor.ArgBPS:
		return fmt.Sprintf("%s, in basis points (10,000 is 100%%)", sigPct(p.Recommended))
	}
	return value
}

// argUnit records in call what a setter's argument counts and the
// conversion it needs, for a proposal that says the meaning in another
// language than argMeaning's English.
func (e *Env) argUnit(call *oracle.OnchainCall, en governor.Enactment) {
	oc := e.Onchain
	switch unit := en.Setter.Unit; {
	case unit == governor.ArgBlocks || (unit == governor.ArgDuration && oc.Clock != governor.Timestamp):
		call.ArgUnit, call.BlockSeconds = string(governor.ArgBlocks), oc.BlockSeconds
	case unit == governor.ArgSeconds || unit == governor.ArgDuration:
		call.ArgUnit = string(governor.ArgSeconds)
	case unit == governor.ArgTokenUnits:
		call.ArgUnit, call.TokenDecimals = string(unit), oc.TokenDecimals
	case unit == governor.ArgQuorumNumerator:
		call.ArgUnit, call.QuorumDenominator = string(unit), oc.QuorumDenominator
	case unit == governor.ArgPct1e18, unit == governor.ArgBPS:
		call.ArgUnit = string(unit)
	}
}

// recommendedMean is the recommended mean of the named outcome.
func recommendedMean(rec *oracle.Recommendation, name string) (float64, bool) {
	for _, list := range [][]oracle.Effect{rec.Effects, rec.Outcomes} {
		for _, ef := range list {
			if ef.Name == name {
				return ef.Recommended.Mean, true
			}
		}
	}
	return 0, false
}

func symbol(m oracle.Method) string {
	if m.TokenSymbol != "" {
		return m.TokenSymbol
	}
	return "tokens"
}

// sigPct writes a fraction as a percentage with up to three significant
// digits.
func sigPct(v float64) string { return trimNum(roundSig(v*100, 3)) + "%" }

func roundSig(x float64, n int) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, float64(n)-1-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// trimNum writes x without trailing zeros.
func trimNum(x float64) string { return oracle.FormatValue(x, "", false) }

// groupInt writes x rounded to a whole number with thousands separators.
func groupInt(x float64) string { return oracle.FormatValue(math.Round(x), "", true) }
