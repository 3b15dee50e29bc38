package loop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/internal/atomicfile"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

// The files publishing keeps in a cycle's directory. Cycle.Write carries
// them over when a cycle is written again.
const (
	// PublishedDir holds one record per sink (<name>.json): the intent
	// written before sending, then the receipt, or the failure.
	PublishedDir = "published"
	// ApprovalFile lists every act of publishing the cycle
	// (schema.Approval): who approved, when, what.
	ApprovalFile = "approval.json"
)

// Publishing's errors, wrapped by Publish's.
var (
	// ErrNoChange: the recommendation changes nothing, and
	// PublishOptions.Force was not given.
	ErrNoChange = errors.New("the recommendation changes nothing")
	// ErrNoSink: the config names no sink, or not the one asked for.
	ErrNoSink = errors.New("no such sink")
)

// PublishOptions say where and how to publish a cycle.
type PublishOptions struct {
	// Sinks are the names of the sinks to publish to, all the config's
	// when empty.
	Sinks []string
	// DryRun previews what each sink would send; nothing is sent or
	// recorded.
	DryRun bool
	// Force publishes a recommendation that changes nothing.
	Force bool
	// Approver is who approves the publication (required unless DryRun).
	Approver string
	// Version is attune's, recorded with the approval and each receipt.
	Version string
	// Config, when set, names the sinks instead of the cycle's own
	// config.yaml; ConfigDir is its directory, against which the sinks'
	// relative paths resolve.
	Config    *config.Config
	ConfigDir string
	// Env is what the sinks may use; Dir is set from the config's
	// directory, Getenv defaults to os.Getenv.
	Env adapters.Env
}

// publishRecord is a sink's record in PublishedDir.
type publishRecord struct {
	Sink string `json:"sink"`
	Type string `json:"type"`
	Key  string `json:"key"`
	// State is "sending" (the intent, written before sending: a record
	// left in it means attune stopped before the answer), "failed" or
	// "published".
	State    string    `json:"state"`
	Attempts int       `json:"attempts"`
	Started  time.Time `json:"started"`
	// Published and Receipt are set once published; Found says the
	// receipt came from the sink's Finder after an unrecorded attempt.
	Published *time.Time        `json:"published,omitempty"`
	Receipt   *adapters.Receipt `json:"receipt,omitempty"`
	Found     bool              `json:"found,omitempty"`
	// Error is the last failure; NotSent says it surely published
	// nothing (adapters.IsNotSent).
	Error    string `json:"error,omitempty"`
	NotSent  bool   `json:"not_sent,omitempty"`
	Approver string `json:"approver"`
	// ProposalSHA256 is the SHA-256 of the proposal.json sent.
	ProposalSHA256 string `json:"proposal_sha256"`
	Version        string `json:"version"`
}

const (
	stateSending   = "sending"
	stateFailed    = "failed"
	statePublished = "published"
)

// cycleFiles is a cycle directory read for publishing.
type cycleFiles struct {
	pub                 *adapters.Publication
	proposalSum, recSum string
}

// ReadPublication reads a cycle directory that Cycle.Write wrote into
// the publication its sinks receive: the recommendation, the proposal
// (proposal.json, which must agree with proposal.md: a proposal edited
// by hand after drafting is refused) and the charts (the PNG files at the
// top of the directory). Its Key is "attune:<cycle-id>".
func ReadPublication(dir string) (*adapters.Publication, error) {
	cf, err := readCycle(dir)
	if err != nil {
		return nil, err
	}
	return cf.pub, nil
}

