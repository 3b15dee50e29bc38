package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// storeFile is the default store's file name in the out directory.
const storeFile = "attune.db"

// storeHelp is what every store command says about where the store is.
const storeHelp = `The store is --store DSN (sqlite:PATH, a path ending .db, or
postgres://user@host:5432/db), by default the SQLite file attune.db in the
out directory (--out, else the config's out: attune-out), where attune run
records each cycle it writes.`

// storeFlags are the flags of the commands that read or change the store.
type storeFlags struct {
	dsn, out string
}

// add registers the flags on a group, for all its subcommands.
func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.dsn, "store", "", "the store: sqlite:PATH, a path ending .db, or postgres://user@host:5432/db (default: sqlite:<out>/attune.db)")
	cmd.PersistentFlags().StringVar(&f.out, "out", "", "the directory attune run writes under, whose attune.db is the default store (default: the config's out)")
}

// dsnFor returns the store's DSN: --store, else <out>/attune.db with out
// from --out or the config.
func (a *app) dsnFor(cmd *cobra.Command, f *storeFlags) (string, error) {
	if f.dsn != "" {
		return f.dsn, nil
	}
	out := f.out
	if out == "" {
		cfg, err := a.loadConfig(cmd, nil)
		if err != nil {
			return "", err
		}
		out = cfg.Out
	}
	return "sqlite:" + filepath.Join(out, storeFile), nil
}

// openStore opens the store the flags name. A SQLite store that does not
// exist is a user error: reading would create an empty one where the user
// probably mistyped a path.
func (a *app) openStore(cmd *cobra.Command, f *storeFlags) (*store.SQL, error) {
	dsn, err := a.dsnFor(cmd, f)
	if err != nil {
		return nil, err
	}
	path, err := sqldb.SQLitePath(dsn)
	if err != nil {
		return nil, usageError{fmt.Errorf("--store: %w", err)}
	}
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, usageError{fmt.Errorf("no store at %s: attune run records its cycles there; give --out or --store to read another", path)}
		}
	}
	return store.Open(cmd.Context(), dsn, store.Options{})
}

// withStore runs fn with the store open and closes it after.
func (a *app) withStore(cmd *cobra.Command, f *storeFlags, fn func(ctx context.Context, s *store.SQL) error) error {
	s, err := a.openStore(cmd, f)
	if err != nil {
		return err
	}
	err = fn(cmd.Context(), s)
	return errors.Join(err, s.Close())
}

// cycleID parses a cycle ID argument.
func cycleID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%q is not a cycle ID: give the number attune cycles list shows", arg)}
	}
	return id, nil
}

// exactArgs requires n positional arguments, as a usage error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %s, got %d argument(s)", cmd.CommandPath(), what, len(args))}
		}
		return nil
	}
}

// listFlags select cycles for the list commands.
type listFlags struct {
	dao    string
	states []string
	limit  int
}

func (l *listFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.dao, "dao", "", "only this DAO's cycles (its dao.name)")
	cmd.Flags().StringSliceVar(&l.states, "state", nil, "only cycles in these states (fetching, calibrating, optimizing, drafting, pending_review, approved, rejected, published, failed; repeat or separate with commas)")
	cmd.Flags().IntVar(&l.limit, "limit", 50, "at most this many, newest first (0: all)")
	_ = cmd.RegisterFlagCompletionFunc("state", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var names []string
		for _, s := range store.States {
			names = append(names, string(s))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

func (l *listFlags) filter() (store.Filter, error) {
	f := store.Filter{DAO: l.dao, Limit: l.limit}
	if l.limit < 0 {
		return f, usageError{fmt.Errorf("--limit %d: want 0 (all) or more", l.limit)}
	}
	for _, s := range l.states {
		st := store.State(strings.TrimSpace(s))
		if !st.Valid() {
			return f, usageError{fmt.Errorf("--state %q: want one of fetching, calibrating, optimizing, drafting, pending_review, approved, rejected, published, failed", s)}
		}
		f.States = append(f.States, st)
	}
	return f, nil
}

// listRun lists the cycles lf selects (those with a proposal, when
// withProposal).
func (a *app) listRun(sf *storeFlags, lf *listFlags, withProposal bool) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		f, err := lf.filter()
		if err != nil {
			return err
		}
		f.WithProposal = withProposal
		return a.withStore(cmd, sf, func(ctx context.Context, s *store.SQL) error {
			cs, err := s.Cycles(ctx, f)
			if err != nil {
				return err
			}
			return a.printCycles(cs)
		})
	}
}

