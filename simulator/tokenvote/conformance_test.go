package tokenvote

import (
	"os"
	"testing"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
	"github.com/attune-dao/attune/simulator/simtest"
)

// TestConformance runs the simtest conformance kit on the example DAO with
// a population and horizon small enough for -race.
func TestConformance(t *testing.T) {
	b, err := os.ReadFile("../../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := metrics.Parse(b, "example")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(simulator.Setup{Options: simulator.Options{"horizon_days": 60, "max_agents": 500}})
	if err != nil {
		t.Fatal(err)
	}
	simtest.Conformance(t, m, obs, current, simtest.Options{Seed: 42})
}
