package loop

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/config"
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

// WorkOptions configure a worker.
type WorkOptions struct {
	// Version is attune's version: with the config and the data it names
	// the cycle, and so the studies, a worker joins.
	Version string
	// Study, when set, is the one study to join; otherwise the worker
	// joins each search of the cycle in turn.
	Study string
	// Wait is how long to wait for a study to appear (its creator, attune
	// run, may start later); 0 means 10 minutes.
	Wait time.Duration
	// Poll is how often to look for it; 0 means 1 s.
	Poll time.Duration
	// Workers bounds parallel simulations; 0 means GOMAXPROCS.
	Workers int
}

// Work joins the cycle's stored studies as a worker: it proposes and
// evaluates trials of each until the study holds its budget, sharing the
// work with the process that created it (attune run) and any other
// workers. It returns how many studies it worked on.
func (e *Env) Work(ctx context.Context, opt WorkOptions) (int, error) {
	if e.spaceErr != nil {
		return 0, e.spaceErr
	}
	st, err := e.openStorage(ctx)
	if err != nil {
		return 0, err
	}
	if st == nil {
		return 0, fmt.Errorf("optimizer.storage is memory: a worker shares a study through sqlite:PATH or a postgres:// URL: %w", config.ErrInvalid)
	}
	defer st.Close()
	wait, poll := opt.Wait, opt.Poll
	if wait <= 0 {
		wait = 10 * time.Minute
	}
	if poll <= 0 {
		poll = time.Second
	}
	cycle := CycleID(e.Config, e.Observation, opt.Version)
	o := e.Config.Optimizer
	total := 0
	for i := range max(o.Searches, 1) {
		name := e.StudyName(cycle, i)
		if opt.Study != "" && opt.Study != name {
			continue
		}
		deadline := time.Now().Add(wait)
		for {
			res, err := optimizer.Search(ctx, e.Space, e.Current, e.Objective(), optimizer.Options{
				Sampler: o.Sampler, Batch: o.Batch, Workers: opt.Workers, Seed: e.searchSeed(i),
				Storage: st, Study: name, Join: true, Deterministic: true,
			})
			if errors.Is(err, optimizer.ErrNoStudy) {
				if time.Now().After(deadline) {
					return total, fmt.Errorf("worker: study %s did not appear within %s: is attune run working on this config (same data and version)? %w", name, wait, err)
				}
				select {
				case <-ctx.Done():
					return total, ctx.Err()
				case <-time.After(poll):
				}
				continue
			}
			if err != nil {
				return total, fmt.Errorf("worker: study %s: %w", name, err)
			}
			e.Logger.Info("worker: study done", "study", name, "trials", len(res.Trials))
			total++
			break
		}
	}
	if total == 0 && opt.Study != "" {
		return 0, fmt.Errorf("worker: %q is not a study of this config's cycle %s; its studies are %s to %s: %w",
			opt.Study, cycle, e.StudyName(cycle, 0), e.StudyName(cycle, max(o.Searches, 1)-1), config.ErrInvalid)
	}
	return total, nil
}
