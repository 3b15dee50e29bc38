package auto

import (
	"reflect"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/gp"
	"github.com/attune-dao/attune/optimizer/sampling/tpe"
)

func TestChoose(t *testing.T) {
	for _, c := range []struct {
		dims, budget int
		want         string
	}{{2, 100, "gp"}, {8, 400, "gp"}, {8, 401, "tpe"}, {21, 100, "tpe"}, {3, 0, "tpe"}} {
		if got := Choose(c.dims, c.budget); got != c.want {
			t.Errorf("Choose(%d, %d) = %s, want %s", c.dims, c.budget, got, c.want)
		}
	}
}

// auto proposes exactly what the sampler it chooses proposes.
func TestAutoDelegates(t *testing.T) {
	space := map[string]any{
		"x":     goptuna.UniformDistribution{Low: 0, High: 1},
		"n":     goptuna.IntUniformDistribution{Low: 1, High: 4},
		"fixed": goptuna.UniformDistribution{Low: 2, High: 2},
	}
	for _, c := range []struct {
		budget int
		inner  sampling.Sampler
	}{{50, gp.New(sampling.Config{Seed: 3, Budget: 50})}, {1000, tpe.New(sampling.Config{Seed: 3, Budget: 1000})}} {
		study, err := goptuna.CreateStudy("s", goptuna.StudyOptionLogger(nil))
		if err != nil {
			t.Fatal(err)
		}
		a := New(sampling.Config{Seed: 3, Budget: c.budget})
		for i := range 14 {
			id, _ := study.Storage.CreateNewTrial(study.ID)
			ft, _ := study.Storage.GetTrial(id)
			got, err := a.SampleRelative(study, ft, space)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.inner.SampleRelative(study, ft, space)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("budget %d, trial %d: auto proposed %v, its choice %v", c.budget, i, got, want)
			}
			for name, v := range got {
				if err := study.Storage.SetTrialParam(id, name, v, space[name]); err != nil {
					t.Fatal(err)
				}
			}
			_ = study.Storage.SetTrialValue(id, got["x"]*got["x"]+got["n"])
			_ = study.Storage.SetTrialState(id, goptuna.TrialStateComplete)
		}
	}
}
