package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// loopPublish is the default PublishFunc: loop.Publish, which publishes
// each sink of the cycle's own config.yaml at most once (its records in
// the cycle's directory say which have), as attune publish does.
func loopPublish(version string) PublishFunc {
	return func(ctx context.Context, dir, approver string) ([]SinkResult, error) {
		doc, err := loop.Publish(ctx, dir, loop.PublishOptions{Approver: approver, Version: version})
		if doc == nil {
			return nil, err
		}
		// With a document, the error only joins the sinks' failures,
		// which the results carry one by one.
		out := make([]SinkResult, 0, len(doc.Sinks))
		for _, s := range doc.Sinks {
			r := SinkResult{Sink: s.Name}
			switch s.Status {
			case schema.StatusPublished, schema.StatusAlreadyPublished, schema.StatusFound:
				if r.Receipt, err = json.Marshal(adapters.Receipt{ID: s.ID, URL: s.URL, Files: s.Files}); err != nil {
					return nil, err
				}
			default:
				r.Err = fmt.Errorf("%s: %s", s.Status, s.Error)
			}
			out = append(out, r)
		}
		return out, nil
	}
}

// publishApproved publishes u's approved cycles, oldest first. A cycle
// that fails to publish stays approved, to be tried at the next
// reconcile; the error joins those failures. A DAO whose config names no
// sink publishes nothing: its approved cycles stay approved, for the
// stewards to post by hand.
func (s *Service) publishApproved(ctx context.Context, u *unit) error {
	if len(u.cfg.Sinks) == 0 {
		return nil
	}
	cs, err := s.store.Cycles(ctx, store.Filter{DAO: u.name, States: []store.State{store.Approved}})
	if err != nil {
		return err
	}
	var errs []error
	for i := len(cs) - 1; i >= 0; i-- {
		c, err := s.store.Cycle(ctx, cs[i].ID)
		if err == nil {
			err = s.publishCycle(ctx, u, c)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// publishCycle publishes approved cycle c to its sinks as the steward who
// approved it, and records each sink's receipt (once: the store refuses a
// second); when every sink has published, the cycle moves to published.
// A recommendation that changes nothing has nothing to publish: the
// cycle fails, saying so.
func (s *Service) publishCycle(ctx context.Context, u *unit, c store.Cycle) error {
	approver := s.o.Actor
	if c.Review != nil {
		approver = c.Review.Reviewer
	}
	results, err := s.o.Publish(ctx, c.Dir, approver)
	if errors.Is(err, loop.ErrNoChange) {
		f, ferr := s.store.Advance(ctx, c.ID, store.Failed, store.Change{Actor: s.o.Actor,
			Error: "approved, but there is nothing to publish: " + err.Error()})
		if ferr != nil {
			return ferr
		}
		s.recorded(ctx, u, f)
		return nil
	}
	done := map[string]bool{}
	for _, p := range c.Publications {
		done[p.Sink] = true
	}
	var errs []error
	if err != nil {
		cl := loop.Classify(err)
		s.metrics.errors.WithLabelValues(u.name, string(cl.Cause), cl.Kind.String()).Inc()
		errs = append(errs, err)
	}
	for _, res := range results {
		outcome := "published"
		switch {
		case res.Err != nil:
			outcome = "failed"
			cl := loop.Classify(res.Err)
			s.metrics.errors.WithLabelValues(u.name, string(cl.Cause), cl.Kind.String()).Inc()
			errs = append(errs, fmt.Errorf("sink %s: %w", res.Sink, res.Err))
		case done[res.Sink]:
			outcome = "already_recorded"
		default:
			if _, err := s.store.RecordPublication(ctx, c.ID, store.Publication{Actor: s.o.Actor, Sink: res.Sink, Receipt: res.Receipt}); err != nil && !errors.Is(err, store.ErrDuplicate) {
				errs = append(errs, err)
				outcome = "failed"
				break
			}
			done[res.Sink] = true
			if s.o.Checkpoint != nil {
				s.o.Checkpoint(ctx, c) // approved, one more sink recorded
			}
		}
		s.metrics.publications.WithLabelValues(u.name, res.Sink, outcome).Inc()
	}
	if len(errs) > 0 {
		err := fmt.Errorf("publish cycle %d: %w", c.ID, errors.Join(errs...))
		u.setErr(err.Error())
		s.log.Error("publishing failed; the cycle stays approved and is published again at the next reconcile", "dao", u.name, "cycle", c.ID, "error", err)
		return err
	}
	p, err := s.store.Advance(ctx, c.ID, store.Published, store.Change{Actor: s.o.Actor})
	if err != nil {
		return err
	}
	s.recorded(ctx, u, p)
	return nil
}
