// Package safe is the "safe" sink: it prepares, for a steward to sign in
// a Safe (or any wallet), the calls that enact an approved
// recommendation, and holds no key.
//
// It writes, in <dir>/<cycle-id>/:
//   - safe-batch.json: a Safe{Wallet} Transaction Builder batch whose
//     transactions call the governor's own setters (OpenZeppelin
//     setVotingDelay, setVotingPeriod, setProposalThreshold,
//     updateQuorumNumerator, setLateQuorumVoteExtension; GovernorBravo
//     _setVotingDelay, _setVotingPeriod, _setProposalThreshold; whatever
//     Recommendation.Onchain names) with their ABI-encoded calldata and the
//     batch checksum the app verifies on import. The setters are
//     onlyGovernance: executed directly they succeed only from the
//     governor's executor, so this batch is for a Safe that is one;
//   - governor-proposal.json, for governors proposed to by propose
//     (OpenZeppelin, Arbitrum, GovernorBravo, Nouns): the propose call
//     that makes those calls by a vote, with the description hash and,
//     for OpenZeppelin, the proposal id;
//   - safe-propose-batch.json: that propose call as a batch, for a Safe
//     that holds the votes to propose.
//
// The integers come from Recommendation.Onchain, already in the
// governor's clock and units; this package only encodes them.
package safe

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/internal/outfile"
	"github.com/attune-dao/attune/internal/evm"
)

// Type is the sink's type name in the config.
const Type = "safe"

// The files the sink writes.
const (
	BatchFile        = "safe-batch.json"
	ProposalFile     = "governor-proposal.json"
	ProposeBatchFile = "safe-propose-batch.json"
)

// DefaultDir is where the files go when dir is not set, relative to the
// config file's directory.
const DefaultDir = "proposals"

func init() {
	adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} })
}

// Config is the safe sink's section of the config.
type Config struct {
	// ChainID is the chain the governor lives on (1 for Ethereum).
	ChainID uint64 `yaml:"chain_id"`
	// Safe is the Safe the batch is made for (its createdFromSafeAddress).
	Safe string `yaml:"safe"`
	// Owner is the Safe owner preparing it (createdFromOwnerAddress);
	// optional, as in batches the app exports.
	Owner string `yaml:"owner"`
	// BatchName names the batch in the app; default "attune <DAO>
	// <cycle-id>". (The sink's own name, the common key "name", is not
	// part of this section.)
	BatchName string `yaml:"batch_name"`
	// Dir is where the cycle's directory is written, relative to the
	// config file; default DefaultDir.
	Dir string `yaml:"dir"`
}

// Check reports missing or malformed values.
func (c *Config) Check() []adapters.FieldError {
	var errs []adapters.FieldError
	if c.ChainID == 0 {
		errs = append(errs, adapters.FieldError{Field: "chain_id", Msg: "is not set; give the governor's chain id (1 for Ethereum mainnet)"})
	}
	if c.Safe == "" {
		errs = append(errs, adapters.FieldError{Field: "safe", Msg: "is not set; give the Safe's address (0x followed by 40 hex digits)"})
	} else if _, err := evm.ParseAddress(c.Safe); err != nil {
		errs = append(errs, adapters.FieldError{Field: "safe", Msg: err.Error()})
	}
	if c.Owner != "" {
		if _, err := evm.ParseAddress(c.Owner); err != nil {
			errs = append(errs, adapters.FieldError{Field: "owner", Msg: err.Error()})
		}
	}
	return errs
}

// NewSink builds the sink; it fails on the values Check reports.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("safe sink: %w", errs[0])
	}
	safe, _ := evm.ParseAddress(c.Safe)
	owner := ""
	if c.Owner != "" {
		o, _ := evm.ParseAddress(c.Owner)
		owner = o.Hex()
	}
	dir := c.Dir
	if dir == "" {
		dir = DefaultDir
	}
	return &Sink{chainID: strconv.FormatUint(c.ChainID, 10), safe: safe.Hex(), owner: owner, name: c.BatchName, dir: dir, env: env}, nil
}

// Sink writes a cycle's Safe batch and governor proposal; it implements
// adapters.Previewer and adapters.Finder.
type Sink struct {
	chainID, safe, owner, name, dir string
	env                             adapters.Env
}

// NothingToEnact is the Receipt ID of a publication with no call to
// make: no change, or only changes no call can make. No file is written.
const NothingToEnact = "nothing-to-enact"

// Publish writes the cycle's files and returns the batch checksum as the
// receipt's id. Writing again rewrites the same bytes.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	dir, files, id, err := s.build(p)
	if err != nil {
		return adapters.Receipt{}, err
	}
	if len(files) == 0 {
		return adapters.Receipt{ID: id}, nil
	}
	paths, err := outfile.Write(ctx, dir, files)
	if err != nil {
		return adapters.Receipt{}, fmt.Errorf("safe sink: %w", err)
	}
	return adapters.Receipt{ID: id, Files: paths}, nil
}

