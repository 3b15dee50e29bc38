package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/oracle"
)

func (a *app) draftCmd() *cobra.Command {
	var dir, provider, cache string
	cmd := &cobra.Command{
		Use:   "draft --cycle DIR",
		Short: "Draft a written cycle's proposal again, without searching again",
		Long: `Draft the proposal of a cycle that attune run wrote, from its
recommendation.json and config.yaml, without calibrating or searching again,
and replace the cycle's proposal.md and draft.json (each atomically).

The drafter is the cycle config's oracle.provider, or --provider. With
openai, the key is read from the variable oracle.api_key_env names, and
ATTUNE_ORACLE_* variables override the cycle's oracle section (e.g.
ATTUNE_ORACLE_BASE_URL, ATTUNE_ORACLE_MODEL). The LLM's draft is verified
against the recommendation's facts; a draft that fails after one repair
round, or an endpoint that fails, gives the template's prose, and
draft.json says why. The parameter table, the on-chain specification and
the appendix always come from the recommendation.

LLM drafts are cached by the hash of their inputs in --cache (by default
the drafts directory beside the cycle, <out>/drafts, where attune run
caches them): drafting the same inputs again makes no request.`,
		Example: `  attune draft --cycle attune-out/2022-12-31-0123456789ab
  attune draft --cycle attune-out/2022-12-31-0123456789ab --provider template
  OPENAI_API_KEY=... attune draft --cycle DIR --provider openai -o json | jq .proposal.meta`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageError{errors.New("--cycle is required: give the directory attune run wrote, e.g. attune-out/<cycle-id>")}
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageError{fmt.Errorf("--cycle %q is not a cycle directory", dir)}
			}
			over := map[string]any{}
			if provider != "" {
				over["oracle.provider"] = provider
			}
			cfg, err := config.Load(config.LoadOptions{File: filepath.Join(dir, "config.yaml"), Overrides: over})
			if err != nil {
				return err
			}
			if cache == "" {
				abs, err := filepath.Abs(dir)
				if err != nil {
					return err
				}
				cache = filepath.Join(filepath.Dir(abs), loop.DraftsDir)
			}
			drafter, err := loop.NewDrafter(cfg, loop.DrafterOptions{CacheDir: cache})
			if err != nil {
				return err
			}
			p, err := loop.Redraft(cmd.Context(), dir, drafter)
			if err != nil {
				return err
			}
			logDraft(a.logger(), p)
			if a.output == "json" {
				return writeJSON(a.stdout, struct {
					Dir      string          `json:"dir"`
					Proposal oracle.Proposal `json:"proposal"`
				}{dir, p})
			}
			fmt.Fprintf(a.stdout, "%s\n\n", p.Title)
			fmt.Fprintf(a.stdout, "drafter: %s\n", draftSummary(p.Meta))
			fmt.Fprintf(a.stdout, "wrote %s\n", filepath.Join(dir, "{proposal.md,"+loop.DraftFile+"}"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "cycle", "", "the cycle directory attune run wrote (<out>/<cycle-id>)")
	cmd.Flags().StringVar(&provider, "provider", "", "the drafter: template or openai (overrides oracle.provider)")
	cmd.Flags().StringVar(&cache, "cache", "", "directory of cached LLM drafts (default: drafts beside the cycle)")
	_ = cmd.RegisterFlagCompletionFunc("provider", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"template", "openai"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// draftSummary says in one line how the prose was drafted.
func draftSummary(m oracle.DraftMeta) string {
	s := m.Drafter
	if m.Model != "" {
		s += " (model " + m.Model + ", prompt " + m.PromptVersion + ")"
	}
	if m.Cached {
		s += ", from the cache"
	}
	if m.Usage != nil && m.Usage.Requests > 0 {
		s += fmt.Sprintf(", %d requests, %d tokens", m.Usage.Requests, m.Usage.PromptTokens+m.Usage.CompletionTokens)
		if m.Usage.CostUSD > 0 {
			s += fmt.Sprintf(", $%.4f", m.Usage.CostUSD)
		}
	}
	if m.Repaired {
		s += ", repaired once"
	}
	if m.FellBack {
		s += "; fell back to the template: " + m.FallbackReason
	}
	return s
}

// logDraft logs how the prose was drafted, as a warning when an LLM's
// draft was not used.
func logDraft(l *slog.Logger, p oracle.Proposal) {
	m := p.Meta
	if m.FellBack {
		l.Warn("the LLM draft was not used; the template drafted", "model", m.Model, "reason", m.FallbackReason)
		return
	}
	if m.Model != "" {
		var tokens, requests int
		if m.Usage != nil {
			tokens, requests = m.Usage.PromptTokens+m.Usage.CompletionTokens, m.Usage.Requests
		}
		l.Info("drafted", "drafter", m.Drafter, "model", m.Model, "cached", m.Cached, "repaired", m.Repaired, "requests", requests, "tokens", tokens)
	}
}
