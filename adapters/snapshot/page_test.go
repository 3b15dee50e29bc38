package snapshot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

// item is a listed thing with an id and a created time.
type item struct {
	id      string
	created int64
}

func (i *item) key() (string, int64) { return i.id, i.created }

// listHub answers pages of list, ordered by (created, id), the way the
// hub does, refusing skip > 5000 as it does.
func listHub(t *testing.T, list []item, asked *[]position) func(position) ([]item, error) {
	slices.SortFunc(list, func(a, b item) int { return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.id, b.id)) })
	return func(at position) ([]item, error) {
		*asked = append(*asked, at)
		if at.Skip > maxSkip {
			t.Fatalf("%v: skip beyond the hub's limit", at)
		}
		from := sort.Search(len(list), func(i int) bool { return list[i].created >= at.From })
		rest := list[from:]
		if at.Skip >= len(rest) {
			return nil, nil
		}
		return slices.Clone(rest[at.Skip:min(at.Skip+pageOf(at), len(rest))]), nil
	}
}

// pageOf is the page size the test runs with (set per case).
var pageOf func(position) int

func TestWalkReadsEveryItemOnce(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 9))
		size := []int{1000, 7, 333, 1}[seed%4]
		n := []int{0, 1, 999, 1000, 6000, 6001, 12_345, 20_000}[rng.IntN(8)]
		if size < 100 {
			n = min(n, 6500) // past the skip limit, in a bounded number of pages
		}
		// Many items share a second: bursts of up to 1,500.
		var list []item
		var at int64 = 1_650_000_000
		for len(list) < n {
			burst := 1 + rng.IntN(1500)
			if rng.IntN(3) > 0 {
				burst = 1 + rng.IntN(40)
			}
			for range min(burst, n-len(list)) {
				list = append(list, item{id: hexID(rng, 64), created: at})
			}
			at += 1 + rng.Int64N(5)
		}
		var asked []position
		pageOf = func(position) int { return size }
		got := map[string]int{}
		err := walk(0, size, listHub(t, slices.Clone(list), &asked), func(_ position, it *item) error {
			got[it.id]++
			return nil
		})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(got) != len(list) {
			t.Errorf("seed %d (%d items, pages of %d): read %d distinct items", seed, n, size, len(got))
		}
		for _, it := range list {
			if got[it.id] != 1 {
				t.Errorf("seed %d: item %s read %d times", seed, it.id, got[it.id])
			}
		}
		restarted := slices.ContainsFunc(asked, func(p position) bool { return p.From > 0 })
		if n > maxSkip+size && !restarted {
			t.Errorf("seed %d: %d items in pages of %d were read without restarting from a created time", seed, n, size)
		}
	}
}

func TestWalkRefusesWhatWouldLoseItems(t *testing.T) {
	pageOf = func(position) int { return 1000 }
	// 6,001 items in one second: past skip 5000 nothing can reach them.
	var list []item
	rng := rand.New(rand.NewPCG(3, 3))
	for range 6001 {
		list = append(list, item{id: hexID(rng, 64), created: 1_650_000_000})
	}
	var asked []position
	err := walk(0, 1000, listHub(t, list, &asked), func(position, *item) error { return nil })
	var pe *pagingError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "more than 5000 items were created in the second 1650000000") {
		t.Fatalf("err %v; want the tie past the skip limit reported", err)
	}

	// A hub that ignores skip sends the same page again.
	same := func(position) ([]item, error) {
		return []item{{"a", 1}, {"b", 1}}, nil
	}
	err = walk(0, 2, same, func(position, *item) error { return nil })
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "full page of items already read") {
		t.Fatalf("err %v; want a repeated page reported", err)
	}
	// Out of order, or before created_gte.
	for _, page := range [][]item{{{"a", 5}, {"b", 4}}, {{"a", -1}}} {
		err = walk(0, 2, func(position) ([]item, error) { return page, nil }, func(position, *item) error { return nil })
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "out of the order asked for") {
			t.Fatalf("page %v: err %v; want the order reported", page, err)
		}
	}
	// A page larger than asked for.
	err = walk(0, 1, func(position) ([]item, error) { return []item{{"a", 1}, {"b", 1}}, nil }, func(position, *item) error { return nil })
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "2 items for a page of 1") {
		t.Fatalf("err %v; want an oversized page reported", err)
	}
	// keep's and fetch's errors come back as they are.
	boom := errors.New("boom")
	if err := walk(0, 2, func(position) ([]item, error) { return nil, boom }, nil); err != boom {
		t.Fatalf("fetch error %v", err)
	}
	if err := walk(0, 2, func(position) ([]item, error) { return []item{{"a", 1}}, nil }, func(position, *item) error { return boom }); err != boom {
		t.Fatalf("keep error %v", err)
	}
}

// TestReadPastSkipLimit reads 12,345 votes on three proposals through
// the fake hub, with bursts of votes sharing a second across the pages'
// edges, and counts that every vote arrives exactly once.
func TestReadPastSkipLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	hub := newFakeHub(t)
	hub.spaces["big.eth"] = &fakeSpace{ID: "big.eth", Name: "Big", Symbol: "BIG", Network: "1"}
	ps, vs := genSpace(rng, "big.eth", []int{7000, 5345, 0}, 37)
	hub.add(ps, vs)
	src := serve(t, hub, baseConfig("big.eth"), adapters.Env{})
	data, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, v := range data.History.Votes {
		seen[v.Proposal+"/"+v.Voter]++
	}
	if len(data.History.Votes) != len(vs) || len(seen) != len(vs) {
		t.Fatalf("%d votes, %d distinct; want %d", len(data.History.Votes), len(seen), len(vs))
	}
	for _, v := range vs {
		if seen[v.Proposal+"/"+v.Voter] != 1 {
			t.Fatalf("vote %s read %d times", v.ID, seen[v.Proposal+"/"+v.Voter])
		}
	}
	var restarts, pages int
	for _, r := range hub.log() {
		if r.OperationName != "Votes" {
			continue
		}
		pages++
		if fmt.Sprint(r.Variables["from"]) != "0" && fmt.Sprint(r.Variables["skip"]) != "0" {
			restarts++ // restarted mid-second: the tie was skipped, not lost
		}
	}
	if restarts == 0 || pages < 13 {
		t.Errorf("%d pages, %d restarted from a created time with a skip; want the cursor used past skip 5000", pages, restarts)
	}
}
