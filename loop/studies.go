package loop

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/optimizer/storage"
)

// WarmTrials is how many of the previous cycle's best trials start each
// search of the next.
const WarmTrials = 5

// openStorage opens optimizer.storage; nil for memory. The caller closes
// what it returns.
func (e *Env) openStorage(ctx context.Context) (*storage.Storage, error) {
	dsn := e.Config.Optimizer.Storage
	if dsn == "" || dsn == "memory" {
		return nil, nil
	}
	st, err := storage.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("optimizer.storage: %w", err)
	}
	return st, nil
}

// studyPrefix names the studies of this DAO and model; a study's full name
// adds the cycle and the search: DAO/MODEL/CYCLE/search-I.
func (e *Env) studyPrefix() string {
	return e.Config.DAO.Name + "/" + e.Model.Name() + "/"
}

// StudyName is the name of search i (from 0) of cycle id in a storage.
func (e *Env) StudyName(cycle string, i int) string {
	return fmt.Sprintf("%s%s/search-%d", e.studyPrefix(), cycle, i+1)
}

// warmStart returns the best trials of the most recent earlier cycle's
// search i that searched the same space (the same parameters, kinds and
// ranges), best first; none when there is no such cycle.
func (e *Env) warmStart(st goptuna.Storage, cycle string, i int) ([]map[string]float64, error) {
	sums, err := st.GetAllStudySummaries()
	if err != nil {
		return nil, fmt.Errorf("warm start: list studies: %w", err)
	}
	prefix, suffix := e.studyPrefix(), fmt.Sprintf("/search-%d", i+1)
	var prev []goptuna.StudySummary
	for _, s := range sums {
		if strings.HasPrefix(s.Name, prefix) && strings.HasSuffix(s.Name, suffix) && s.Name != e.StudyName(cycle, i) {
			prev = append(prev, s)
		}
	}
	sort.SliceStable(prev, func(a, b int) bool { return prev[a].DatetimeStart.After(prev[b].DatetimeStart) })
	for _, s := range prev {
		best, err := optimizer.BestOf(st, s.Name, e.Space, WarmTrials)
		if err != nil {
			continue // another space, or nothing finished: not a warm start
		}
		e.Logger.Info("warm start", "search", i+1, "from", s.Name, "trials", len(best))
		e.warmFrom = append(e.warmFrom, s.Name)
		return best, nil
	}
	return nil, nil
}

// storageKind names the kind of storage without its location or
// credentials: memory, sqlite or postgres.
func storageKind(dsn string) string {
	switch {
	case dsn == "" || dsn == "memory":
		return "memory"
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres"
	}
	return "sqlite"
}
