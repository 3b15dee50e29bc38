package history

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidateSample(t *testing.T) {
	for _, h := range []*History{sample(t), minimal(t)} {
		if err := h.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v; want nil", h.DAO, err)
		}
	}
}

// TestValidateRules breaks one rule at a time and checks that exactly that
// problem is reported, saying what is wrong and what is allowed. A case
// with want "" must stay valid (a decision on an edge).
func TestValidateRules(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name   string
		break_ func(h *History)
		want   string
	}{
		// The history as a whole.
		{"dao empty", func(h *History) { h.DAO = "  " }, `dao is empty; want the DAO's name`},
		{"dao too long", func(h *History) { h.DAO = strings.Repeat("D", 5000) }, `dao is 5000 characters long, starting "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD..."; want at most 200`},
		{"id too long", func(h *History) { h.Proposals[2].ID = strings.Repeat("9", 300) }, `proposals[2] (id "9999999999999999999999999999999999999..."): id is 300 characters long`},
		{"title long but allowed", func(h *History) { h.Proposals[2].Title = strings.Repeat("t", 1500) }, ``},
		{"symbol empty", func(h *History) { h.Token.Symbol = "" }, `token.symbol is empty; want the governance token's symbol`},
		{"price negative", func(h *History) { h.Token.Price = -1 }, `token.price_usd is -1; want the token's price in USD (0 if unknown), a finite number, 0 or more`},
		{"price NaN", func(h *History) { h.Token.Price = nan }, `token.price_usd is NaN; want`},
		{"price zero is unknown", func(h *History) { h.Token.Price = 0 }, ``},
		{"no proposals", func(h *History) { h.Proposals, h.Votes = nil, nil }, `proposals is empty; want at least one proposal`},

		// Proposals.
		{"id empty", func(h *History) { h.Proposals[2].ID = "" }, `proposals[2]: id is empty; want the proposal's id`},
		{"id repeated", func(h *History) { h.Proposals[2].ID = "1" }, `proposals[2] (id "1"): id "1" is also the id of proposals[0]; want each id once`},
		{"created zero", func(h *History) { h.Proposals[2].Created = time.Time{} }, `proposals[2] (id "3"): created is missing or zero; want an RFC 3339 time`},
		{"start before created", func(h *History) { h.Proposals[2].Start = at(t, "2021-02-28") },
			`proposals[2] (id "3"): start 2021-02-28T00:00:00Z is before created 2021-03-01T00:00:00Z; want created <= start < end`},
		{"start equals created", func(h *History) { h.Proposals[2].Start = h.Proposals[2].Created }, ``},
		{"end before start", func(h *History) { h.Proposals[2].End = at(t, "2021-03-01T12:00:00Z") },
			`proposals[2] (id "3"): end 2021-03-01T12:00:00Z is before start 2021-03-02T00:00:00Z; want created <= start < end`},
		{"end equals start", func(h *History) { h.Proposals[2].End = h.Proposals[2].Start },
			`proposals[2] (id "3"): end 2021-03-02T00:00:00Z equals start; want created <= start < end`},
		{"for negative", func(h *History) { h.Proposals[2].For = -5 }, `proposals[2] (id "3"): for is -5; want the voting power cast for, in tokens, a finite number, 0 or more`},
		{"against NaN", func(h *History) { h.Proposals[2].Against = nan }, `proposals[2] (id "3"): against is NaN; want`},
		{"abstain infinite", func(h *History) { h.Proposals[2].Abstain = inf }, `proposals[2] (id "3"): abstain is +Inf; want`},
		{"voters negative", func(h *History) { h.Proposals[2].Voters = -1 }, `proposals[2] (id "3"): voters is -1; want the number of addresses that voted, 0 or more`},
		{"state unknown", func(h *History) { h.Proposals[2].State = "passed" },
			`proposals[2] (id "3"): state is "passed"; want one of pending, active, canceled, defeated, succeeded, queued, expired, executed`},
		{"state empty", func(h *History) { h.Proposals[2].State = "" }, `proposals[2] (id "3"): state is ""; want one of`},

		// Votes.
		{"vote on unknown proposal", func(h *History) { h.Votes[6].Proposal = "9"; h.Proposals[1].Abstain = 0; h.Proposals[1].Voters = 3 },
			`votes[6] (proposal "9", voter "0xEe"): proposal "9" is not the id of any proposal; want one of the ids in proposals`},
		{"vote without proposal", func(h *History) { h.Votes[6].Proposal = ""; h.Proposals[1].Abstain = 0; h.Proposals[1].Voters = 3 },
			`votes[6] (proposal "", voter "0xEe"): proposal is empty; want the id of a proposal`},
		{"voter empty", func(h *History) { h.Votes[6].Voter = "" }, `votes[6] (proposal "2", voter ""): voter is empty; want the voter's address`},
		{"support unknown", func(h *History) { h.Votes[6].Support = "yes" }, `votes[6] (proposal "2", voter "0xEe"): support is "yes"; want for, against or abstain`},
		{"weight negative", func(h *History) { h.Votes[6].Weight = -10 }, `votes[6] (proposal "2", voter "0xEe"): weight is -10; want the voting power cast, in tokens, a finite number, 0 or more`},
		{"weight NaN", func(h *History) { h.Votes[6].Weight = nan }, `votes[6] (proposal "2", voter "0xEe"): weight is NaN; want`},
		{"two votes by one voter, case aside", func(h *History) { h.Votes[6].Voter = "0XDD" },
			`votes[6] (proposal "2", voter "0XDD"): voter "0XDD" already voted on proposal "2" in votes[5]; want at most one vote per voter and proposal`},
		{"names that are not 0x addresses keep their case", func(h *History) {
			h.Votes[5].Voter, h.Votes[6].Voter = "alice.eth", "Alice.eth"
		}, ``},

		// Votes against tallies.
		{"votes weigh less than the tally", func(h *History) { h.Proposals[0].For = 302 },
			`proposals[0] (id "1"): for is 302 but the for votes on it in votes weigh 300; want them to agree within 0.1% + 1 token`},
		{"votes weigh more than the tally", func(h *History) { h.Proposals[1].Against = 240 },
			`proposals[1] (id "2"): against is 240 but the against votes on it in votes weigh 250.5`},
		{"within the slack", func(h *History) { h.Proposals[0].For = 301 }, ``},
		{"within the tolerance", func(h *History) {
			h.Proposals[2].For, h.Proposals[2].Voters = 1e6, 1
			h.Votes = append(h.Votes, Vote{Proposal: "3", Voter: "0xAa", Support: For, Weight: 1e6 - 1000})
		}, ``},
		{"beyond the tolerance", func(h *History) {
			h.Proposals[2].For, h.Proposals[2].Voters = 1e6, 1
			h.Votes = append(h.Votes, Vote{Proposal: "3", Voter: "0xAa", Support: For, Weight: 1e6 - 1002})
		}, `proposals[2] (id "3"): for is 1e+06 but the for votes on it in votes weigh 998998`},
		{"voter count", func(h *History) { h.Proposals[0].Voters = 4 }, `proposals[0] (id "1"): voters is 4 but votes holds 3 votes on it; want them equal`},
		{"no votes: no check", func(h *History) { h.Proposals[2].Voters = 999 }, ``},

		// Supply.
		{"no supply", func(h *History) { h.Supply = nil }, `supply is empty; want at least one point of the token supply`},
		{"supply time zero", func(h *History) { h.Supply[0].Time = time.Time{} }, `supply[0]: time is missing or zero`},
		{"supply out of order", func(h *History) { h.Supply[1].Time = h.Supply[0].Time },
			`supply[1]: time 2021-01-01T00:00:00Z is not after that of supply[0], 2021-01-01T00:00:00Z; want points in increasing time order`},
		{"total zero", func(h *History) { h.Supply[1].Total = 0 }, `supply[1]: total is 0; want the token supply in whole tokens (not wei), a finite number above 0 and at most 1e+21`},
		{"total in wei", func(h *History) { h.Supply[1].Total = 1.2e22 }, `supply[1]: total is 1.2e+22; want the token supply in whole tokens (not wei)`},
		{"total infinite", func(h *History) { h.Supply[1].Total = inf }, `supply[1]: total is +Inf; want`},
		{"votable negative", func(h *History) { h.Supply[0].Votable = -1 }, `supply[0]: votable is -1; want the supply that can vote, in tokens, from 0 to total (0 if unknown)`},
		{"votable above total", func(h *History) { h.Supply[0].Votable = 10001 }, `supply[0]: votable is 10001, more than the total 10000; want the supply that can vote, from 0 to total`},
		{"votable equals total", func(h *History) { h.Supply[0].Votable = 10000 }, ``},

		// Parameters.
		{"param time zero", func(h *History) { h.Params[0].Time = time.Time{} }, `params[0] (name "quorum"): time is missing or zero`},
		{"params out of order", func(h *History) { h.Params[2].Time = at(t, "2020-12-31") },
			`params[2] (name "quorum"): time 2020-12-31T00:00:00Z is before that of params[1], 2021-01-01T00:00:00Z; want changes in time order`},
		{"params at the same time", func(h *History) { h.Params[3].Time = h.Params[2].Time }, ``},
		{"param name empty", func(h *History) { h.Params[3].Name = "" }, `params[3]: name is empty; want a parameter name such as quorum`},
		{"param value negative", func(h *History) { h.Params[3].Value = -0.1 }, `params[3] (name "quorum"): value is -0.1; want the parameter's value in its unit, a finite number, 0 or more`},

		// Holders.
		{"holders time zero", func(h *History) { h.Holders.Time = time.Time{} }, `holders: time is missing or zero`},
		{"holders count", func(h *History) { h.Holders.Count = 0 }, `holders: count is 0; want the number of token holders, 1 or more`},
		{"gini one", func(h *History) { h.Holders.Gini = 1 }, `holders: gini is 1; want the Gini coefficient of holdings, in [0, 1)`},
		{"gini zero", func(h *History) { h.Holders.Gini = 0 }, ``},
		{"top10 share above one", func(h *History) { h.Holders.Top10Share = 1.5 }, `holders: top10_share is 1.5; want the share of supply held by the ten largest holders, a number in [0, 1]`},
		{"delegated share negative", func(h *History) { h.Holders.DelegatedShare = -0.1 }, `holders: delegated_share is -0.1; want the share of supply delegated, a number in [0, 1]`},
		{"delegates negative", func(h *History) { h.Holders.Delegates = -1 }, `holders: delegates is -1; want the number of delegates, 0 or more`},
		{"no holders", func(h *History) { h.Holders = nil }, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := sample(t)
			h.Source = "s.json"
			c.break_(h)
			err := h.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v; want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v; want a *ValidationError wrapping ErrInvalid", err)
			}
			if len(ve.Problems) != 1 {
				t.Errorf("%d problems; want 1:\n%v", len(ve.Problems), err)
			}
			if want := "history s.json: " + c.want; !strings.Contains(err.Error(), want) {
				t.Errorf("error\n %s\nwant it to contain\n %s", err, want)
			}
		})
	}
}

