package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/schema"
)

func (a *app) publishCmd() *cobra.Command {
	var sinks []string
	var dryRun, force bool
	var approver string
	cmd := &cobra.Command{
		Use:   "publish CYCLE_DIR",
		Short: "Publish a cycle's proposal to its sinks (forum, issues, webhooks, files), each once",
		Long: `Publish the proposal of a cycle that attune run wrote to the sinks its
config names (sinks: in the cycle's config.yaml, or in --config's when
given): a Discourse topic, a GitHub issue, a webhook (attune's signed
JSON, Slack or Discord), Markdown files. Publishing is the steward's act
of approval: who approves (--approver, else $USER) and when is added to
the cycle's approval.json, with the hashes of what was approved.

Each sink publishes a cycle once. Before sending, attune records its
intent in <cycle>/published/<sink>.json, and after the answer the
receipt (the topic, the issue, the files) or the failure. Publishing
again skips the sinks already published and retries the others; a sink
whose earlier attempt may have gone through (attune stopped, or the
answer was lost) is first asked to find it (Discourse and GitHub look
for the cycle's key; the Markdown sink for its files), and a webhook,
which cannot be asked, is reported unresolved with what to do. --dry-run
prints what each sink would send and sends nothing (its secrets must be
set all the same). A recommendation that changes nothing is refused
unless --force: publishing asks the DAO to act.

Secrets (API keys, tokens, webhook URLs that hold a token) come only from
the environment or a file the config names, and are never written to the
cycle or printed. Exit status: 0 when every sink is published, 1 when
one failed or is unresolved (the others are published; run it again), 2
for a usage or config problem (nothing sent), 130 when interrupted (the
sinks that answered are recorded).`,
		Example: `  attune publish attune-out/2026-10-28-4018bc275ab6 --dry-run
  DISCOURSE_API_KEY=... attune publish attune-out/2026-10-28-4018bc275ab6 --sink forum
  attune publish attune-out/2026-10-28-4018bc275ab6 --approver alice -o json | jq '.sinks[] | {name, status, url}'`,
		Annotations: map[string]string{interruptedNote: "the sinks that answered are recorded; publish again to finish"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("%s takes one cycle directory (attune-out/<cycle-id>), got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageError{fmt.Errorf("%q is not a cycle directory; give the directory attune run wrote, e.g. attune-out/<cycle-id>", dir)}
			}
			if approver == "" {
				approver = firstSet(os.Getenv("USER"), os.Getenv("LOGNAME"))
			}
			if approver == "" && !dryRun {
				return usageError{errors.New("say who approves the publication: --approver NAME ($USER is not set)")}
			}
			opt := loop.PublishOptions{Sinks: sinks, DryRun: dryRun, Force: force, Approver: approver, Version: buildVersion(),
				Env: adapters.Env{Getenv: os.Getenv, Logger: a.logger()}}
			if a.configFile != "" {
				cfg, err := a.loadConfig(cmd, nil)
				if err != nil {
					return err
				}
				abs, err := filepath.Abs(a.configFile)
				if err != nil {
					return err
				}
				opt.Config, opt.ConfigDir = cfg, filepath.Dir(abs)
			}
			doc, err := loop.Publish(cmd.Context(), dir, opt)
			if doc == nil {
				return err
			}
			if a.output != "text" {
				if werr := a.writeDoc(doc); werr != nil {
					return werr
				}
				return err
			}
			printPublish(a.stdout, doc)
			return err
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&sinks, "sink", nil, "publish only to this sink, by its name (the type when unnamed); repeatable")
	f.BoolVar(&dryRun, "dry-run", false, "print what each sink would send; send and record nothing")
	f.BoolVar(&force, "force", false, "publish a recommendation that changes nothing")
	f.StringVar(&approver, "approver", "", "who approves the publication (default $USER)")
	_ = cmd.RegisterFlagCompletionFunc("sink", func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := config.Load(config.LoadOptions{File: filepath.Join(args[0], "config.yaml")})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, s := range cfg.Sinks {
			names = append(names, s.SinkName())
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// printPublish writes what became of each sink, or on a dry run what
// each would send.
func printPublish(w io.Writer, doc *schema.PublishDoc) {
	if doc.DryRun {
		fmt.Fprintf(w, "cycle %s: dry run, nothing sent or recorded\n", doc.CycleID)
		for _, s := range doc.Sinks {
			fmt.Fprintf(w, "\n%s (%s):\n", s.Name, s.Type)
			if s.Error != "" {
				fmt.Fprintf(w, "  cannot preview: %s\n", s.Error)
			}
			for _, o := range s.Outgoing {
				fmt.Fprintf(w, "  %s  (%s, %d bytes)\n", o.Target, o.ContentType, o.Bytes)
				if o.Body != "" {
					fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(strings.TrimRight(o.Body, "\n"), "\n", "\n    "))
				}
			}
		}
		return
	}
	fmt.Fprintf(w, "cycle %s, approved by %s\n\n", doc.CycleID, doc.Approval.Approver)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "sink\ttype\tstatus\twhere")
	for _, s := range doc.Sinks {
		where := firstSet(s.URL, s.ID)
		if s.Error != "" {
			where = s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Type, strings.ReplaceAll(s.Status, "_", " "), where)
	}
	tw.Flush()
}