// showRun shows the cycle its argument names: the document, or print's
// text; check, when set, may refuse the cycle first.
func (a *app) showRun(sf *storeFlags, check func(schema.CycleDoc) error, print func(io.Writer, schema.CycleDoc) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		id, err := cycleID(args[0])
		if err != nil {
			return err
		}
		return a.withStore(cmd, sf, func(ctx context.Context, s *store.SQL) error {
			doc, err := store.Document(ctx, s, id)
			if err != nil {
				return err
			}
			if check != nil {
				if err := check(doc); err != nil {
					return err
				}
			}
			if a.output != "text" {
				return a.writeDoc(doc)
			}
			return print(a.stdout, doc)
		})
	}
}

func (a *app) cyclesCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "cycles",
		Short: "List, show and compare the cycles in the store",
		Long: `List, show and compare the cycles in the store: what each decided from, the
state it is in, its proposal, the stewards' review and what was published.

` + storeHelp,
		Example: `  attune cycles list
  attune cycles show 12
  attune cycles diff 11 12`,
	}
	sf.add(cmd)
	var lf listFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List cycles, newest first",
		Long:  "List cycles, newest first: ID, DAO, state, when it last changed, and its proposal's title or its error.\n\n" + storeHelp,
		Example: `  attune cycles list
  attune cycles list --state pending_review,approved --dao Compound
  attune cycles list --store postgres://attune@db:5432/attune -o json | jq '.cycles[].id'`,
		Args: noArgs,
		RunE: a.listRun(&sf, &lf, false),
	}
	lf.add(list)
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one cycle: its state, recommendation, review, publications and history",
		Long:  "Show one cycle: what it decided from, its state, the recommendation's parameters and verdict, the review, what each sink published, and its audit trail.\n\n" + storeHelp,
		Example: `  attune cycles show 12
  attune cycles show 12 -o json | jq .cycle.state`,
		Args: exactArgs(1, "one cycle ID"),
		RunE: a.showRun(&sf, nil, printCycle),
	}
	diff := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two cycles' recommendations: parameters and effects side by side",
		Long:  "Compare two cycles: whether they decided from the same config and data, each parameter's value in force and recommended value, and each objective's expected effect, side by side.\n\n" + storeHelp,
		Example: `  attune cycles diff 11 12
  attune cycles diff 11 12 -o json | jq '.params[] | select(.a.recommended != .b.recommended)'`,
		Args: exactArgs(2, "two cycle IDs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids [2]int64
			for i := range ids {
				var err error
				if ids[i], err = cycleID(args[i]); err != nil {
					return err
				}
			}
			return a.withStore(cmd, &sf, func(ctx context.Context, s *store.SQL) error {
				var docs [2]schema.CycleDoc
				for i, id := range ids {
					var err error
					if docs[i], err = store.Document(ctx, s, id); err != nil {
						return err
					}
				}
				d := store.Diff(docs[0], docs[1])
				if a.output != "text" {
					return a.writeDoc(d)
				}
				return printDiff(a.stdout, d)
			})
		},
	}
	cmd.AddCommand(list, show, diff)
	return cmd
}

func (a *app) proposalsCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "proposals",
		Short: "List, read, approve and reject the proposals in the store",
		Long: `List and read the cycles' proposals, and record a steward's decision on one
pending review: approve hands it on to be published, reject closes it.
Every decision is recorded with the reviewer and the comment in the audit
log (attune audit verify).

` + storeHelp,
		Example: `  attune proposals list --state pending_review
  attune proposals show 12
  attune proposals approve 12 --comment "Matches the forum's temperature check."`,
	}
	sf.add(cmd)
	var lf listFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the cycles that have a proposal, newest first",
		Long:  "List the cycles that have a proposal, newest first: ID, DAO, state (pending_review, approved, rejected, published) and title.\n\n" + storeHelp,
		Example: `  attune proposals list
  attune proposals list --state pending_review -o json | jq '.cycles[].id'`,
		Args: noArgs,
		RunE: a.listRun(&sf, &lf, true),
	}
	lf.add(list)
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print a cycle's proposal: the post and its appendix",
		Long:  "Print a cycle's proposal as a steward reads it: its state and review, then the post and the appendix in Markdown.\n\n" + storeHelp,
		Example: `  attune proposals show 12
  attune proposals show 12 -o json | jq .proposal.post`,
		Args: exactArgs(1, "one cycle ID"),
		RunE: a.showRun(&sf, func(doc schema.CycleDoc) error {
			if doc.Proposal == nil {
				return usageError{fmt.Errorf("cycle %d has no proposal yet (it is %s); attune proposals list shows those that have", doc.Cycle.ID, doc.Cycle.State)}
			}
			return nil
		}, func(w io.Writer, doc schema.CycleDoc) error {
			printHeader(w, doc)
			_, err := fmt.Fprintf(w, "\n%s\n\n---\n\n%s", strings.TrimRight(doc.Proposal.Post, "\n"), doc.Proposal.Appendix)
			return err
		}),
	}
	cmd.AddCommand(list, show, a.decideCmd(&sf, store.Approved), a.decideCmd(&sf, store.Rejected))
	return cmd
}

