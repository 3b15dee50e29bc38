package server

import (
	"context"
	"sync"
	"time"

	"github.com/attune-dao/attune/store"
)

// readCache holds cycles read from the store for a short while, so that
// a proposal read by many at once costs one query, not one per reader.
// A cycle this server changes (a review, a publication) is dropped at
// once; a change made elsewhere (the runner, another replica, the CLI)
// shows within the TTL. Decisions never rest on it: the store checks
// every change against the cycle's state in its own transaction.
type readCache struct {
	ttl     time.Duration
	now     func() time.Time
	max     int
	mu      sync.Mutex
	entries map[int64]cachedCycle
}

type cachedCycle struct {
	c  store.Cycle
	at time.Time
}

func newReadCache(ttl time.Duration, now func() time.Time, max int) *readCache {
	return &readCache{ttl: ttl, now: now, max: max, entries: map[int64]cachedCycle{}}
}

// get returns a fresh enough copy of cycle id, or false.
func (rc *readCache) get(id int64) (store.Cycle, bool) {
	if rc.ttl <= 0 {
		return store.Cycle{}, false
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e, ok := rc.entries[id]
	if !ok || rc.now().Sub(e.at) >= rc.ttl {
		return store.Cycle{}, false
	}
	return e.c, true
}

// put keeps c as read at time at.
func (rc *readCache) put(c store.Cycle, at time.Time) {
	if rc.ttl <= 0 {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.entries) >= rc.max {
		now := rc.now()
		for id, e := range rc.entries {
			if now.Sub(e.at) >= rc.ttl {
				delete(rc.entries, id)
			}
		}
		for id := range rc.entries { // still full: drop one, any
			if len(rc.entries) < rc.max {
				break
			}
			delete(rc.entries, id)
		}
	}
	rc.entries[c.ID] = cachedCycle{c: c, at: at}
}

// drop forgets cycle id: this server changed it.
func (rc *readCache) drop(id int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.entries, id)
}

// readCycle reads cycle id for showing it: from the read cache when
// fresh enough, else from the store. Documents and publications are
// shared with the cache and must not be changed.
func (s *Server) readCycle(ctx context.Context, id int64) (store.Cycle, error) {
	if c, ok := s.reads.get(id); ok {
		return c, nil
	}
	at := s.opt.Now()
	c, err := s.opt.Store.Cycle(ctx, id)
	if err != nil {
		return store.Cycle{}, err
	}
	s.reads.put(c, at)
	return c, nil
}