func readCycle(dir string) (*cycleFiles, error) {
	recPath := filepath.Join(dir, "recommendation.json")
	recData, err := os.ReadFile(recPath)
	if err != nil {
		return nil, fmt.Errorf("read cycle: %w", err)
	}
	rec, err := decodeRecommendation(recData, recPath)
	if err != nil {
		return nil, err
	}
	docPath := filepath.Join(dir, "proposal.json")
	docData, err := os.ReadFile(docPath)
	if err != nil {
		return nil, fmt.Errorf("read cycle: %w", err)
	}
	var doc oracle.ProposalDocument
	if err := json.Unmarshal(docData, &doc); err != nil || doc.Schema != oracle.DocumentSchema {
		return nil, fmt.Errorf("read cycle: %s is not a proposal document (%s): %v", docPath, oracle.DocumentSchema, err)
	}
	if doc.CycleID != rec.CycleID {
		return nil, fmt.Errorf("read cycle: %s is of cycle %s, recommendation.json of %s; run attune draft --cycle %s to draft it again", docPath, doc.CycleID, rec.CycleID, dir)
	}
	if strings.TrimSpace(doc.Title) == "" || !utf8.ValidString(doc.Post+doc.Appendix) {
		return nil, fmt.Errorf("read cycle: %s has no title or is not UTF-8", docPath)
	}
	p := oracle.Proposal{Title: doc.Title, Post: doc.Post, Appendix: doc.Appendix, Markdown: doc.Post + oracle.Separator + doc.Appendix,
		Drafter: doc.Drafter.Drafter, Meta: doc.Drafter}
	md, err := os.ReadFile(filepath.Join(dir, "proposal.md"))
	if err != nil {
		return nil, fmt.Errorf("read cycle: %w", err)
	}
	if string(md) != p.Markdown {
		return nil, fmt.Errorf("read cycle: %s differs from the proposal in proposal.json (edited by hand?); attune publishes the proposal it drafted and verified: undo the edit, or draft again with attune draft --cycle %s", filepath.Join(dir, "proposal.md"), dir)
	}
	pub := &adapters.Publication{CycleID: rec.CycleID, DAO: rec.DAO, Key: "attune:" + rec.CycleID, Recommendation: &rec, Proposal: &p}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read cycle: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".png") {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read cycle: %w", err)
			}
			pub.Files = append(pub.Files, adapters.File{Name: e.Name(), ContentType: "image/png", Data: data})
		}
	}
	return &cycleFiles{pub: pub, proposalSum: hashHex(docData), recSum: hashHex(recData)}, nil
}

// sinkSet is the sinks chosen for a publish, built.
type sinkSet struct {
	decoded []configuredSink
	sinks   []adapters.Sink
}

// buildSinks decodes the config's sinks, keeps those named (all when
// none are), in the config's order, and builds them: their secrets are
// read now, so that a missing one stops the publish before anything is
// sent.
func buildSinks(cfg *config.Config, names []string, env adapters.Env) (*sinkSet, error) {
	all, err := decodeSinks(cfg)
	if err != nil {
		return nil, err
	}
	var known []string
	for _, s := range all {
		known = append(known, s.name)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: the cycle's config names no sinks; add one under sinks: (attune help publish)", ErrNoSink)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("%w: %q; the config names %s", ErrNoSink, n, strings.Join(known, ", "))
		}
	}
	set := &sinkSet{}
	for _, s := range all {
		if len(names) > 0 && !slices.Contains(names, s.name) {
			continue
		}
		sink, err := s.cfg.NewSink(env)
		if err != nil {
			return nil, fmt.Errorf("sink %s (%s): %w", s.name, s.typ, err)
		}
		set.decoded = append(set.decoded, s)
		set.sinks = append(set.sinks, sink)
	}
	return set, nil
}

