package governor

import (
	"errors"
	"math"
	"testing"
)

func rules(t *testing.T, family string) Rules {
	t.Helper()
	r, err := Family(family)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Each family's setter turns a recommended value into the integer its
// contract takes, rounded first to a step a reader recognises.
func TestEnactPerFamily(t *testing.T) {
	const supply = 10_000_000
	for _, c := range []struct {
		family, param      string
		v, current, lo, hi float64
		onchain            Onchain
		fn, arg            string
		value              float64
	}{
		// Bravo: 3 days at 12 s per block.
		{"bravo", VotingPeriodDays, 3, 3.04, 2, 5, Onchain{}, "_setVotingPeriod", "21600", 3},
		// Bravo: a threshold of 0.151% of 10M COMP is 15,100 COMP; two
		// significant digits make it 15,000 COMP, in wei.
		{"bravo", ProposalThreshold, 0.00151, 0.0025, 0.00125, 0.005, Onchain{}, "_setProposalThreshold", "15000000000000000000000", 0.0015},
		// Bravo's quorum is a constant: the new constant's value in wei.
		{"bravo", Quorum, 0.0507, 0.04, 0.03, 0.06, Onchain{}, "", "510000000000000000000000", 0.051},
		// OpenZeppelin: numerator over 100, so 5.07% becomes 5%.
		{"oz", Quorum, 0.0507, 0.04, 0.03, 0.06, Onchain{}, "updateQuorumNumerator", "5", 0.05},
		// ... over 1,000 it keeps a tenth of a percent.
		{"oz", Quorum, 0.0507, 0.04, 0.03, 0.06, Onchain{QuorumDenominator: 1000}, "updateQuorumNumerator", "51", 0.051},
		// OpenZeppelin on a timestamp clock: seconds.
		{"oz", VotingPeriodDays, 5, 7, 3, 7, Onchain{Clock: Timestamp}, "setVotingPeriod", "432000", 5},
		// Aragon: 10^18 = 100%, vote time in seconds.
		{"aragon", Quorum, 0.0538, 0.05, 0.04, 0.0625, Onchain{}, "changeMinAcceptQuorumPct", "54000000000000000", 0.054},
		{"aragon", SupportRequired, 0.538, 0.5, 0.5, 0.55, Onchain{}, "changeSupportRequiredPct", "540000000000000000", 0.54},
		{"aragon", VotingPeriodDays, 4, 3, 2, 5, Onchain{}, "unsafelyChangeVoteTime", "345600", 4},
		// Nouns: basis points.
		{"nouns", Quorum, 0.1234, 0.1, 0.05, 0.2, Onchain{}, "_setMinQuorumVotesBPS", "1200", 0.12},
		{"nouns", ProposalThreshold, 0.00253, 0.0025, 0.001, 0.01, Onchain{}, "_setProposalThresholdBPS", "25", 0.0025},
		// Arbitrum: numerator over 10,000.
		{"arbitrum", Quorum, 0.0317, 0.03, 0.02, 0.04, Onchain{}, "updateQuorumNumerator", "320", 0.032},
		// Aave: immutable basis points of a new executor.
		{"aave-v2", Quorum, 0.0167, 0.02, 0.015, 0.025, Onchain{}, "", "170", 0.017},
	} {
		r := rules(t, c.family)
		oc := c.onchain.Merge(DefaultOnchain(c.family))
		e, err := r.Enact(c.param, c.v, c.current, c.lo, c.hi, oc, supply)
		if err != nil {
			t.Errorf("%s %s: %v", c.family, c.param, err)
			continue
		}
		if !e.HasSetter || e.Setter.Function != c.fn {
			t.Errorf("%s %s: setter %+v, want function %q", c.family, c.param, e.Setter, c.fn)
		}
		if e.Arg == nil || e.Arg.String() != c.arg {
			t.Errorf("%s %s: argument %v, want %s", c.family, c.param, e.Arg, c.arg)
		}
		if math.Abs(e.Value-c.value) > 1e-12 {
			t.Errorf("%s %s: enacted %v, want %v", c.family, c.param, e.Value, c.value)
		}
	}
}

// A period in blocks at a block time that does not divide a day is the
// nearest whole block; the value enacted is what those blocks last.
func TestEnactBlocksAtAnOddBlockTime(t *testing.T) {
	e, err := rules(t, "bravo").Enact(VotingPeriodDays, 3, 2, 2, 5, Onchain{BlockSeconds: 13.31}.Merge(DefaultOnchain("bravo")), 1)
	if err != nil {
		t.Fatal(err)
	}
	if e.Arg.String() != "19474" || math.Abs(e.Value-19474*13.31/86400) > 1e-12 {
		t.Errorf("3 days at 13.31 s: %v blocks, %v days; want 19474 blocks", e.Arg, e.Value)
	}
}

// Rounding never leaves the range the search was allowed: when the
// nearest step lies outside it, the value rounds towards the one in force,
// and when no step fits, the value in force stays.
func TestEnactStaysWithinGuardrails(t *testing.T) {
	oz := rules(t, "oz")
	oc := DefaultOnchain("oz")
	// 4.9% rounds to 5%, above the cap of 4.95%: towards 4% it is 4%...
	// which is below the floor 4.6%: nothing fits, so 4% stays.
	e, err := oz.Enact(Quorum, 0.049, 0.04, 0.046, 0.0495, oc, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e.Value != 0.04 || e.Arg.String() != "4" {
		t.Errorf("enacted %v (%v); want the value in force 0.04 (4)", e.Value, e.Arg)
	}
	// A reward has no setter: two significant digits, 4.74 -> 4.7, and
	// 4.76 with a cap of 4.75 rounds down to 4.7.
	for _, c := range []struct{ v, hi, want float64 }{{4.74, 10, 4.7}, {4.76, 4.75, 4.7}} {
		e, err := oz.Enact(ParticipationReward, c.v, 0, 0, c.hi, oc, 1)
		if err != nil {
			t.Fatal(err)
		}
		if e.HasSetter || e.Value != c.want {
			t.Errorf("reward %v (cap %v): %+v; want %v without a setter", c.v, c.hi, e, c.want)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	s, _ := rules(t, "bravo").Setter(ProposalThreshold)
	for name, f := range map[string]func() error{
		"negative":  func() error { _, _, err := s.Quantize(-1, DefaultOnchain("bravo"), 1, Nearest); return err },
		"NaN":       func() error { _, _, err := s.Quantize(math.NaN(), DefaultOnchain("bravo"), 1, Nearest); return err },
		"no supply": func() error { _, _, err := s.Quantize(0.01, DefaultOnchain("bravo"), 0, Nearest); return err },
		"no block": func() error {
			p, _ := rules(t, "bravo").Setter(VotingPeriodDays)
			_, _, err := p.Quantize(3, Onchain{}, 1, Nearest)
			return err
		},
		"too large": func() error {
			p, _ := rules(t, "nouns").Setter(Quorum)
			_, _, err := p.Quantize(1e300, Onchain{}, 1, Nearest)
			return err
		},
		"over uint256": func() error { _, _, err := s.Quantize(1e60, Onchain{TokenDecimals: 36}, 1e30, Nearest); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", name, err)
		}
	}
}

// 4.7 tokens of 18 decimals is exactly 47 × 10^17 units, not the binary
// float's 4.70000000000000017763568394002504646778106689453125 × 10^18.
func TestDecimalUnitsIsExact(t *testing.T) {
	n, err := decimalUnits(4.7, 18, Nearest)
	if err != nil || n.String() != "4700000000000000000" {
		t.Errorf("4.7 tokens = %v (%v)", n, err)
	}
	n, _ = decimalUnits(0.0000015, 6, Nearest)
	if n.String() != "2" {
		t.Errorf("0.0000015 at 6 decimals rounds to %v, want 2", n)
	}
	n, _ = decimalUnits(0.0000015, 6, Down)
	if n.String() != "1" {
		t.Errorf("0.0000015 at 6 decimals rounded down is %v, want 1", n)
	}
}

func TestSignatureAndMissingSetters(t *testing.T) {
	s, ok := rules(t, "aragon").Setter(VotingPeriodDays)
	if !ok || s.Signature() != "unsafelyChangeVoteTime(uint64)" {
		t.Errorf("aragon period setter %+v", s)
	}
	if _, ok := rules(t, "oz").Setter(ParticipationReward); ok {
		t.Error("a participation reward has a setter")
	}
	if s, _ := rules(t, "bravo").Setter(Quorum); s.Signature() != "" || s.Constant != "quorumVotes" {
		t.Errorf("bravo quorum %+v; want the constant quorumVotes", s)
	}
	// Every family a vote can change a parameter of has a setter for it.
	for _, fam := range Families() {
		r := rules(t, fam)
		for p, c := range r.Changes {
			if s, ok := r.Setter(p); c == Vote && (!ok || s.Function == "") {
				t.Errorf("%s: %s changes by vote but has no setter", fam, p)
			}
		}
	}
}