// TestValidateReportsAll: every problem is reported at once.
func TestValidateReportsAll(t *testing.T) {
	h := sample(t)
	h.DAO = ""
	h.Proposals[1].End = at(t, "2021-02-01")
	h.Votes[0].Support = "maybe"
	h.Supply[1].Votable = 1e9
	h.Params[1].Name = ""
	h.Holders.Gini = 2
	err := h.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v; want a *ValidationError", err)
	}
	want := []string{
		"dao is empty; want the DAO's name",
		`proposals[1] (id "2"): end 2021-02-01T00:00:00Z is before start 2021-02-03T00:00:00Z; want created <= start < end`,
		`votes[0] (proposal "1", voter "0xAa"): support is "maybe"; want for, against or abstain`,
		"supply[1]: votable is 1e+09, more than the total 12000; want the supply that can vote, from 0 to total",
		"params[1]: name is empty; want a parameter name such as quorum or voting_period_days",
		"holders: gini is 2; want the Gini coefficient of holdings, in [0, 1)",
	}
	if len(ve.Problems) != len(want) {
		t.Fatalf("%d problems; want %d:\n%v", len(ve.Problems), len(want), err)
	}
	for i, w := range want {
		if got := ve.Problems[i].Error(); got != w {
			t.Errorf("problem %d = %q; want %q", i, got, w)
		}
	}
	if !strings.HasPrefix(err.Error(), "history: 6 problems:\n  - dao is empty") {
		t.Errorf("error = %q; want it to start with the count and list the problems", err)
	}
}

