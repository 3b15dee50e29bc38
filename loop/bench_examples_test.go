package loop

import (
	"context"
	"testing"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/oracle"
)

// exampleDAOs are the real DAOs bundled in configs/examples.
var exampleDAOs = []string{"compound", "aave", "lido"}

func loadExample(b *testing.B, dao string) *config.Config {
	b.Helper()
	cfg, err := config.Load(config.LoadOptions{File: "../configs/examples/" + dao + "/attune.yaml", Env: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// BenchmarkCalibrateExample measures reading each bundled DAO's history,
// calibrating the model to it and checking the fit on
// calibration.replications fresh runs (target: under 5 s on one core; run
// with -cpu 1).
func BenchmarkCalibrateExample(b *testing.B) {
	for _, dao := range exampleDAOs {
		b.Run(dao, func(b *testing.B) {
			cfg := loadExample(b, dao)
			for b.Loop() {
				env, err := Prepare(context.Background(), cfg, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := env.CheckFit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCycleExample measures a whole cycle on each bundled DAO with its
// own config (160 trials x 8 replications; target: under 30 s on this
// 2-core machine).
func BenchmarkCycleExample(b *testing.B) {
	for _, dao := range exampleDAOs {
		b.Run(dao, func(b *testing.B) {
			cfg := loadExample(b, dao)
			for b.Loop() {
				if _, err := Run(context.Background(), cfg, oracle.Template{}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