// Publish publishes the cycle in dir to its sinks: the steward's act of
// approval (recorded in ApprovalFile). Each sink publishes at most once
// per cycle: a sink already published is not sent again; before sending,
// an intent is recorded, and after the answer the receipt or the
// failure (PublishedDir/<name>.json, each written atomically). A sink
// whose earlier attempt left its outcome unknown (attune stopped, or the
// answer was lost) is asked to find that publication (adapters.Finder)
// instead of sending again; one without a Finder is reported unresolved,
// with how to resolve it. A failing sink does not stop the others.
// Publishing holds the out directory's lock, as Cycle.Write and Redraft
// do.
//
// The returned document says what became of each sink; the error (with
// a document) joins the sinks' failures. A recommendation that changes
// nothing is refused unless Force (ErrNoChange): publishing asks the
// DAO to act, and a Snapshot vote or a Safe batch of no change is not a
// thing to sign.
func Publish(ctx context.Context, dir string, opt PublishOptions) (*schema.PublishDoc, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	cf, err := readCycle(abs)
	if err != nil {
		return nil, err
	}
	p := cf.pub
	if !p.Recommendation.Change && !opt.Force {
		return nil, fmt.Errorf("%w (%s: %s); publishing asks the DAO to act, so there is nothing to publish. To post it anyway, say for the record that the parameters stay, publish with --force", ErrNoChange, p.Recommendation.Basis, p.Recommendation.Reason)
	}
	if !opt.DryRun && strings.TrimSpace(opt.Approver) == "" {
		return nil, errors.New("publish: no approver: publishing is a steward's approval; say who approves (--approver NAME)")
	}
	cfg, cfgDir := opt.Config, opt.ConfigDir
	if cfg == nil {
		cfgDir = abs
		if cfg, err = config.Load(config.LoadOptions{File: filepath.Join(abs, "config.yaml")}); err != nil {
			return nil, err
		}
	}
	env := opt.Env
	env.Dir = cfgDir
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	set, err := buildSinks(cfg, opt.Sinks, env)
	if err != nil {
		return nil, err
	}
	doc := &schema.PublishDoc{Schema: schema.Publish, CycleID: p.CycleID, Dir: abs, Key: p.Key, DryRun: opt.DryRun, Sinks: []schema.SinkResult{}}
	if opt.DryRun {
		return doc, preview(ctx, set, p, doc)
	}
	unlock, err := lockDir(filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	defer unlock()
	// Read again under the lock: a cycle written or redrafted meanwhile
	// is published as it now stands.
	if cf, err = readCycle(abs); err != nil {
		return nil, err
	}
	p = cf.pub
	approval := schema.Approval{Approver: strings.TrimSpace(opt.Approver), Time: env.Clock().UTC(), Version: opt.Version,
		ProposalSHA256: cf.proposalSum, RecommendationSHA256: cf.recSum}
	for _, s := range set.decoded {
		approval.Sinks = append(approval.Sinks, s.name)
	}
	if err := appendApproval(abs, approval); err != nil {
		return nil, err
	}
	doc.Approval = &approval
	pubDir := filepath.Join(abs, PublishedDir)
	if err := os.MkdirAll(pubDir, 0o755); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	pb := &publisher{dir: pubDir, p: p, approval: approval, env: env}
	var failures []error
	for i, s := range set.decoded {
		if err := ctx.Err(); err != nil {
			// Stopped: the sinks not begun are left for the next publish.
			failures = append(failures, err)
			break
		}
		p.Links = pb.links(set.decoded[:i])
		res, err := pb.one(ctx, s, set.sinks[i])
		doc.Sinks = append(doc.Sinks, res)
		if err != nil {
			failures = append(failures, fmt.Errorf("sink %s: %w", s.name, err))
		}
	}
	return doc, errors.Join(failures...)
}

// preview fills doc with what each sink would send.
func preview(ctx context.Context, set *sinkSet, p *adapters.Publication, doc *schema.PublishDoc) error {
	var failures []error
	for i, s := range set.decoded {
		res := schema.SinkResult{Name: s.name, Type: s.typ, Status: schema.StatusDryRun}
		pv, ok := set.sinks[i].(adapters.Previewer)
		if !ok {
			err := fmt.Errorf("a %s sink cannot preview what it would send", s.typ)
			res.Status, res.Error = schema.StatusFailed, err.Error()
			failures = append(failures, fmt.Errorf("sink %s: %w", s.name, err))
		} else if out, err := pv.Preview(ctx, p); err != nil {
			res.Status, res.Error = schema.StatusFailed, err.Error()
			failures = append(failures, fmt.Errorf("sink %s: %w", s.name, err))
		} else {
			for _, o := range out {
				og := schema.Outgoing{Target: o.Target, ContentType: o.ContentType, Bytes: len(o.Body)}
				if utf8.Valid(o.Body) && !strings.HasPrefix(o.ContentType, "image/") {
					og.Body = string(o.Body)
				}
				res.Outgoing = append(res.Outgoing, og)
			}
		}
		doc.Sinks = append(doc.Sinks, res)
	}
	return errors.Join(failures...)
}

// publisher publishes one publication to sinks in turn.
type publisher struct {
	dir      string
	p        *adapters.Publication
	approval schema.Approval
	env      adapters.Env
}

func (pb *publisher) path(name string) string { return filepath.Join(pb.dir, name+".json") }

// read returns a sink's record, nil when it has none.
func (pb *publisher) read(name string) (*publishRecord, error) {
	b, err := os.ReadFile(pb.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	var r publishRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("publish: the record %s does not read (%v); if that sink did not publish, delete the file and publish again", pb.path(name), err)
	}
	return &r, nil
}

func (pb *publisher) write(r *publishRecord) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("publish: encode the record: %w", err)
	}
	if err := atomicfile.WriteFile(pb.path(r.Sink), append(b, '\n')); err != nil {
		return fmt.Errorf("publish: record %s: %w", r.Sink, err)
	}
	return nil
}

// links are where the sinks before this one have published.
func (pb *publisher) links(before []configuredSink) []adapters.Link {
	var out []adapters.Link
	for _, s := range before {
		if r, err := pb.read(s.name); err == nil && r != nil && r.State == statePublished && r.Receipt != nil && r.Receipt.URL != "" {
			out = append(out, adapters.Link{Sink: s.name, Type: s.typ, URL: r.Receipt.URL})
		}
	}
	return out
}

// result is a record as a SinkResult.
func result(r *publishRecord, status string) schema.SinkResult {
	res := schema.SinkResult{Name: r.Sink, Type: r.Type, Status: status, PublishedAt: r.Published}
	if r.Receipt != nil {
		res.ID, res.URL, res.Files = r.Receipt.ID, r.Receipt.URL, r.Receipt.Files
	}
	return res
}

