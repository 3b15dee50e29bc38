package tokenvote

import (
	"os"
	"testing"

	"github.com/attune-dao/attune/governor"
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

// TestConformanceElectorate runs the kit on Lido's observed electorate
// under Aragon's rules, the path real histories take.
func TestConformanceElectorate(t *testing.T) {
	obs, _, _ := lido(t)
	rules, _ := governor.Family("aragon")
	rules.ObjectionPhaseDays = 1
	m, err := New(simulator.Setup{Rules: rules, TokenPrice: 1, Options: simulator.Options{"horizon_days": 60}})
	if err != nil {
		t.Fatal(err)
	}
	simtest.Conformance(t, m, obs, lidoParams, simtest.Options{Seed: 42})
}
