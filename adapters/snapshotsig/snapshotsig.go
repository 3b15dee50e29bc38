// Package snapshotsig is the "snapshot" sink: it prepares the EIP-712
// typed-data message of a Snapshot proposal, exactly as snapshot.js signs
// one, for a steward to sign in a wallet, with its hash. It holds no key
// and sends nothing: the file it writes is what a wallet signs
// (eth_signTypedData_v4) and what the steward, with the signature, posts
// to Snapshot's sequencer.
//
// The message follows snapshot-labs/snapshot.js src/sign: the domain
// {name: "snapshot", version: "0.1.4"} (no chainId, no contract), the
// Proposal type's fifteen fields in their order (types.ts
// proposalTypes), and the defaults Client.proposal fills in (labels [],
// discussion, app and privacy ""). Snapshot's sequencer
// (snapshot-labs/snapshot-sequencer src/ingestor.ts) refuses a message
// whose timestamp is more than 6 days old or 5 minutes ahead, whose
// types' SHA-256 is not one snapshot.js lists, or whose envelope exceeds
// 100,000 characters; a space with a voting delay or period requires
// start = timestamp + delay and end − start = period exactly.
package snapshotsig

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/internal/outfile"
	"github.com/attune-dao/attune/internal/evm"
)

// Type is the sink's type name in the config.
const Type = "snapshot"

// File is the file the sink writes in the cycle's directory.
const File = "snapshot-proposal.json"

// DefaultDir is where the file goes when dir is not set, relative to the
// config file's directory.
const DefaultDir = "proposals"

func init() {
	adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} })
}

// Domain returns the domain snapshot.js signs with (src/sign/index.ts).
func Domain() map[string]any { return map[string]any{"name": "snapshot", "version": "0.1.4"} }

// ProposalTypes returns the Proposal type snapshot.js signs
// (src/sign/types.ts proposalTypes, as of commit 53cebaa4, 2025-12-04).
func ProposalTypes() []evm.TypedField {
	return []evm.TypedField{
		{Name: "from", Type: "string"},
		{Name: "space", Type: "string"},
		{Name: "timestamp", Type: "uint64"},
		{Name: "type", Type: "string"},
		{Name: "title", Type: "string"},
		{Name: "body", Type: "string"},
		{Name: "discussion", Type: "string"},
		{Name: "choices", Type: "string[]"},
		{Name: "labels", Type: "string[]"},
		{Name: "start", Type: "uint64"},
		{Name: "end", Type: "uint64"},
		{Name: "snapshot", Type: "uint64"},
		{Name: "plugins", Type: "string"},
		{Name: "privacy", Type: "string"},
		{Name: "app", Type: "string"},
	}
}

// domainTypes is the EIP712Domain type of Domain.
func domainTypes() []evm.TypedField {
	return []evm.TypedField{{Name: "name", Type: "string"}, {Name: "version", Type: "string"}}
}

// Limits of snapshot.js's proposal schema (src/schemas/proposal.json) and
// the sequencer.
const (
	maxTitle      = 256
	maxChoice     = 256
	maxDiscussion = 256
	maxApp        = 24
	maxLabels     = 10
	// maxEnvelope is the sequencer's limit on the posted envelope's JSON
	// (1e5 characters), less room for the address and a signature.
	maxEnvelope = 100000 - 512
)

// proposalTypes are the voting types the schema accepts.
var proposalTypes = []string{"single-choice", "approval", "ranked-choice", "quadratic", "copeland", "weighted", "custom", "basic"}

var labelRE = regexp.MustCompile(`^[a-zA-Z0-9]{1,8}$`)