// one publishes to one sink, at most once.
func (pb *publisher) one(ctx context.Context, s configuredSink, sink adapters.Sink) (schema.SinkResult, error) {
	failed := func(err error) (schema.SinkResult, error) {
		return schema.SinkResult{Name: s.name, Type: s.typ, Status: schema.StatusFailed, Error: err.Error()}, err
	}
	rec, err := pb.read(s.name)
	if err != nil {
		return failed(err)
	}
	if rec != nil && rec.Key != pb.p.Key {
		return failed(fmt.Errorf("the record %s is of %s, not %s; it belongs to another cycle's directory", pb.path(s.name), rec.Key, pb.p.Key))
	}
	if rec != nil && rec.State == statePublished {
		return result(rec, schema.StatusAlreadyPublished), nil
	}
	if rec != nil && !(rec.State == stateFailed && rec.NotSent) {
		// An attempt whose outcome is unknown: ask the destination.
		finder, ok := sink.(adapters.Finder)
		if !ok {
			err := fmt.Errorf("an attempt at %s may have published it (%s), and a %s sink cannot check; look at its destination: if it did not arrive, delete %s and publish again; if it did, leave that file, which keeps attune from sending it again",
				rec.Started.Format(time.RFC3339), unknownOutcome(rec), s.typ, pb.path(s.name))
			return schema.SinkResult{Name: s.name, Type: s.typ, Status: schema.StatusUnresolved, Error: err.Error()}, err
		}
		r, found, err := finder.Find(ctx, pb.p)
		if err != nil {
			return failed(fmt.Errorf("an attempt at %s may have published it, and looking for it failed: %w", rec.Started.Format(time.RFC3339), err))
		}
		if found {
			now := pb.env.Clock().UTC()
			rec.State, rec.Published, rec.Receipt, rec.Found, rec.Error, rec.NotSent = statePublished, &now, &r, true, "", false
			if err := pb.write(rec); err != nil {
				return failed(err)
			}
			pb.env.Log().Info("found an earlier publication", "sink", s.name, "id", r.ID, "url", r.URL)
			return result(rec, schema.StatusFound), nil
		}
	}
	if rec == nil {
		rec = &publishRecord{Sink: s.name, Type: s.typ, Key: pb.p.Key}
	}
	rec.State, rec.Attempts, rec.Started, rec.Error, rec.NotSent = stateSending, rec.Attempts+1, pb.env.Clock().UTC(), "", false
	rec.Approver, rec.ProposalSHA256, rec.Version = pb.approval.Approver, pb.approval.ProposalSHA256, pb.approval.Version
	if err := pb.write(rec); err != nil {
		return failed(err)
	}
	r, err := sink.Publish(ctx, pb.p)
	if err != nil {
		rec.State, rec.Error, rec.NotSent = stateFailed, err.Error(), adapters.IsNotSent(err)
		if werr := pb.write(rec); werr != nil {
			err = errors.Join(err, werr)
		}
		return failed(err)
	}
	now := pb.env.Clock().UTC()
	rec.State, rec.Published, rec.Receipt = statePublished, &now, &r
	if err := pb.write(rec); err != nil {
		return failed(fmt.Errorf("published (%s %s) but the record failed: %w; write it by hand before publishing again", r.ID, r.URL, err))
	}
	return result(rec, schema.StatusPublished), nil
}

// unknownOutcome says why an attempt's outcome is unknown.
func unknownOutcome(r *publishRecord) string {
	if r.State == stateSending {
		return "attune stopped before the answer"
	}
	return "it failed with: " + r.Error
}

// appendApproval adds a to the cycle's ApprovalFile.
func appendApproval(dir string, a schema.Approval) error {
	path := filepath.Join(dir, ApprovalFile)
	var all []schema.Approval
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &all); err != nil {
			return fmt.Errorf("publish: %s does not read (%v); move it aside and publish again", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("publish: %w", err)
	}
	out, err := json.MarshalIndent(append(all, a), "", "  ")
	if err != nil {
		return fmt.Errorf("publish: encode the approval: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(out, '\n')); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// carryOver copies what publishing keeps in a cycle's directory from old
// into the new copy being written, so that writing a cycle again keeps
// its approvals and the record of what was published (and publishing
// again sends nothing twice).
func carryOver(old, tmp string) error {
	if b, err := os.ReadFile(filepath.Join(old, ApprovalFile)); err == nil {
		if err := os.WriteFile(filepath.Join(tmp, ApprovalFile), b, 0o644); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(old, PublishedDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, PublishedDir), 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(old, PublishedDir, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, PublishedDir, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
