package schema

// Trials is the kind of a cycle's trials.json.
const Trials = "attune.trials/v1"

// TrialsDoc is a cycle's searches trial by trial, as its trials.json
// holds them: what the desk's convergence and trade-off plots draw.
type TrialsDoc struct {
	Schema  string `json:"schema"`
	CycleID string `json:"cycle_id"`
	// Objectives names the entries of each trial's Objectives, in order.
	Objectives []string       `json:"objectives"`
	Searches   []SearchTrials `json:"searches"`
}

// SearchTrials is one search's trials in the order they were run;
// Trials[0] is the baseline, the parameters in force.
type SearchTrials struct {
	// Best indexes the search's winner in Trials.
	Best   int           `json:"best" jsonschema:"minimum=0"`
	Trials []TrialRecord `json:"trials"`
}

// TrialRecord is one trial: the parameters tried and how they scored.
type TrialRecord struct {
	Number int                `json:"number"`
	Params map[string]float64 `json:"params"`
	// Score is the combined score (higher is better), null when it was
	// not finite.
	Score *float64 `json:"score" jsonschema:"nullable"`
	// Violation is 0 when every constraint held.
	Violation float64 `json:"violation"`
	// Objectives are each objective's value, oriented so that higher is
	// better and divided by its scale; absent when one was not finite.
	Objectives []float64 `json:"objectives,omitempty"`
}
