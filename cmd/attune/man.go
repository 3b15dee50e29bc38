package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCmd writes a man page per command, generated from the commands
// themselves so that they cannot drift from --help.
func (a *app) manCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man",
		Short: "Write man pages for every command into a directory",
		Long: `Write one man page (section 1) per command into --dir, generated from the
commands' own help, so that they say what --help says. Install them where
man finds them, e.g. /usr/local/share/man/man1.`,
		Example: `  attune man --dir ./man
  sudo attune man --dir /usr/local/share/man/man1 && man attune-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageError{fmt.Errorf("--dir is empty; name the directory to write the man pages into")}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageError{fmt.Errorf("--dir %s: %w", dir, err)}
			}
			// A fixed date keeps the pages byte-identical from run to run;
			// the version says which build they describe.
			date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			header := &doc.GenManHeader{Title: "ATTUNE", Section: "1", Source: "attune " + buildVersion(), Manual: "attune manual", Date: &date}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			if err := doc.GenManTree(root, header, dir); err != nil {
				return fmt.Errorf("write man pages into %s: %w", dir, err)
			}
			fmt.Fprintf(a.stdout, "wrote man pages into %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write the pages into (created if missing)")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}
