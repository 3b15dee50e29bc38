package oracle

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// plainNames are the words a forum reader knows for attune's parameters
// and outcomes. A name not listed is written with spaces for underscores.
var plainNames = map[string]string{
	"quorum":               "quorum",
	"proposal_threshold":   "proposal threshold",
	"voting_period_days":   "voting period",
	"vote_differential":    "vote differential",
	"support_required":     "support required",
	"participation_reward": "participation reward",

	"decision_quality":           "decision quality",
	"turnout":                    "turnout",
	"turnout_count":              "share of holders voting",
	"attack_success_rate":        "attack success rate",
	"pass_rate":                  "pass rate",
	"capture_cost_share":         "cost to capture a vote",
	"capture_cost":               "cost to capture a vote in tokens",
	"time_to_decision_days":      "time to decision",
	"reward_spend_usd_per_month": "reward spending in USD",
	"reward_spend_per_month":     "reward spending",
	"nakamoto":                   "Nakamoto coefficient",
	"gini_cast":                  "concentration of votes cast",
	"quorum_failure_rate":        "quorum failures",
	"good_blocked_rate":          "good proposals blocked",
	"proposals_per_month":        "proposals per month",
	"turnout_p10":                "turnout, 10th percentile",
	"turnout_p50":                "median turnout",
	"turnout_p90":                "turnout, 90th percentile",
	"top_voter_regularity":       "regularity of the ten largest voters",
	"for_share":                  "For share of passed votes",
	"abstain_share":              "Abstain share",
	"holdings_gini":              "concentration of holdings",
	"holdings_top10_share":       "share held by the ten largest holders",
}

// plainName is name in words.
func plainName(name string) string {
	if p, ok := plainNames[name]; ok {
		return p
	}
	return strings.ReplaceAll(oneLine(name), "_", " ")
}

// known reports whether name has a plain name of its own (and so reads
// well after "the").
func known(name string) bool {
	_, ok := plainNames[name]
	return ok
}

// theName is the plain name with "the" before a known one: "the voting
// period", but "a" for an unknown name "a".
func theName(name string) string {
	if known(name) {
		return "the " + plainName(name)
	}
	return plainName(name)
}

// capital upper-cases the first letter of s.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sig writes x with n significant digits, without an exponent, trailing
// zeros trimmed and thousands grouped.
func sig(x float64, n int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return formatSpecial(x)
	}
	if x == 0 {
		return "0"
	}
	dec := n - 1 - int(math.Floor(math.Log10(math.Abs(x))))
	if dec < 0 {
		p := math.Pow(10, float64(-dec))
		x = math.Round(x/p) * p
		dec = 0
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	s = groupThousands(s)
	if x < 0 && !isZeroDigits(s) {
		s = "-" + s
	}
	return s
}

// percent writes a fraction as a percentage with up to three significant
// digits: 0.04 is "4%", 0.0025 is "0.25%".
func percent(v float64) string { return sig(v*100, 3) + "%" }

// isFractionOfSupply reports whether unit is a fraction of a supply.
func isFractionOfSupply(unit string) bool { return strings.HasPrefix(unit, "fraction of") }

// isShare reports whether unit is a share of something (a percentage).
func isShare(unit string) bool { return unit == "share" || strings.HasPrefix(unit, "share of") }

// symbolOr is the token's symbol, or "tokens" when it is unknown.
func (m Method) symbolOr() string {
	if s := oneLine(m.TokenSymbol); s != "" {
		return s
	}
	return "tokens"
}

// tokens writes an amount of tokens with its symbol: "15,000 COMP".
func (m Method) tokens(x float64) string {
	var n string
	if math.Abs(x) >= 100 {
		n = groupThousands(strconv.FormatFloat(math.Round(math.Abs(x)), 'f', 0, 64))
		if x < 0 {
			n = "-" + n
		}
	} else {
		n = sig(x, 3)
	}
	return n + " " + m.symbolOr()
}

// plainValue writes a parameter value for the post's table: "0.25%
// (25,000 COMP)", "3 days", "50%", "4.7 COMP per vote".
func (m Method) plainValue(v float64, unit string, integer bool) string {
	switch {
	case isFractionOfSupply(unit):
		out := percent(v)
		if unit != "fraction of supply" {
			out += " of " + strings.TrimPrefix(unit, "fraction of ")
		}
		if m.Supply > 0 && v != 0 && unit == "fraction of supply" {
			out += " (" + m.tokens(v*m.Supply) + ")"
		}
		return out
	case isShare(unit):
		return percent(v)
	case unit == "days":
		if integer {
			v = math.Round(v)
		}
		if v == 1 {
			return "1 day"
		}
		return sig(v, 3) + " days"
	case unit == "tokens per vote":
		return sig(v, 3) + " " + m.symbolOr() + " per vote"
	case unit == "tokens":
		return m.tokens(v)
	}
	return FormatValue(v, unit, integer)
}

// deltaUnit returns the scale and the words of a difference in unit:
// points of supply for a fraction of supply, percentage points for a
// share.
func (m Method) deltaUnit(unit string) (scale float64, words string) {
	switch {
	case isFractionOfSupply(unit):
		return 100, "points of " + strings.TrimPrefix(unit, "fraction of ")
	case isShare(unit):
		return 100, "percentage points"
	case unit == "tokens" || unit == "tokens per month":
		return 1, strings.Replace(unit, "tokens", m.symbolOr(), 1)
	case unit == "USD per month":
		return 1, "USD a month"
	}
	return 1, unit
}

// rangeDigits writes lo and hi with the same decimals, two significant
// digits of the larger.
func rangeDigits(lo, hi float64) (string, string) {
	big := max(math.Abs(lo), math.Abs(hi))
	dec := 0
	if big > 0 {
		dec = max(0, 1-int(math.Floor(math.Log10(big))))
	}
	f := func(x float64) string {
		s := strconv.FormatFloat(x, 'f', dec, 64)
		if isZeroDigits(s) {
			return "0"
		}
		return groupThousands(s)
	}
	return f(lo), f(hi)
}

// changePhrase says in words how an effect's difference moves: "rise by
// about 0.4 to 0.9 points of supply", "fall by about 2 percentage
// points"; ok is false when its interval spans zero.
func (m Method) changePhrase(e Effect) (string, bool) {
	lo, hi := e.Difference.CI.Lo, e.Difference.CI.Hi
	verb := "rise"
	switch {
	case lo > 0:
	case hi < 0:
		verb, lo, hi = "fall", -hi, -lo
	default:
		return "", false
	}
	scale, words := m.deltaUnit(e.Unit)
	a, b := rangeDigits(lo*scale, hi*scale)
	amount := a + " to " + b
	if a == b {
		amount = a
	}
	if words != "" {
		amount += " " + words
	}
	return fmt.Sprintf("%s by about %s", verb, amount), true
}

// observedValue writes an observed calibration value in words: rates as
// percentages, turnout as a percentage of supply.
func observedValue(r FitRow) string {
	switch {
	case strings.HasPrefix(r.Metric, "turnout"):
		return percent(r.Observed) + " of supply"
	case r.Absolute || strings.HasSuffix(r.Metric, "_rate") || strings.HasSuffix(r.Metric, "_share"):
		return percent(r.Observed)
	}
	return sig(r.Observed, 3)
}