// decideCmd is attune proposals approve or reject.
func (a *app) decideCmd(sf *storeFlags, verdict store.State) *cobra.Command {
	var comment, reviewer string
	verb := map[store.State]string{store.Approved: "approve", store.Rejected: "reject"}[verdict]
	cmd := &cobra.Command{
		Use:   verb + " ID --comment TEXT",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a proposal pending review, with a comment",
		Long: fmt.Sprintf(`Record a steward's decision to %s the proposal of a cycle pending review,
with the reviewer (--reviewer, by default the user running attune) and a
comment saying why (required). Only a cycle in pending_review can be
decided, once; anything else exits 2 naming the cycle's state, as does
approving a proposal that changes nothing (reject it instead). The decision
and the reviewer are written to the audit log in the same transaction.

`, verb) + storeHelp,
		Example: fmt.Sprintf(`  attune proposals %s 12 --comment "Discussed on the forum, thread 341."
  attune proposals %s 12 --comment "..." --reviewer alice --store postgres://attune@db:5432/attune`, verb, verb),
		Args: exactArgs(1, "one cycle ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cycleID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(comment) == "" {
				return usageError{fmt.Errorf("--comment is required: say why you %s the proposal", verb)}
			}
			if reviewer == "" {
				if u, err := user.Current(); err == nil {
					reviewer = u.Username
				}
				if reviewer == "" {
					return usageError{errors.New("--reviewer is required: the current user has no name")}
				}
			}
			return a.withStore(cmd, sf, func(ctx context.Context, s *store.SQL) error {
				if _, err := s.Review(ctx, id, store.Review{Verdict: verdict, Reviewer: reviewer, Comment: comment}); err != nil {
					return err
				}
				doc, err := store.Document(ctx, s, id)
				if err != nil {
					return err
				}
				if a.output != "text" {
					return a.writeDoc(doc)
				}
				fmt.Fprintf(a.stdout, "cycle %d %s by %s\n", id, verdict, reviewer)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why (required; recorded with the decision)")
	cmd.Flags().StringVar(&reviewer, "reviewer", "", "who decides (default: the user running attune)")
	return cmd
}

func (a *app) auditCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the store's audit log",
		Long: `Check the store's audit log: every change to a cycle, every review and every
publication is an entry carrying the hash of the one before.

` + storeHelp,
		Example: `  attune audit verify`,
	}
	sf.add(cmd)
	var head string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit log's hash chain; exit 4 if an entry was edited, inserted or deleted",
		Long: `Walk the audit log's hash chain and report the first entry that was edited,
inserted or deleted, by its number; exit 4 if there is one. The output ends
with the head (SEQ:HASH): keep it somewhere else, and a later
attune audit verify --head SEQ:HASH also proves that nothing up to that
entry was rewritten, even by someone who recomputed every hash.

` + storeHelp,
		Example: `  attune audit verify
  attune audit verify --head 41:3f0c...e9 || echo "exit $?: 4 means tampered"
  attune audit verify -o json | jq -r .head`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var earlier store.Head
			if head != "" {
				var err error
				if earlier, err = store.ParseHead(head); err != nil {
					return usageError{fmt.Errorf("--head: %w", err)}
				}
			}
			return a.withStore(cmd, &sf, func(ctx context.Context, s *store.SQL) error {
				var from *store.Head
				if head != "" {
					from = &earlier
				}
				doc, bad := store.AuditDocument(ctx, s, from)
				if bad != nil && !errors.Is(bad, store.ErrTampered) {
					return bad
				}
				if a.output != "text" {
					if err := a.writeDoc(doc); err != nil {
						return err
					}
					return bad
				}
				if bad != nil {
					fmt.Fprintf(a.stdout, "audit log BROKEN at entry %d (%s): %s\n", doc.Problem.Seq, doc.Problem.Kind, doc.Problem.Detail)
				} else {
					fmt.Fprintf(a.stdout, "audit log intact: %d entries", doc.Entries)
					if head != "" {
						fmt.Fprintf(a.stdout, ", entry %d unchanged since recorded", earlier.Seq)
					}
					fmt.Fprintln(a.stdout)
				}
				fmt.Fprintf(a.stdout, "head %s\n", doc.Head)
				return bad
			})
		},
	}
	verify.Flags().StringVar(&head, "head", "", "a head an earlier verify printed (SEQ:HASH): check that entry is still there, unchanged")
	cmd.AddCommand(verify)
	return cmd
}

