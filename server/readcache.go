package server

import (
	"context"
	"sync"
	"time"

	"github.com/attune-dao/attune/store"
)

// ttlCache holds what was read from the store about a cycle for a short
// while, so that a proposal read by many at once costs one query, not
// one per reader. A cycle this server changes (a review, a publication)
// is dropped at once; a change made elsewhere (the runner, another
// replica, the CLI) shows within the TTL. Decisions never rest on it:
// the store checks every change against the cycle's state in its own
// transaction.
type ttlCache[V any] struct {
	ttl     time.Duration
	now     func() time.Time
	max     int
	mu      sync.Mutex
	entries map[int64]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[V any](ttl time.Duration, now func() time.Time, max int) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, now: now, max: max, entries: map[int64]ttlEntry[V]{}}
}

// get returns a fresh enough value for cycle id, or false.
func (tc *ttlCache[V]) get(id int64) (V, bool) {
	var zero V
	if tc.ttl <= 0 {
		return zero, false
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e, ok := tc.entries[id]
	if !ok || tc.now().Sub(e.at) >= tc.ttl {
		return zero, false
	}
	return e.v, true
}

// put keeps v for cycle id, as read at time at.
func (tc *ttlCache[V]) put(id int64, v V, at time.Time) {
	if tc.ttl <= 0 {
		return
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.entries) >= tc.max {
		now := tc.now()
		for k, e := range tc.entries {
			if now.Sub(e.at) >= tc.ttl {
				delete(tc.entries, k)
			}
		}
		for k := range tc.entries { // still full: drop one, any
			if len(tc.entries) < tc.max {
				break
			}
			delete(tc.entries, k)
		}
	}
	tc.entries[id] = ttlEntry[V]{v: v, at: at}
}

// drop forgets cycle id.
func (tc *ttlCache[V]) drop(id int64) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	delete(tc.entries, id)
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
	s.reads.put(id, c, at)
	return c, nil
}

// changed forgets what the caches hold about cycle id: this server
// changed it.
func (s *Server) changed(id int64) {
	s.reads.drop(id)
	s.docs.drop(id)
}