// Preview returns the files Publish would write, without writing them.
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	dir, files, _, err := s.build(p)
	if err != nil {
		return nil, err
	}
	return outfile.Preview(dir, files), nil
}

// Find reports the batch an earlier Publish wrote for p: the cycle's
// batch file, when its description carries p.Key.
func (s *Sink) Find(_ context.Context, p *adapters.Publication) (adapters.Receipt, bool, error) {
	b, path, found, err := outfile.Read(s.env, s.dir, p.CycleID, BatchFile)
	if err != nil || !found {
		return adapters.Receipt{}, false, err
	}
	var batch Batch
	if err := json.Unmarshal(b, &batch); err != nil || !strings.HasPrefix(batch.Meta.Description, p.Key+" ") {
		return adapters.Receipt{}, false, nil
	}
	r := adapters.Receipt{ID: batch.Meta.Checksum, Files: []string{path}}
	for _, name := range []string{ProposalFile, ProposeBatchFile} {
		if _, other, ok, _ := outfile.Read(s.env, s.dir, p.CycleID, name); ok {
			r.Files = append(r.Files, other)
		}
	}
	return r, true, nil
}

// build makes the files for p: the directory, the files and the
// receipt id (the batch checksum, or NothingToEnact with no files).
func (s *Sink) build(p *adapters.Publication) (string, []outfile.File, string, error) {
	if p == nil || p.Recommendation == nil {
		return "", nil, "", fmt.Errorf("safe sink: the publication has no recommendation")
	}
	rec := p.Recommendation
	dir, err := outfile.Dir(s.env, s.dir, p.CycleID)
	if err != nil {
		return "", nil, "", fmt.Errorf("safe sink: %w", err)
	}
	calls, without, err := Calls(rec.Onchain)
	if err != nil {
		return "", nil, "", fmt.Errorf("safe sink: recommendation %s: %w", p.CycleID, err)
	}
	if len(calls) == 0 {
		return dir, nil, NothingToEnact, nil
	}
	created := rec.Date
	if created.IsZero() {
		created = s.env.Clock()
	}
	name := s.name
	if name == "" {
		name = "attune " + p.DAO + " " + p.CycleID
	}
	title := ""
	if p.Proposal != nil {
		title = p.Proposal.Title
	}
	var steps []string
	batch := Batch{Version: "1.0", ChainID: s.chainID, CreatedAt: created.UnixMilli(),
		Meta: Meta{Name: name, TxBuilderVersion: TxBuilderVersion, CreatedFromSafeAddress: s.safe, CreatedFromOwnerAddress: s.owner}}
	for _, c := range calls {
		batch.Transactions = append(batch.Transactions, c.Transaction())
		steps = append(steps, fmt.Sprintf("%s(%s) on %s: %s", c.Signature.Name, c.Arg, c.To.Hex(), c.Meaning))
	}
	batch.Meta.Description = p.Key + " " + title + ". Calls: " + strings.Join(steps, "; ")
	for _, w := range without {
		batch.Meta.Description += fmt.Sprintf(". Not made by a call: %s (%s)", w.Param, w.Needs)
	}
	data, err := batch.Seal()
	if err != nil {
		return "", nil, "", fmt.Errorf("safe sink: %w", err)
	}
	files := []outfile.File{{Name: BatchFile, Data: data}}

	style := StyleFor(rec.Method.Governor)
	if style == "" && rec.Method.Governor == "" {
		style = StyleOZ
		if strings.HasPrefix(calls[0].Signature.Name, "_") {
			style = StyleBravo
		}
	}
	if style == "" || p.Proposal == nil {
		return dir, files, batch.Meta.Checksum, nil
	}
	prop, err := Propose(style, calls, Description(p.Proposal.Title, p.Proposal.Post), s.chainID, p.Key)
	if err != nil {
		return "", nil, "", fmt.Errorf("safe sink: governor proposal: %w", err)
	}
	pdata, err := outfile.JSON(prop)
	if err != nil {
		return "", nil, "", err
	}
	pb := Batch{Version: "1.0", ChainID: s.chainID, CreatedAt: created.UnixMilli(),
		Meta: Meta{Name: name + " (propose)", Description: p.Key + " " + title + ". Propose on " + prop.Governor,
			TxBuilderVersion: TxBuilderVersion, CreatedFromSafeAddress: s.safe, CreatedFromOwnerAddress: s.owner},
		Transactions: []Transaction{prop.Transaction()}}
	pbdata, err := pb.Seal()
	if err != nil {
		return "", nil, "", err
	}
	files = append(files, outfile.File{Name: ProposalFile, Data: pdata}, outfile.File{Name: ProposeBatchFile, Data: pbdata})
	return dir, files, batch.Meta.Checksum, nil
}

// Description is a governor proposal's text: the post, which opens with
// its title as a Markdown heading (the first line is the title Tally and
// explorers show); a post without one gets "# title" first.
func Description(title, post string) string {
	if strings.HasPrefix(post, "# ") || title == "" {
		return post
	}
	return "# " + title + "\n\n" + post
}