// printCycles writes a list of cycles in the output format.
func (a *app) printCycles(cs []store.Cycle) error {
	if a.output != "text" {
		doc := schema.CyclesDoc{Schema: schema.Cycles, Cycles: []schema.CycleSummary{}}
		for _, c := range cs {
			doc.Cycles = append(doc.Cycles, store.Summary(c))
		}
		return a.writeDoc(doc)
	}
	if len(cs) == 0 {
		fmt.Fprintln(a.stdout, "no cycles")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDAO\tSTATE\tUPDATED\tPROPOSAL")
	for _, c := range cs {
		what := c.Title
		if c.Error != "" {
			what = "error: " + firstLine(c.Error, 100)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.DAO, c.State, stamp(c.Updated), what)
	}
	return tw.Flush()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// firstLine is s's first line, clipped to n bytes.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// printHeader writes a cycle's identity, state and review.
func printHeader(w io.Writer, d schema.CycleDoc) {
	c := d.Cycle
	fmt.Fprintf(w, "cycle %d: %s, %s\n", c.ID, c.DAO, c.State)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if c.Title != "" {
		fmt.Fprintf(tw, "  title\t%s\n", c.Title)
	}
	fmt.Fprintf(tw, "  created\t%s\n  updated\t%s\n", stamp(c.Created), stamp(c.Updated))
	if c.Dir != "" {
		fmt.Fprintf(tw, "  dir\t%s\n", c.Dir)
	}
	if c.Error != "" {
		fmt.Fprintf(tw, "  error\t%s\n", firstLine(c.Error, 200))
	}
	if r := c.Review; r != nil {
		fmt.Fprintf(tw, "  review\t%s by %s, %s: %s\n", r.Verdict, r.Reviewer, stamp(r.Time), firstLine(r.Comment, 200))
	}
	for _, p := range d.Publications {
		fmt.Fprintf(tw, "  published\t%s, %s: %v\n", p.Sink, stamp(p.Time), p.Receipt["url"])
	}
	_ = tw.Flush()
}

// printCycle writes cycles show's text.
func printCycle(w io.Writer, d schema.CycleDoc) error {
	printHeader(w, d)
	c := d.Cycle
	fmt.Fprintf(w, "  config %s, inputs %s\n", short(c.ConfigHash), short(c.InputsHash))
	if rec := d.Recommendation; rec != nil {
		verdict := "NO CHANGE"
		if rec.Change {
			verdict = "CHANGE RECOMMENDED"
		}
		fmt.Fprintf(w, "\n%s: %s\n", verdict, rec.Reason)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "parameter\tcurrent\t->\trecommended\t")
		for _, p := range rec.Params {
			held := ""
			if p.Held != "" {
				held = "held: " + strings.ReplaceAll(p.Held, "_", " ")
			}
			fmt.Fprintf(tw, "%s\t%s\t->\t%s\t%s\n", p.Name, num(p.Current), num(p.Recommended), held)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\nhistory:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range d.History {
		what := e.Action
		from, _ := e.Detail["from"].(string)
		to, _ := e.Detail["to"].(string)
		switch {
		case to != "":
			what = from + " -> " + to
		case e.Action == store.ActionCreate:
			what = "created"
		case e.Action == store.ActionPublish:
			what = fmt.Sprintf("published by %v", e.Detail["sink"])
		case e.Action == store.ActionResume:
			what = fmt.Sprintf("resumed while %v", e.Detail["state"])
		case e.Action == store.ActionStop:
			what = fmt.Sprintf("stopped while %v, to be resumed", e.Detail["state"])
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", e.Seq, stamp(e.Time), e.Actor, what)
	}
	return tw.Flush()
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(not read yet)"
	}
	return h
}

// printDiff writes cycles diff's text.
func printDiff(w io.Writer, d schema.CycleDiffDoc) error {
	same := func(b bool) string {
		if b {
			return "same"
		}
		return "different"
	}
	fmt.Fprintf(w, "A: cycle %d (%s, %s)  B: cycle %d (%s, %s)\n", d.A.ID, d.A.DAO, d.A.State, d.B.ID, d.B.DAO, d.B.State)
	fmt.Fprintf(w, "config: %s; data: %s\n\n", same(d.SameConfig), same(d.SameInputs))
	side := func(p *schema.ParamSide) string {
		if p == nil {
			return "-"
		}
		return num(p.Current) + " -> " + num(p.Recommended)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "parameter\tA: current -> recommended\tB: current -> recommended\t")
	for _, p := range d.Params {
		mark := ""
		if p.A == nil || p.B == nil || *p.A != *p.B {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, side(p.A), side(p.B), mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	est := func(e *oracle.Estimate) string {
		if e == nil {
			return "-"
		}
		return fmt.Sprintf("%+.4g [%s, %s]", e.Mean, num(e.CI.Lo), num(e.CI.Hi))
	}
	fmt.Fprintln(w, "\nexpected effect (recommended - current, with interval):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "objective\tA\tB")
	for _, e := range d.Effects {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, est(e.A), est(e.B))
	}
	return tw.Flush()
}
