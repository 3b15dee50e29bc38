package loop

import (
	"context"

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
