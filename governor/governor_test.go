package governor

import (
	"errors"
	"strings"
	"testing"
)

func TestDecideByFamily(t *testing.T) {
	const supply = 1000.0
	cases := []struct {
		family                string
		name                  string
		forV, against, abst   float64
		quorum, diff, support float64
		reached, passed       bool
	}{
		// OpenZeppelin: For + Abstain count, For > Against.
		{"oz", "abstain counts toward quorum", 30, 10, 20, 0.05, 0, 0, true, true},
		{"oz", "against does not count toward quorum", 30, 40, 0, 0.05, 0, 0, false, false},
		{"oz", "tie fails", 60, 60, 0, 0.05, 0, 0, true, false},
		{"oz", "for beats against", 61, 60, 0, 0.05, 0, 0, true, true},
		{"oz", "differential unmet", 65, 60, 0, 0.05, 0.01, 0, true, false},
		{"oz", "differential met at equality", 70, 60, 0, 0.05, 0.01, 0, true, true},
		{"oz", "no votes never reach a zero quorum", 0, 0, 0, 0, 0, 0, false, false},
		// Bravo: For alone counts toward quorum.
		{"bravo", "abstain does not count", 30, 10, 20, 0.05, 0, 0, false, false},
		{"bravo", "for alone reaches", 50, 10, 0, 0.05, 0, 0, true, true},
		// Aave v2: For only, strict differential.
		{"aave-v2", "differential at equality fails", 70, 60, 0, 0.05, 0.01, 0, true, false},
		{"aave-v2", "differential exceeded passes", 71, 60, 0, 0.05, 0.01, 0, true, true},
		// Aragon: support required of For + Against.
		{"aragon", "60% support below 2/3 fails", 60, 40, 0, 0.05, 0, 2.0 / 3, true, false},
		{"aragon", "70% support above 2/3 passes", 70, 30, 0, 0.05, 0, 2.0 / 3, true, true},
	}
	for _, c := range cases {
		r, err := Family(c.family)
		if err != nil {
			t.Fatal(err)
		}
		d := r.Decide(Tally{For: c.forV, Against: c.against, Abstain: c.abst},
			Settings{Quorum: c.quorum, VoteDifferential: c.diff, SupportRequired: c.support, Base: supply})
		if d.QuorumReached != c.reached || d.Passed != c.passed {
			t.Errorf("%s: %s: got reached=%v passed=%v, want %v %v", c.family, c.name, d.QuorumReached, d.Passed, c.reached, c.passed)
		}
	}
}

func TestDynamicQuorumRisesWithAgainst(t *testing.T) {
	r, _ := Family("nouns")
	r.QuorumCoefficient, r.QuorumMax = 1, 0.15
	s := Settings{Quorum: 0.1, Base: 1000}
	// 100 For meets a 10% quorum with no Against...
	if d := r.Decide(Tally{For: 100}, s); !d.QuorumReached || d.QuorumVotes != 100 {
		t.Errorf("no against: %+v", d)
	}
	// ...but 30 Against (3% of supply) lifts the quorum to 13%.
	if d := r.Decide(Tally{For: 120, Against: 30}, s); d.QuorumReached || d.QuorumVotes != 130 {
		t.Errorf("30 against: %+v", d)
	}
	// The rise stops at the cap.
	if d := r.Decide(Tally{For: 140, Against: 100}, s); d.QuorumVotes != 150 {
		t.Errorf("capped: %+v", d)
	}
}

func TestFamiliesAreValidAndIndependent(t *testing.T) {
	for _, name := range Families() {
		r, err := Family(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(); err != nil && name != "nouns" {
			t.Errorf("%s: %v", name, err)
		}
		if r.Family != name {
			t.Errorf("%s: Family field %q", name, r.Family)
		}
		r.Changes[Quorum] = "broken"
	}
	// Changing a returned copy must not change the registry.
	r, _ := Family("oz")
	if r.Changes[Quorum] != Vote {
		t.Errorf("Family returned a shared map")
	}
	if c, ok := r.Changeable(ParticipationReward); !ok || c != Upgrade {
		t.Errorf("oz reward: %v %v", c, ok)
	}
	b, _ := Family("bravo")
	if c, _ := b.Changeable(Quorum); c != Upgrade {
		t.Errorf("bravo's quorum is a constant: got %v", c)
	}
	a, _ := Family("aragon")
	if _, ok := a.Changeable(ProposalThreshold); ok {
		t.Errorf("aragon has no proposal threshold to change")
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	_, err := Family("compound")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bravo") {
		t.Errorf("unknown family: %v", err)
	}
	r := Rules{QuorumCounts: "some", QuorumBase: Dynamic, VotingDelayDays: -1, Changes: map[string]Change{Quorum: "maybe"}}
	err = r.Validate()
	for _, want := range []string{"quorum_counts", "quorum_max", "voting_delay_days", "changes.quorum"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to name %s", err, want)
		}
	}
}