// Config is the snapshot sink's section of the config.
type Config struct {
	// Space is the Snapshot space's id ("ens.eth").
	Space string `yaml:"space"`
	// From is the author's address: the account that signs.
	From string `yaml:"from"`
	// Type is the voting type; default single-choice.
	Type string `yaml:"type"`
	// Choices default to For, Against, Abstain.
	Choices []string `yaml:"choices"`
	// Labels are the space's label ids to attach (optional).
	Labels []string `yaml:"labels"`
	// VotingPeriodDays is the time from start to end; it must equal the
	// space's voting period when the space fixes one. Default 7.
	VotingPeriodDays float64 `yaml:"voting_period_days"`
	// StartDelayHours is the time from the message's timestamp to start;
	// it must equal the space's voting delay when the space fixes one.
	// Default 0.
	StartDelayHours float64 `yaml:"start_delay_hours"`
	// SnapshotBlock is the block whose balances count, in decimal, or
	// "latest" (the default): left for the steward to fill in before
	// signing, since the hash depends on it.
	SnapshotBlock string `yaml:"snapshot_block"`
	// Discussion is the link to the forum discussion (optional).
	Discussion string `yaml:"discussion"`
	// App names the client in the message; default "attune".
	App string `yaml:"app"`
	// Dir is where the cycle's directory is written; default DefaultDir.
	Dir string `yaml:"dir"`
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.Type == "" {
		d.Type = "single-choice"
	}
	if d.Choices == nil {
		d.Choices = []string{"For", "Against", "Abstain"}
	}
	if d.Labels == nil {
		d.Labels = []string{}
	}
	if d.VotingPeriodDays == 0 {
		d.VotingPeriodDays = 7
	}
	if d.SnapshotBlock == "" {
		d.SnapshotBlock = "latest"
	}
	if d.App == "" {
		d.App = "attune"
	}
	if d.Dir == "" {
		d.Dir = DefaultDir
	}
	return d
}

// Check reports values Snapshot would refuse.
func (c *Config) Check() []adapters.FieldError {
	d := c.withDefaults()
	var errs []adapters.FieldError
	add := func(field, msg string, args ...any) {
		errs = append(errs, adapters.FieldError{Field: field, Msg: fmt.Sprintf(msg, args...)})
	}
	if strings.TrimSpace(d.Space) == "" || strings.ContainsAny(d.Space, " \t\n") {
		add("space", "is not set or has spaces; give the Snapshot space id, e.g. ens.eth")
	}
	if d.From == "" {
		add("from", "is not set; give the address that will sign the proposal")
	} else if _, err := evm.ParseAddress(d.From); err != nil {
		add("from", "%v", err)
	}
	if !contains(proposalTypes, d.Type) {
		add("type", "%q is not a Snapshot voting type; use one of %s", d.Type, strings.Join(proposalTypes, ", "))
	}
	if len(d.Choices) == 0 {
		add("choices", "is empty; give at least one choice")
	}
	for i, ch := range d.Choices {
		if ch == "" || len(ch) > maxChoice {
			add(fmt.Sprintf("choices[%d]", i), "must have 1 to %d characters", maxChoice)
		}
	}
	if d.Type == "basic" && len(d.Choices) != 2 && len(d.Choices) != 3 {
		add("choices", "basic voting takes 2 or 3 choices (For, Against and optionally Abstain), not %d", len(d.Choices))
	}
	seen := map[string]bool{}
	for i, l := range d.Labels {
		if !labelRE.MatchString(l) || seen[l] {
			add(fmt.Sprintf("labels[%d]", i), "%q: a label id is 1 to 8 letters or digits, each listed once", l)
		}
		seen[l] = true
	}
	if len(d.Labels) > maxLabels {
		add("labels", "has %d labels; Snapshot takes at most %d", len(d.Labels), maxLabels)
	}
	if !(d.VotingPeriodDays > 0) || d.VotingPeriodDays > 365 || math.IsInf(d.VotingPeriodDays, 0) {
		add("voting_period_days", "%v; want more than 0 and at most 365 days", d.VotingPeriodDays)
	}
	if d.StartDelayHours < 0 || d.StartDelayHours > 24*365 || math.IsNaN(d.StartDelayHours) {
		add("start_delay_hours", "%v; want 0 to 8760 hours", d.StartDelayHours)
	}
	if d.SnapshotBlock != "latest" {
		if n, err := strconv.ParseUint(d.SnapshotBlock, 10, 64); err != nil || n == 0 {
			add("snapshot_block", "%q; want a block number or latest", d.SnapshotBlock)
		}
	}
	if len(d.Discussion) > maxDiscussion {
		add("discussion", "has %d characters; Snapshot takes at most %d", len(d.Discussion), maxDiscussion)
	} else if d.Discussion != "" && !strings.HasPrefix(d.Discussion, "https://") && !strings.HasPrefix(d.Discussion, "http://") {
		add("discussion", "%q is not a link; give the forum topic's URL", d.Discussion)
	}
	if len(d.App) > maxApp {
		add("app", "has %d characters; Snapshot takes at most %d", len(d.App), maxApp)
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// NewSink builds the sink; it fails on the values Check reports.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("snapshot sink: %w", errs[0])
	}
	d := c.withDefaults()
	from, _ := evm.ParseAddress(d.From)
	d.From = from.Hex()
	return &Sink{cfg: d, env: env}, nil
}

