package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/store"
)

// runActor is the actor attune run records its changes as.
const runActor = "attune run"

// recorder is attune run's hold on the store: the store open and the
// DAO's lock taken, so that no other attune run or service runs the same
// DAO's cycle meanwhile.
type recorder struct {
	s       *store.SQL
	release func() error
	dao     string
	logger  *slog.Logger
}

// openRecorder opens the store (dsn, or <out>/attune.db) and takes the
// DAO's lock; ErrLocked says another process runs the DAO's cycle. When
// the store is a SQLite file that does not exist yet and create is false,
// it returns nil and no error: a first run creates the store when it
// writes its cycle, so that a run that stops early leaves nothing behind.
func openRecorder(ctx context.Context, cfg *config.Config, dsn string, create bool, logger *slog.Logger) (*recorder, error) {
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(cfg.Out, storeFile)
	}
	path, err := sqldb.SQLitePath(dsn)
	if err != nil {
		return nil, usageError{fmt.Errorf("--store: %w", err)}
	}
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if !create {
				return nil, nil
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, fmt.Errorf("store: %w", err)
			}
		}
	}
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return nil, err
	}
	release, err := s.Lock(ctx, cfg.DAO.Name)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &recorder{s: s, release: release, dao: cfg.DAO.Name, logger: logger}, nil
}

// close releases the lock and the store.
func (r *recorder) close() error {
	return errors.Join(r.release(), r.s.Close())
}

// record records cycle c, written to dir, as pending review: the states
// before pass at once, since the run has done that work already. A cycle
// of the same config and data still pending is not recorded again.
func (r *recorder) record(ctx context.Context, c *loop.Cycle, dir string) error {
	cfgHash, inHash := loop.CycleKey(c.Env.Config, c.Env.Observation, buildVersion())
	key := store.Key{DAO: r.dao, ConfigHash: cfgHash, InputsHash: inHash}
	if p, ok, err := store.Pending(ctx, r.s, key); err != nil {
		return err
	} else if ok {
		r.logger.Info("cycle not recorded again: one with the same config and data is pending", "cycle", c.ID, "pending", p.ID, "state", p.State)
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	rec, err := os.ReadFile(filepath.Join(dir, "recommendation.json"))
	if err != nil {
		return fmt.Errorf("record cycle: %w", err)
	}
	prop, err := os.ReadFile(filepath.Join(dir, "proposal.json"))
	if err != nil {
		return fmt.Errorf("record cycle: %w", err)
	}
	sc, err := r.s.CreateCycle(ctx, store.NewCycle{Actor: runActor, DAO: r.dao, ConfigHash: cfgHash, InputsHash: inHash, Dir: abs})
	if err != nil {
		return err
	}
	for _, step := range []struct {
		to store.State
		ch store.Change
	}{
		{store.Calibrating, store.Change{Actor: runActor}},
		{store.Optimizing, store.Change{Actor: runActor}},
		{store.Drafting, store.Change{Actor: runActor, Recommendation: rec}},
		{store.PendingReview, store.Change{Actor: runActor, Proposal: prop}},
	} {
		if _, err := r.s.Advance(ctx, sc.ID, step.to, step.ch); err != nil {
			// Leave no cycle half-recorded to hold its key.
			_, ferr := r.s.Advance(context.WithoutCancel(ctx), sc.ID, store.Failed, store.Change{Actor: runActor, Error: "recording the written cycle failed: " + err.Error()})
			return errors.Join(err, ferr)
		}
	}
	r.logger.Info("cycle recorded, pending review", "cycle", c.ID, "store_id", sc.ID, "store", r.s.String())
	return nil
}
