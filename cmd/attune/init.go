package main

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/attune-dao/attune/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/loop"
)

// starter is what attune init needs to write a config: the DAO, its
// governor, its data and the parameters in force.
type starter struct {
	Name, Governor, Track, History, Symbol string
	PriceUSD                               float64
	Current                                map[string]float64
}

// initParams are the token-voting parameters a starter config sets, in the
// order it writes them.
var initParams = []string{governor.Quorum, governor.SupportRequired, governor.ProposalThreshold,
	governor.VotingPeriodDays, governor.VoteDifferential, governor.ParticipationReward}

// initDefaults are values that need no asking: a simple majority, no vote
// differential and no reward unless the DAO says otherwise.
var initDefaults = map[string]float64{governor.SupportRequired: 0.5, governor.VoteDifferential: 0, governor.ParticipationReward: 0}

func (a *app) initCmd() *cobra.Command {
	var s starter
	var file string
	var sets []string
	var force, ask, noCalibrate bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starter config for your own DAO and check it by calibrating",
		Long: `Write a starter config (YAML) for your own DAO from its governance history
and check it by calibrating the model to that history, as attune calibrate
does. The DAO's name, governor family, token and the parameters in force
are taken from the history where it records them; flags override them, and
with --ask (the default on a terminal) attune asks for whatever is still
missing. The search section lets an ordinary vote move what the governor
lets it change, within per-cycle guardrails; edit it before the first run.

Exit status 3 means the file was written but the model does not reproduce
the history within tolerance (see attune calibrate).`,
		Example: `  attune init --history configs/examples/compound/history.json --file compound.yaml
  attune init --history dao-history.json --governor oz --current quorum=0.04 --current voting_period_days=7
  attune init --history h.json --no-calibrate && attune calibrate --config attune.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("ask") {
				ask = isTerminal(cmd.InOrStdin())
			}
			for _, kv := range sets {
				name, v, err := parseSet(kv)
				if err != nil {
					return usageError{fmt.Errorf("--current %w", err)}
				}
				if s.Current == nil {
					s.Current = map[string]float64{}
				}
				s.Current[name] = v
			}
			if file == "" {
				return usageError{errors.New("--file is empty; name the config file to write, e.g. --file attune.yaml")}
			}
			if _, err := os.Stat(file); err == nil && !force {
				return usageError{fmt.Errorf("%s exists; choose another --file or pass --force to overwrite it", file)}
			}
			var in *bufio.Reader
			if ask {
				in = bufio.NewReader(cmd.InOrStdin())
			}
			if err := s.complete(cmd, in, a.stderr); err != nil {
				return err
			}
			yaml, err := s.yaml(file)
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(file, yaml); err != nil {
				return fmt.Errorf("write %s: %w", file, err)
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", file)
			cfg, err := config.Load(config.LoadOptions{File: file})
			if err != nil {
				return fmt.Errorf("the config written does not load (a bug in attune init; please report it): %w", err)
			}
			if noCalibrate {
				fmt.Fprintf(a.stdout, "next: attune calibrate --config %s\n", file)
				return nil
			}
			env, err := loop.Prepare(cmd.Context(), cfg, a.logger())
			if err != nil {
				return err
			}
			name, worst, allowed := env.Fit.Worst()
			if err := env.CheckFit(); err != nil {
				fmt.Fprintf(a.stdout, "calibration: the model misses %s by %.3g (allowed %.3g); see attune calibrate --config %s\n", name, worst, allowed, file)
				return err
			}
			fmt.Fprintf(a.stdout, "calibration: ok (worst target %s, error %.3g, allowed %.3g)\nnext: attune run --config %s\n", name, worst, allowed, file)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.History, "history", "", "the DAO's governance history (JSON file or CSV directory; see docs/history.schema.json)")
	f.StringVar(&s.Name, "name", "", "the DAO's name (default: the history's)")
	f.StringVar(&s.Governor, "governor", "", "governor family: "+strings.Join(governor.Families(), ", ")+" (default: the history's)")
	f.StringVar(&s.Track, "track", "", "the governor track to tune, for governors with several (Aave, Arbitrum)")
	f.StringVar(&s.Symbol, "token", "", "the token's symbol (default: the history's)")
	f.Float64Var(&s.PriceUSD, "price-usd", 0, "the token's price in USD, to value rewards (0: unknown)")
	f.StringArrayVar(&sets, "current", nil, "a parameter in force, e.g. --current quorum=0.04 (repeatable; default: the history's last values)")
	f.StringVar(&file, "file", "attune.yaml", "the config file to write")
	f.BoolVar(&force, "force", false, "overwrite --file if it exists")
	f.BoolVar(&ask, "ask", false, "ask for what is missing (default: when stdin is a terminal)")
	f.BoolVar(&noCalibrate, "no-calibrate", false, "write the file without calibrating")
	_ = cmd.MarkFlagFilename("history", "json")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	_ = cmd.RegisterFlagCompletionFunc("governor", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return governor.Families(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// complete fills what the flags left out from the history, then from
// answers on in (nil: no asking), and reports what is still missing as a
// user error naming the flags to give.
func (s *starter) complete(cmd *cobra.Command, in *bufio.Reader, prompt io.Writer) error {
	if s.History == "" && in != nil {
		s.History = ask(in, prompt, "governance history file (JSON or CSV directory)", "")
	}
	if s.History == "" {
		return usageError{errors.New("--history is missing; give the DAO's governance history (see docs/history.schema.json and configs/examples/*/history.json)")}
	}
	h, err := history.Load(cmd.Context(), s.History)
	if err != nil {
		return err
	}
	if s.Name == "" {
		s.Name = h.DAO
	}
	if s.Governor == "" {
		s.Governor = h.Governor
	}
	if s.Symbol == "" {
		s.Symbol = h.Token.Symbol
	}
	if s.Governor == "" && in != nil {
		s.Governor = ask(in, prompt, "governor family ("+strings.Join(governor.Families(), ", ")+")", "")
	}
	if s.Governor == "" {
		return usageError{fmt.Errorf("--governor is missing and the history does not name one; give one of %s", strings.Join(governor.Families(), ", "))}
	}
	rules, err := governor.Family(s.Governor)
	if err != nil {
		return usageError{fmt.Errorf("--governor: %w", err)}
	}
	if len(rules.Tracks) > 0 && s.Track == "" {
		if in != nil {
			s.Track = ask(in, prompt, "track to tune ("+strings.Join(rules.Tracks, ", ")+")", rules.Tracks[0])
		} else {
			return usageError{fmt.Errorf("--track is missing; the %s governor has tracks %s: choose one", s.Governor, strings.Join(rules.Tracks, ", "))}
		}
	}
	if s.Current == nil {
		s.Current = map[string]float64{}
	}
	_, last := h.Span()
	inForce := h.ParamsAt(last, s.Track)
	var missing []string
	for _, p := range initParams {
		if _, ok := s.Current[p]; ok {
			continue
		}
		if v, ok := inForce[p]; ok {
			s.Current[p] = v
			continue
		}
		def, hasDef := initDefaults[p]
		if in != nil {
			ans := ask(in, prompt, "value in force of "+p+" ("+paramUnit(p)+")", formatDefault(def, hasDef))
			if v, err := strconv.ParseFloat(ans, 64); err == nil {
				s.Current[p] = v
				continue
			}
			if ans != "" {
				return usageError{fmt.Errorf("%s: %q is not a number", p, ans)}
			}
		}
		if hasDef {
			s.Current[p] = def
			continue
		}
		missing = append(missing, "--current "+p+"=VALUE ("+paramUnit(p)+")")
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("the history does not record every parameter in force; give %s", strings.Join(missing, ", "))}
	}
	return nil
}

// ask prints question (and its default) and reads one line; an empty
// answer, or the end of input, takes the default.
func ask(in *bufio.Reader, out io.Writer, question, def string) string {
	if def != "" {
		fmt.Fprintf(out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(out, "%s: ", question)
	}
	line, _ := in.ReadString('\n')
	if line = strings.TrimSpace(line); line != "" {
		return line
	}
	return def
}

func formatDefault(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// paramUnit says in what unit a parameter is given.
func paramUnit(p string) string {
	switch p {
	case governor.VotingPeriodDays:
		return "days"
	case governor.ParticipationReward:
		return "tokens per vote"
	case governor.SupportRequired:
		return "share of For + Against, 0.5 is a simple majority"
	}
	return "fraction of total supply, e.g. 0.04 for 4%"
}

// yaml writes the starter config. Paths are written relative to the
// config file's directory, so the pair can move together.
func (s *starter) yaml(file string) ([]byte, error) {
	rules, err := governor.Family(s.Governor)
	if err != nil {
		return nil, usageError{fmt.Errorf("--governor: %w", err)}
	}
	hist := s.History
	if abs, err := filepath.Abs(hist); err == nil {
		if dir, err := filepath.Abs(filepath.Dir(file)); err == nil {
			if rel, err := filepath.Rel(dir, abs); err == nil {
				hist = rel
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# attune config for %s, written by attune init from %s.\n", strings.Join(strings.Fields(s.Name), " "), filepath.Base(s.History))
	b.WriteString("# Check each value in force against the DAO's contracts, and note its source beside it.\n")
	b.WriteString("dao:\n")
	fmt.Fprintf(&b, "  name: %s\n  model: tokenvote\n  governor: %s\n", strconv.Quote(s.Name), s.Governor)
	if s.Track != "" {
		fmt.Fprintf(&b, "  track: %s\n", strconv.Quote(s.Track))
	}
	b.WriteString("  # onchain: {address: \"0x...\"}   # the governor contract, so the proposal names the calls to make\n")
	if s.Symbol != "" || s.PriceUSD > 0 {
		fmt.Fprintf(&b, "  token: {symbol: %s, price_usd: %s}\n", strconv.Quote(s.Symbol), strconv.FormatFloat(s.PriceUSD, 'g', -1, 64))
	}
	b.WriteString("current:\n")
	for _, p := range initParams {
		fmt.Fprintf(&b, "  %s: %s   # %s\n", p, strconv.FormatFloat(s.Current[p], 'g', -1, 64), paramUnit(p))
	}
	b.WriteString("search:   # what an ordinary vote can change, within guardrails per cycle\n")
	searched := 0
	for _, p := range initParams {
		if c, ok := rules.Changeable(p); !ok || c != governor.Vote {
			continue
		}
		line, ok := starterSearch(p, s.Current[p])
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  %s: %s\n", p, line)
		searched++
	}
	if searched == 0 {
		return nil, usageError{fmt.Errorf("the %s governor lets a vote change none of %s; attune has nothing to tune", s.Governor, strings.Join(initParams, ", "))}
	}
	b.WriteString("objectives:\n  - {name: decision_quality, weight: 2}\n  - {name: turnout, weight: 1}\n  - {name: attack_success_rate, weight: 1}\n")
	b.WriteString("constraints: [\"time_to_decision_days <= 14\"]\n")
	fmt.Fprintf(&b, "sources: [{type: history, path: %s, window_days: 365}]\n", strconv.Quote(hist))
	return []byte(b.String()), nil
}

// starterSearch is the search range a starter config gives a parameter:
// its model range cut by a per-cycle guardrail around the value in force.
func starterSearch(p string, cur float64) (string, bool) {
	switch p {
	case governor.Quorum:
		return "{min: 0.005, max: 0.3, max_change: 0.25}", true
	case governor.ProposalThreshold:
		if cur <= 0 {
			return "{min: 0, max: 0.01, max_step: 0.001}", true
		}
		return "{type: log, min: 0.00001, max: 0.05, max_change: 0.5}", true
	case governor.VotingPeriodDays:
		return "{type: int, min: 1, max: 14, max_step: 2}", true
	case governor.SupportRequired:
		return "{min: 0.5, max: 0.8, max_step: 0.05}", true
	}
	return "", false
}

// parseSet reads a --set or --current value: name=number.
func parseSet(kv string) (string, float64, error) {
	k, v, ok := strings.Cut(kv, "=")
	k = strings.TrimSpace(k)
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if !ok || k == "" || err != nil {
		return "", 0, fmt.Errorf("%q: want name=number, e.g. quorum=0.05", kv)
	}
	return k, x, nil
}
