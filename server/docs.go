package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// cyclesDoc is a page of cycles (schema.CyclesDoc) and the ID that
// fetches the next page, 0 for none; cs holds one more than limit when
// there is a next page.
func cyclesDoc(cs []store.Cycle, limit int) (schema.CyclesDoc, int64) {
	d := schema.CyclesDoc{Schema: schema.Cycles, Cycles: []schema.CycleSummary{}}
	var next int64
	if len(cs) > limit {
		cs = cs[:limit]
		next = cs[limit-1].ID
	}
	for _, c := range cs {
		d.Cycles = append(d.Cycles, store.Summary(c))
	}
	return d, next
}

// cycleJSON returns cycle c whole as the API answers it
// (schema.CycleDoc, store.DocumentOf), encoded; kept with the read cache,
// so that a cycle read by many is decoded and encoded once per TTL.
func (s *Server) cycleJSON(ctx context.Context, c store.Cycle) ([]byte, error) {
	if b, ok := s.docs.get(c.ID); ok {
		return b, nil
	}
	at := s.opt.Now()
	d, err := store.DocumentOf(ctx, s.opt.Store, c)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	s.docs.put(c.ID, b, at)
	return b, nil
}

// receipt is a sink's receipt as the store keeps it (adapters.Receipt's
// JSON), read leniently: the desk shows what it finds.
type receipt struct {
	ID    string   `json:"id"`
	URL   string   `json:"url"`
	Files []string `json:"files"`
}

// readReceipt decodes a stored receipt; an unreadable one gives its raw
// text as the ID.
func readReceipt(raw json.RawMessage) receipt {
	var r receipt
	if json.Unmarshal(raw, &r) != nil {
		return receipt{ID: clip(string(raw), 200)}
	}
	return r
}

// fmtTime writes a time for the desk, in UTC to the minute.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
