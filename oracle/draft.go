package oracle

// Prose is the free text of a proposal's post: the part a drafter writes.
// Everything else in a proposal (the parameter table, the on-chain
// specification, the next steps, the disclaimer and the whole appendix) is
// rendered from the Recommendation, never taken from a drafter, so a
// drafter can get a sentence wrong but never a value that is enacted.
//
// The Template writes Prose deterministically; an LLM drafter writes it
// with numbers as references to facts (see Facts) that attune renders and
// verifies before the Prose is used.
type Prose struct {
	// Title is the proposal's title, one line.
	Title string `json:"title"`
	// Opening is one sentence: what the proposal changes and why.
	Opening string `json:"opening"`
	// Motivation says from the data what the change addresses, e.g. the
	// share of proposals that failed to reach quorum.
	Motivation string `json:"motivation"`
	// Effects names the two or three effects that matter, with their
	// intervals in plain words.
	Effects string `json:"effects"`
	// TradeOff says what the change gives up or makes worse, or that
	// nothing measured gets worse.
	TradeOff string `json:"trade_off"`
}

// Usage counts the tokens a drafter spent and what they cost.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Requests is the number of completion requests made, retries
	// included.
	Requests int `json:"requests"`
	// CostUSD is the cost at the configured prices; 0 when none is set.
	CostUSD float64 `json:"cost_usd"`
}

// Finding is one thing a verifier found wrong with a draft.
type Finding struct {
	// Field is the Prose field the finding is in ("opening", "effects"...).
	Field string `json:"field"`
	// Kind is one of the Finding* constants.
	Kind string `json:"kind"`
	// Text is the offending text, as written.
	Text string `json:"text"`
	// Detail says what is wrong and what would be right.
	Detail string `json:"detail"`
}

// Kinds of Finding.
const (
	// FindingUnknownNumber: a literal number matches no fact.
	FindingUnknownNumber = "unknown_number"
	// FindingUnknownFact: a reference names no fact.
	FindingUnknownFact = "unknown_fact"
	// FindingChangedValue: a number is near a fact but outside its rounding.
	FindingChangedValue = "changed_value"
	// FindingMissingParam: a changed parameter is never mentioned.
	FindingMissingParam = "missing_param"
	// FindingUnknownParam: a parameter name that the recommendation does
	// not hold.
	FindingUnknownParam = "unknown_param"
	// FindingDirection: a claimed direction (rises, falls) that the
	// interval does not support.
	FindingDirection = "direction"
	// FindingCertainty: a claim of certainty (will, guarantees) about an
	// estimate whose interval spans zero, or about any simulated effect.
	FindingCertainty = "certainty"
	// FindingMalformed: a field is empty, too long or not plain text.
	FindingMalformed = "malformed"
)

// Verification is the result of checking a draft against its facts.
type Verification struct {
	Passed   bool      `json:"passed"`
	Findings []Finding `json:"findings,omitempty"`
}

// DraftMeta records how a proposal's prose was written.
type DraftMeta struct {
	// Drafter is "template" or the provider that wrote the prose
	// ("openai").
	Drafter string `json:"drafter"`
	// Model and PromptVersion identify an LLM draft.
	Model         string `json:"model,omitempty"`
	PromptVersion string `json:"prompt_version,omitempty"`
	Language      string `json:"language,omitempty"`
	Usage         *Usage `json:"usage,omitempty"`
	// Verification is the verifier's result on the draft that was used
	// (after the repair round, when there was one); Repaired says a repair
	// round ran.
	Verification *Verification `json:"verification,omitempty"`
	Repaired     bool          `json:"repaired,omitempty"`
	// FellBack says the LLM's draft was not used and the template's was;
	// FallbackReason says why.
	FellBack       bool   `json:"fell_back,omitempty"`
	FallbackReason string `json:"fallback_reason,omitempty"`
	// InputHash is the SHA-256 of the drafter's inputs (facts, prompt
	// version, model, language): equal hashes give equal drafts, and a
	// cached draft is reused.
	InputHash string `json:"input_hash,omitempty"`
	// Cached says the prose came from the drafter's cache: no request was
	// made for this draft, and Usage is what the cached draft cost when it
	// was written.
	Cached bool `json:"cached,omitempty"`
}
