package snapshot

import (
	"fmt"
	"math"
)

// pagingError is walk's own error: the hub's answers cannot be paged
// through without losing items.
type pagingError struct{ msg string }

func (e *pagingError) Error() string { return e.msg }

func errPaging(format string, args ...any) error {
	return &pagingError{fmt.Sprintf(format, args...)}
}

// keyed is an item the hub lists ordered by its created time (unix
// seconds), then by its id.
type keyed interface {
	key() (id string, created int64)
}

// position says where a request reads in a list: the items created from
// From on, skipping Skip of them.
type position struct {
	Page int
	From int64
	Skip int
}

func (p position) String() string {
	return fmt.Sprintf("page %d (created_gte %d, skip %d)", p.Page, p.From, p.Skip)
}

// walk reads a list the hub orders by (created, id) ascending, a page of
// size at a time, and hands each item to keep once. Pages go by skip
// while the hub allows it (skip <= 5000); past that the list restarts
// from the last item's created time, skipping the items of that second
// already read, so that ties are neither lost nor read twice. Items are
// deduplicated by id besides. An answer out of order, a full page of
// items already read, or more than 5000 items in one second are errors:
// the paging could not go on without losing items.
func walk[T any, P interface {
	*T
	keyed
}](from int64, size int, fetch func(at position) ([]T, error), keep func(at position, item P) error) error {
	at := position{Page: 1, From: from}
	last, tie := int64(math.MinInt64), 0 // the last created time read and how many items had it
	var tieIDs []string                  // their ids
	seen := map[string]struct{}{}        // ids read since the list last restarted
	for ; ; at.Page++ {
		items, err := fetch(at)
		if err != nil {
			return err
		}
		if len(items) > size {
			return errPaging("%v: the hub sent %d items for a page of %d", at, len(items), size)
		}
		fresh := 0
		for i := range items {
			item := P(&items[i])
			id, created := item.key()
			if created < at.From || created < last {
				return errPaging("%v: item %q was created at %d, out of the order asked for (created_gte %d, ascending after %d)", at, id, created, at.From, last)
			}
			if created == last {
				tie++
				tieIDs = append(tieIDs, id)
			} else {
				last, tie, tieIDs = created, 1, append(tieIDs[:0], id)
			}
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			fresh++
			if err := keep(at, item); err != nil {
				return err
			}
		}
		if len(items) < size {
			return nil
		}
		if fresh == 0 {
			return errPaging("%v: the hub sent a full page of items already read; its paging is not consistent", at)
		}
		at.Skip += len(items)
		if at.Skip <= maxSkip {
			continue
		}
		// Restart from the last second read.
		if tie > maxSkip {
			return errPaging("%v: more than %d items were created in the second %d; the hub's skip limit cannot page past them", at, maxSkip, last)
		}
		at.From, at.Skip = last, tie
		clear(seen)
		for _, id := range tieIDs {
			seen[id] = struct{}{}
		}
	}
}