// Sink writes a cycle's Snapshot proposal message; it implements
// adapters.Previewer and adapters.Finder.
type Sink struct {
	cfg Config
	env adapters.Env
}

// Output is the file the sink writes.
type Output struct {
	// Key identifies the publication ("attune:<cycle-id>").
	Key string `json:"key"`
	// Space and From repeat the message's, for a reader.
	Space string `json:"space"`
	From  string `json:"from"`
	// Hash is the message's EIP-712 digest: what the wallet signs and
	// the id Snapshot gives the proposal. Null while Pending names a
	// field still to fill in.
	Hash *evm.Hash `json:"hash"`
	// Pending names message fields to set before signing (the snapshot
	// block when the config says latest).
	Pending []string `json:"pending,omitempty"`
	// Body says which text the body holds: "proposal" (post and
	// appendix) or "post" (the appendix left out to keep the envelope
	// within Snapshot's limit).
	Body string `json:"body"`
	// TypedData is the message in eth_signTypedData_v4's shape.
	TypedData *evm.TypedData `json:"typed_data"`
	// Note says how to sign and post it.
	Note string `json:"note"`
}

// Publish writes the cycle's file and returns the message's hash (or, for
// a message still pending, "pending:" and the key) as the receipt's id.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	dir, out, data, err := s.build(p)
	if err != nil {
		return adapters.Receipt{}, err
	}
	paths, err := outfile.Write(ctx, dir, []outfile.File{{Name: File, Data: data}})
	if err != nil {
		return adapters.Receipt{}, fmt.Errorf("snapshot sink: %w", err)
	}
	return adapters.Receipt{ID: receiptID(out), Files: paths}, nil
}

func receiptID(out Output) string {
	if out.Hash != nil {
		return out.Hash.Hex()
	}
	return "pending:" + out.Key
}

// Preview returns the file Publish would write. Its timestamp is the
// current time, so a later Publish writes a different one.
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	dir, _, data, err := s.build(p)
	if err != nil {
		return nil, err
	}
	return outfile.Preview(dir, []outfile.File{{Name: File, Data: data}}), nil
}

// Find reports the file an earlier Publish wrote for p.Key.
func (s *Sink) Find(_ context.Context, p *adapters.Publication) (adapters.Receipt, bool, error) {
	b, path, found, err := outfile.Read(s.env, s.cfg.Dir, p.CycleID, File)
	if err != nil || !found {
		return adapters.Receipt{}, false, err
	}
	var out Output
	if err := json.Unmarshal(b, &out); err != nil || out.Key != p.Key {
		return adapters.Receipt{}, false, nil
	}
	return adapters.Receipt{ID: receiptID(out), Files: []string{path}}, true, nil
}

// Message returns the Proposal message for title and body at timestamp
// (Unix seconds), with the config's fields and snapshot as the block (0
// when pending).
func (c Config) Message(title, body string, timestamp, snapshot uint64) map[string]any {
	start := timestamp + uint64(math.Round(c.StartDelayHours*3600))
	end := start + uint64(math.Round(c.VotingPeriodDays*86400))
	choices := make([]any, len(c.Choices))
	for i, ch := range c.Choices {
		choices[i] = ch
	}
	labels := make([]any, len(c.Labels))
	for i, l := range c.Labels {
		labels[i] = l
	}
	return map[string]any{
		"from": c.From, "space": c.Space, "timestamp": timestamp, "type": c.Type,
		"title": title, "body": body, "discussion": c.Discussion,
		"choices": choices, "labels": labels,
		"start": start, "end": end, "snapshot": snapshot,
		"plugins": "{}", "privacy": "", "app": c.App,
	}
}