// TestValidationErrorListsAtMost100: a history broken everywhere makes a
// readable error; every problem stays in Problems.
func TestValidationErrorListsAtMost100(t *testing.T) {
	h := sample(t)
	for i := range 150 {
		h.Params = append(h.Params, ParamChange{Time: at(t, "2021-03-01"), Name: "", Value: float64(i)})
	}
	var ve *ValidationError
	if !errors.As(h.Validate(), &ve) || len(ve.Problems) != 150 {
		t.Fatalf("want 150 problems, got %v", ve)
	}
	msg := ve.Error()
	if n := strings.Count(msg, "\n  - "); n != 100 || !strings.HasSuffix(msg, "\n  ... and 50 more") {
		t.Errorf("error lists %d problems and ends %q; want 100 and ... and 50 more", n, msg[max(0, len(msg)-30):])
	}
}

func TestValidateNil(t *testing.T) {
	var h *History
	if err := h.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil.Validate() = %v; want ErrInvalid", err)
	}
}

func TestStateAndSupport(t *testing.T) {
	for _, s := range States() {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
	for _, c := range []struct {
		s                    State
		valid, passed, decid bool
	}{
		{Executed, true, true, true}, {Queued, true, true, true}, {Expired, true, true, true}, {Succeeded, true, true, true},
		{Defeated, true, false, true}, {Canceled, true, false, false}, {Active, true, false, false}, {Pending, true, false, false},
		{"Executed", false, false, false},
	} {
		if c.s.Valid() != c.valid || c.s.Passed() != c.passed || c.s.Decided() != c.decid {
			t.Errorf("%q: Valid %v Passed %v Decided %v; want %v %v %v", c.s, c.s.Valid(), c.s.Passed(), c.s.Decided(), c.valid, c.passed, c.decid)
		}
	}
	if !For.Valid() || !Against.Valid() || !Abstain.Valid() || Support("For").Valid() {
		t.Error("Support.Valid wrong")
	}
}
