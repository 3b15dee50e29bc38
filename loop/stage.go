package loop

import "context"

// The stages a cycle enters after reading its data, in order, named as
// the store names a cycle's states. A StageFunc is told of each.
const (
	// StageCalibrating: the data are read (Env.Observation and
	// Env.History are set); calibration is next.
	StageCalibrating = "calibrating"
	// StageOptimizing: the model is calibrated and its fit accepted;
	// the search is next.
	StageOptimizing = "optimizing"
	// StageDrafting: the recommendation is verified; drafting the
	// proposal is next.
	StageDrafting = "drafting"
)

// StageFunc is told when a cycle enters a stage, with the Env as far as
// it is built. An error stops the cycle there and is returned as is, so
// that a caller that records a cycle's progress (attune serve's store)
// can also decide from what was read not to go on.
type StageFunc func(ctx context.Context, stage string, e *Env) error

// enter tells f, when set, that the cycle enters stage.
func (f StageFunc) enter(ctx context.Context, stage string, e *Env) error {
	if f == nil {
		return nil
	}
	return f(ctx, stage, e)
}
