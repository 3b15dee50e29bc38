package qmc

import (
	"math"
	"reflect"
	"testing"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// The first 2^k points of the shifted sequence put exactly one point in
// each of 2^k equal intervals of every coordinate (a (0,k,1)-net in each
// dimension, kept by a shift modulo 1 up to the interval boundaries).
func TestPointsAreStratified(t *testing.T) {
	s := New(5)
	const n = 64
	for dim := range 4 {
		counts := make([]int, n)
		for i := range n {
			p, err := s.Point(4, i)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range p {
				if v < 0 || v >= 1 {
					t.Fatalf("point %d: %v outside [0, 1)", i, p)
				}
			}
			counts[int(math.Floor(p[dim]*n))]++
		}
		for k, c := range counts {
			// A shift moves each cell's point across at most one boundary.
			if c > 2 {
				t.Errorf("dimension %d: interval %d holds %d points", dim, k, c)
			}
		}
	}
}

func TestPointsAreReproducibleAndSeeded(t *testing.T) {
	a, _ := New(1).Point(3, 10)
	b, _ := New(1).Point(3, 10)
	c, _ := New(2).Point(3, 10)
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Errorf("seed 1 twice: %v %v; seed 2: %v", a, b, c)
	}
	// Asking out of order gives the same points.
	s := New(1)
	late, _ := s.Point(3, 10)
	if !reflect.DeepEqual(late, a) {
		t.Error("point 10 depends on what was asked before")
	}
	if _, err := s.Point(MaxDim+1, 0); err == nil {
		t.Error("too many dimensions accepted")
	}
	if _, err := s.Point(2, -1); err == nil {
		t.Error("negative index accepted")
	}
	if !sampling.Registered("qmc") {
		t.Error("qmc is not registered")
	}
}
