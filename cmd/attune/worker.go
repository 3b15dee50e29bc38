package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/loop"
)

func (a *app) workerCmd() *cobra.Command {
	var study string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Share a cycle's search with attune run: evaluate trials of its stored studies",
		Long: `Join the studies of the cycle that --config defines, in the storage that
optimizer.storage names (a postgres:// URL to share across machines, or a
sqlite: file on one machine), and propose and evaluate trials until each
study holds its budget. attune run creates the studies and works on them
too; start any number of workers with the same config, data and attune
version, before or after it (a worker waits --wait for a study to appear).

Each worker calibrates the model itself (the same data give the same
model), so every process evaluates the same objective. Trial numbers are
handed out by the storage, so none is used twice, and no process takes a
trial beyond a study's budget. A search shared by workers is not
reproducible trial for trial, since which process proposes which trial
depends on timing; its result is still a valid search of the same space.`,
		Example: `  # on the machine running the cycle
  attune run --config dao.yaml --out cycles
  # on each other machine, with the same dao.yaml (optimizer.storage: postgres://...)
  attune worker --config dao.yaml`,
		Annotations: map[string]string{interruptedNote: "the trials it finished stay in the study"},
		Args:        noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if wait < 0 {
				return usageError{fmt.Errorf("--wait %s: want 0 or more", wait)}
			}
			_, env, err := a.prepare(cmd, 0, nil)
			if err != nil {
				return err
			}
			n, err := env.Work(cmd.Context(), loop.WorkOptions{Version: buildVersion(), Study: study, Wait: wait})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "worked on %d stud%s\n", n, map[bool]string{true: "y", false: "ies"}[n == 1])
			return nil
		},
	}
	cmd.Flags().StringVar(&study, "study", "", "join only this study (DAO/MODEL/CYCLE/search-I); default: every search of the cycle in turn")
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Minute, "how long to wait for a study to appear")
	return cmd
}