// TypedData wraps a Proposal message in eth_signTypedData_v4's shape.
func TypedData(message map[string]any) *evm.TypedData {
	return &evm.TypedData{
		Types:       map[string][]evm.TypedField{"EIP712Domain": domainTypes(), "Proposal": ProposalTypes()},
		PrimaryType: "Proposal",
		Domain:      Domain(),
		Message:     message,
	}
}

// build makes the file for p.
func (s *Sink) build(p *adapters.Publication) (string, Output, []byte, error) {
	if p == nil || p.Proposal == nil {
		return "", Output{}, nil, fmt.Errorf("snapshot sink: the publication has no drafted proposal")
	}
	dir, err := outfile.Dir(s.env, s.cfg.Dir, p.CycleID)
	if err != nil {
		return "", Output{}, nil, fmt.Errorf("snapshot sink: %w", err)
	}
	title := p.Proposal.Title
	if title == "" || len(title) > maxTitle {
		return "", Output{}, nil, fmt.Errorf("snapshot sink: the proposal's title has %d characters; Snapshot takes 1 to %d", len(title), maxTitle)
	}
	var snapshot uint64
	var pending []string
	if s.cfg.SnapshotBlock == "latest" {
		pending = []string{"snapshot"}
	} else {
		snapshot, _ = strconv.ParseUint(s.cfg.SnapshotBlock, 10, 64)
	}
	now := s.env.Clock().Unix()
	if now < 0 {
		return "", Output{}, nil, fmt.Errorf("snapshot sink: the clock reads before 1970")
	}
	timestamp := uint64(now)
	out := Output{Key: p.Key, Space: s.cfg.Space, From: s.cfg.From, Pending: pending, Body: "proposal"}
	body := p.Proposal.Markdown
	if body == "" {
		body, out.Body = p.Proposal.Post, "post"
	}
	td := TypedData(s.cfg.Message(title, body, timestamp, snapshot))
	if size, err := envelopeSize(td); err != nil {
		return "", Output{}, nil, err
	} else if size > maxEnvelope && out.Body == "proposal" {
		td.Message["body"] = p.Proposal.Post
		out.Body = "post"
	}
	if size, _ := envelopeSize(td); size > maxEnvelope {
		return "", Output{}, nil, fmt.Errorf("snapshot sink: the message takes %d characters even without the appendix; Snapshot accepts at most 100,000", size)
	}
	if len(pending) == 0 {
		h, err := td.Digest()
		if err != nil {
			return "", Output{}, nil, fmt.Errorf("snapshot sink: %w", err)
		}
		out.Hash = &h
	}
	out.TypedData = td
	out.Note = note(s.cfg, pending)
	data, err := outfile.JSON(out)
	if err != nil {
		return "", Output{}, nil, err
	}
	return dir, out, data, nil
}

func note(c Config, pending []string) string {
	n := "Sign typed_data with eth_signTypedData_v4 from " + c.From + " within 6 days of its timestamp (Snapshot refuses older messages), " +
		"then post {address, sig, data: {domain, types, message}} to Snapshot's sequencer, types without EIP712Domain, as snapshot.js does; hash is the proposal's id there. " +
		"start and end follow from the timestamp: a space with a fixed voting delay or period accepts only start = timestamp + delay and end - start = period."
	if len(pending) > 0 {
		n = "Set message.snapshot to the block to count balances at (the latest block of the space's network when signing) and recompute the hash; then " + strings.ToLower(n[:1]) + n[1:]
	}
	return n
}

// envelopeSize is the length of the typed data's compact JSON: a bound on
// what the sequencer counts (UTF-16 code units, never more than UTF-8
// bytes).
func envelopeSize(td *evm.TypedData) (int, error) {
	b, err := json.Marshal(td)
	return len(b), err
}
