package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/schema"
)

func (a *app) sourcesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "sources",
		Short:   "Inspect the configured data sources",
		Example: "  attune sources check --config dao.yaml",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Read each configured source on its own and print what it returned",
		Long: `Read each source in the config's sources on its own, in full, and print what
it returned: a history's DAO, proposals, votes, the time it covers, its
supply points and the parameters it records over time, or a metrics
file's window and proposals; and how long the read took. The sources'
cache (<out>/state/sources) is neither read nor written, so the check says
whether each source works now.

Exit status: 0 when every source was read; 2 when the config is invalid
(nothing is read) or a source's data or settings are (a missing file, an
invalid history, a DAO that is not this one); 1 when a source could not be
reached or failed otherwise. Each failure is printed with its source.`,
		Example: `  attune sources check
  attune sources check --config dao.yaml
  attune sources check --config dao.yaml -o json | jq '.sources[] | {key, ok, proposals}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			checks, err := loop.CheckSources(cmd.Context(), cfg, a.logger())
			if err != nil {
				return err
			}
			doc := sourcesDoc(checks)
			if a.output != "text" {
				if err := a.writeDoc(doc); err != nil {
					return err
				}
			} else if err := printSources(a.stdout, doc); err != nil {
				return err
			}
			var errs []error
			for _, c := range checks {
				if c.Err != nil {
					errs = append(errs, c.Err)
				}
			}
			if len(errs) > 0 {
				return sourcesFailed{n: len(checks), errs: errs}
			}
			return nil
		},
	})
	return cmd
}

// sourcesFailed says how many sources failed, their errors (already
// printed with their sources) behind it for the exit status.
type sourcesFailed struct {
	n    int
	errs []error
}

func (e sourcesFailed) Error() string {
	return fmt.Sprintf("%d of %d sources failed (see above)", len(e.errs), e.n)
}

func (e sourcesFailed) Unwrap() []error { return e.errs }

// sourcesDoc turns the checks into the attune.sources document.
func sourcesDoc(checks []loop.SourceCheck) schema.SourcesDoc {
	doc := schema.SourcesDoc{Schema: schema.Sources, OK: true, Sources: []schema.SourceReport{}}
	for _, c := range checks {
		r := schema.SourceReport{Key: c.Key, Type: c.Type, OK: c.Err == nil, Incremental: c.Incremental, Seconds: c.Took.Seconds()}
		switch {
		case c.Err != nil:
			r.Error = c.Err.Error()
			doc.OK = false
		case c.Data.History != nil:
			h := c.Data.History
			r.Data, r.DAO, r.From = "history", h.DAO, h.Source
			r.Proposals, r.Votes, r.SupplyPoints = len(h.Proposals), len(h.Votes), len(h.Supply)
			first, last := h.Span()
			r.WindowStart, r.WindowEnd = &first, &last
			for _, p := range h.Params {
				if !slices.Contains(r.Params, p.Name) {
					r.Params = append(r.Params, p.Name)
				}
			}
			slices.Sort(r.Params)
		case c.Data.Observation != nil:
			o := c.Data.Observation
			r.Data, r.DAO, r.From = "metrics", o.DAO, o.Source
			r.Proposals = int(o.Metrics[metrics.Proposals])
			r.WindowStart, r.WindowEnd = &o.Window.Start, &o.Window.End
		}
		doc.Sources = append(doc.Sources, r)
	}
	return doc
}

// printSources writes the checks as a block per source.
func printSources(w io.Writer, doc schema.SourcesDoc) error {
	var b strings.Builder
	for _, r := range doc.Sources {
		if !r.OK {
			fmt.Fprintf(&b, "%s (%s): FAILED after %.2fs\n  %s\n", r.Key, r.Type, r.Seconds, strings.ReplaceAll(r.Error, "\n", "\n  "))
			continue
		}
		fetch := ""
		if r.Incremental {
			fetch = "; a cycle fetches only what changed since its last run"
		}
		fmt.Fprintf(&b, "%s (%s): ok in %.2fs%s\n", r.Key, r.Type, r.Seconds, fetch)
		fmt.Fprintf(&b, "  %s of %s from %s\n", r.Data, r.DAO, r.From)
		span := r.WindowStart.Format("2006-01-02") + " to " + r.WindowEnd.Format("2006-01-02")
		if r.Data == "metrics" {
			fmt.Fprintf(&b, "  %s, %s\n", plural(r.Proposals, "decided proposal"), span)
			continue
		}
		params := "none"
		if len(r.Params) > 0 {
			params = strings.Join(r.Params, ", ")
		}
		fmt.Fprintf(&b, "  %s, %s, %s\n", plural(r.Proposals, "proposal"), plural(r.Votes, "vote"), span)
		fmt.Fprintf(&b, "  %s; parameters over time: %s\n", plural(r.SupplyPoints, "supply point"), params)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// plural is "1 vote", "2 votes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
