package loop

import (
	"context"
	"fmt"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
)

// RulesOf returns the governor rules cfg describes: the family's
// (dao.governor), with dao.rules overriding them one by one, checked
// against dao.track. Problems wrap config.ErrInvalid and name the key.
func RulesOf(cfg *config.Config) (governor.Rules, error) { return rulesOf(cfg) }

// ReadHistory reads the governance history at path the way a cycle reads
// a history source: from the binary's embedded examples, a file or a CSV
// directory, a relative path not found from the working directory being
// read relative to the config file.
func ReadHistory(ctx context.Context, cfg *config.Config, path string) (*history.History, error) {
	return readHistory(ctx, cfg, path)
}

// ReadSourcesHistory reads cfg's sources as a cycle does (through the
// cache, as opts says) and returns their merged governance history and
// the sources' window_days (0: the default). Sources of precomputed
// metrics have no history: that is an error naming the source.
func ReadSourcesHistory(ctx context.Context, cfg *config.Config, opts SourceOptions) (*history.History, int, error) {
	d, err := readAll(ctx, cfg, opts, nil)
	if err != nil {
		return nil, 0, err
	}
	if d.history == nil {
		// Only a lone source can give metrics (readAll refuses to merge them).
		return nil, 0, cfg.Problem("sources[0].type", fmt.Sprintf("is %q: precomputed metrics, not a governance history; a backtest needs the history to cut into windows (type history, snapshot, governor or exec with format history)", cfg.Sources[0].Type))
	}
	return d.history, d.windowDays, nil
}
