package chain

import (
	"context"
	"math/big"
	"testing"

	"github.com/attune-dao/attune/history"
)

func TestReadCompound(t *testing.T) {
	n, fx := compoundNode(t, 14417075)
	s := n.start(t, compoundConfig())
	d, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := d.History
	t.Logf("%+v", h.Provenance)
	for _, p := range h.Proposals {
		t.Logf("%+v", p)
	}
	for _, p := range h.Params {
		t.Logf("%+v", p)
	}
	t.Logf("%+v", h.Supply)
	_ = fx
	_ = big.NewInt
	_ = history.For
}

func TestReadOZ(t *testing.T) {
	n, _ := ozNode(t, 200)
	s := n.start(t, ozConfig())
	d, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := d.History
	t.Logf("%+v", h.Provenance)
	for _, p := range h.Proposals {
		t.Logf("%+v", p)
	}
	for _, p := range h.Params {
		t.Logf("%+v", p)
	}
	t.Logf("%+v %+v", h.Supply, h.Votes)
}
