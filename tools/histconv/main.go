// Command histconv builds attune governance histories (the JSON format of
// package history) for Compound, Aave and Lido from the raw governor events
// published in github.com/bhemen/dao-governance, the data set of
// "Blockchain Governance: An Empirical Analysis of User Engagement on DAOs"
// (arXiv:2407.10945).
//
// # Input
//
// Either a git directory of that repository (-repo, optionally -rev; every
// file is read with `git show REV:data/FILE` and the commit recorded is
// `git rev-parse REV`), or a directory holding the CSV files extracted from
// it under their base names (-data, with -commit naming the commit they
// came from). Files read, all under data/:
//
//	compound_governor_bravo.csv       GovernorBravo events (Compound)
//	aave_governance_v2.csv            AaveGovernanceV2 events
//	aave_descriptions_parsed.csv      Aave proposal titles by IPFS hash
//	lido_governance.csv               Lido Aragon Voting events
//	governance_token_supplies.csv     token addresses and total supplies (wei)
//	compound_governance_token_usd.csv price series, "unix ms,USD" rows
//	aave_usd.csv, lido_dao_usd.csv    price series
//
// # Output
//
// For each DAO (compound, aave, lido; -dao selects), OUT/<dao>/history.json
// and OUT/<dao>/SOURCES.md, where OUT is -out (default configs/examples,
// relative to the working directory). SOURCES.md states the inputs (commit,
// git blob ids), the contracts, the block and time range, how every field
// and parameter was derived, the checks made against the events, the
// inconsistencies found and summary figures; histconv prints the same
// figures. The output depends on the input bytes alone: running twice gives
// identical files.
//
// Regenerate, from the module root:
//
//	go run ./tools/histconv -repo /work/.mirror/bhemen+dao-governance/repo -out configs/examples
//
// # Conversion rules
//
// Amounts are wei (1e18 per token); tallies and vote weights are summed
// exactly in wei and written in tokens rounded to 1e-6. Proposal start and
// end are block numbers (except on Aragon, which counts seconds); a block's
// time is interpolated linearly between the nearest (block, timestamp)
// pairs observed in the same file (all events), and outside them
// extrapolated with the average block time over the edgeWindow blocks at
// that end. Times are whole seconds, UTC. A proposal's state is executed,
// canceled or queued when the events say so (in that order); a vote still
// open at the last block (or time) of the file is active; otherwise the
// governor's own success test is applied to the exact wei tallies:
// succeeded or defeated. See bravoPassed, aavePassed and aragonPassed.
package main

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/attune-dao/attune/history"
)

const (
	repoURL    = "https://github.com/bhemen/dao-governance"
	studyRef   = "Blockchain Governance: An Empirical Analysis of User Engagement on DAOs, arXiv:2407.10945"
	edgeWindow = 10000 // blocks over which the block time is averaged to extrapolate past the observed ends
	titleMax   = 120   // runes
)

func main() {
	repo := flag.String("repo", "", "git directory of github.com/bhemen/dao-governance; files are read with git show REV:data/FILE")
	rev := flag.String("rev", "HEAD", "revision of -repo to read")
	data := flag.String("data", "", "directory holding the extracted CSV files under their base names (instead of -repo)")
	commit := flag.String("commit", "", "with -data: the commit of bhemen/dao-governance the files were extracted from")
	out := flag.String("out", "configs/examples", "output directory: OUT/<dao>/history.json and OUT/<dao>/SOURCES.md")
	daos := flag.String("dao", "compound,aave,lido", "comma-separated DAOs to convert")
	flag.Parse()
	var src source
	switch {
	case *repo != "" && *data != "":
		fail(errors.New("give -repo or -data, not both"))
	case *repo != "":
		g, err := newGitSource(*repo, *rev)
		if err != nil {
			fail(err)
		}
		src = g
	case *data != "":
		c := *commit
		if c == "" {
			c = "unknown"
		}
		src = dirSource{dir: *data, sha: c}
	default:
		fail(errors.New("give -repo DIR (git directory of bhemen/dao-governance) or -data DIR"))
	}
	if err := run(src, *out, strings.Split(*daos, ","), os.Stdout); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "histconv:", err)
	os.Exit(1)
}

// run converts each named DAO and writes its files under out, printing the
// figures to w.
func run(src source, out string, daos []string, w io.Writer) error {
	for _, d := range daos {
		d = strings.TrimSpace(d)
		conv, ok := converters[d]
		if !ok {
			return fmt.Errorf("unknown DAO %q; known: compound, aave, lido", d)
		}
		in := &input{src: src, files: map[string]fileInfo{}}
		r, err := conv(in)
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		r.in = in
		finish(r)
		js, err := encodeHistory(&r.h)
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		if err := roundTrip(js); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		fig := computeFigures(&r.h)
		dir := filepath.Join(out, d)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "history.json"), js, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "SOURCES.md"), []byte(sourcesDoc(r, fig, len(js))), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "== %s (%s/history.json, %d bytes)\n%s", r.h.DAO, dir, len(js), fig.text())
		for _, s := range r.issues {
			fmt.Fprintf(w, "  ! %s\n", s)
		}
	}
	return nil
}

var converters = map[string]func(*input) (*result, error){
	"compound": convertCompound,
	"aave":     convertAave,
	"lido":     convertLido,
}

// ---------------------------------------------------------------- input

type source interface {
	read(name string) ([]byte, error) // name as in the repository: data/FILE
	commit() string
}

type gitSource struct{ dir, sha string }

func newGitSource(dir, rev string) (*gitSource, error) {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", rev+"^{commit}").Output()
	if err != nil {
		return nil, fmt.Errorf("git rev-parse %s in %s: %w", rev, dir, err)
	}
	return &gitSource{dir: dir, sha: strings.TrimSpace(string(out))}, nil
}

func (g *gitSource) commit() string { return g.sha }

func (g *gitSource) read(name string) ([]byte, error) {
	cmd := exec.Command("git", "-C", g.dir, "show", g.sha+":"+name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git show %s:%s: %v %s", g.sha, name, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

type dirSource struct{ dir, sha string }

func (d dirSource) commit() string { return d.sha }

func (d dirSource) read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.dir, filepath.Base(name)))
}

type fileInfo struct {
	size int
	blob string // git blob id, the same whether read from git or from a file
}

// input reads files from a source and records which were read.
type input struct {
	src   source
	files map[string]fileInfo
}

func (in *input) bytes(name string) ([]byte, error) {
	b, err := in.src.read(name)
	if err != nil {
		return nil, err
	}
	in.files[name] = fileInfo{size: len(b), blob: gitBlobID(b)}
	return b, nil
}

func gitBlobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// table is a CSV file; with a header, columns are found by name.
type table struct {
	name string
	cols map[string]int
	rows [][]string
}

func (in *input) table(name string, header bool) (*table, error) {
	b, err := in.bytes(name)
	if err != nil {
		return nil, err
	}
	return parseTable(name, b, header)
}

func parseTable(name string, b []byte, header bool) (*table, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &table{name: name, cols: map[string]int{}}
	if header {
		if len(recs) == 0 {
			return nil, fmt.Errorf("%s: empty", name)
		}
		for i, c := range recs[0] {
			t.cols[c] = i
		}
		recs = recs[1:]
		for i, rec := range recs {
			if len(rec) != len(t.cols) {
				return nil, fmt.Errorf("%s: record %d has %d fields, header %d", name, i+2, len(rec), len(t.cols))
			}
		}
	}
	t.rows = recs
	return t, nil
}

func (t *table) col(row []string, name string) string {
	i, ok := t.cols[name]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// event is one row of an events file.
type event struct {
	name  string
	block int64
	log   int64
	tx    string
	time  time.Time
	row   []string
	t     *table
}

func (e event) get(col string) string { return e.t.col(e.row, col) }

// loadEvents reads an events file (event_name, block_number, txhash,
// log_index, timestamp, ...) in chain order.
func (in *input) loadEvents(name string) ([]event, error) {
	t, err := in.table(name, true)
	if err != nil {
		return nil, err
	}
	for _, c := range []string{"event_name", "block_number", "txhash", "log_index", "timestamp"} {
		if _, ok := t.cols[c]; !ok {
			return nil, fmt.Errorf("%s: no column %s", name, c)
		}
	}
	evs := make([]event, 0, len(t.rows))
	for i, row := range t.rows {
		e := event{name: t.col(row, "event_name"), tx: t.col(row, "txhash"), row: row, t: t}
		var err error
		if e.block, err = parseInt(t.col(row, "block_number")); err != nil {
			return nil, fmt.Errorf("%s record %d: block_number: %w", name, i+2, err)
		}
		if e.log, err = parseInt(t.col(row, "log_index")); err != nil {
			return nil, fmt.Errorf("%s record %d: log_index: %w", name, i+2, err)
		}
		if e.time, err = time.ParseInLocation("2006-01-02T15:04:05", t.col(row, "timestamp"), time.UTC); err != nil {
			return nil, fmt.Errorf("%s record %d: timestamp: %w", name, i+2, err)
		}
		evs = append(evs, e)
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.block, b.block), cmp.Compare(a.log, b.log))
	})
	return evs, nil
}

// parseInt reads an integer written plainly or, as pandas writes integer
// columns with gaps, with a ".0" suffix.
func parseInt(s string) (int64, error) {
	return strconv.ParseInt(strings.TrimSuffix(s, ".0"), 10, 64)
}

// parseWei reads a non-negative whole amount.
func parseWei(s string) (*big.Int, error) {
	v, ok := new(big.Int).SetString(strings.TrimSuffix(s, ".0"), 10)
	if !ok || v.Sign() < 0 {
		return nil, fmt.Errorf("not a whole non-negative amount: %q", s)
	}
	return v, nil
}

// normID writes a proposal id without pandas' ".0".
func normID(s string) (string, error) {
	n, err := parseInt(s)
	if err != nil {
		return "", fmt.Errorf("proposal id %q: %w", s, err)
	}
	return strconv.FormatInt(n, 10), nil
}

var (
	weiPerToken = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	weiPerMicro = big.NewInt(1e12)
	halfMicro   = big.NewInt(5e11)
)

// tokens converts wei to tokens rounded (half up) to 1e-6.
func tokens(w *big.Int) float64 {
	q, r := new(big.Int).QuoRem(w, weiPerMicro, new(big.Int))
	if r.Cmp(halfMicro) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return float64(q.Int64()) / 1e6
}

func ratio(a, b *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(a, b).Float64()
	return f
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func wei(tok int64) *big.Int { return new(big.Int).Mul(big.NewInt(tok), weiPerToken) }

// supply is one row of governance_token_supplies.csv.
type supply struct {
	symbol, address string
	total           *big.Int
}

func (in *input) supply(symbol string) (supply, error) {
	const name = "data/governance_token_supplies.csv"
	t, err := in.table(name, true)
	if err != nil {
		return supply{}, err
	}
	for _, row := range t.rows {
		if t.col(row, "symbol") == symbol {
			v, err := parseWei(t.col(row, "supply"))
			if err != nil {
				return supply{}, fmt.Errorf("%s: %s: %w", name, symbol, err)
			}
			return supply{symbol: symbol, address: t.col(row, "address"), total: v}, nil
		}
	}
	return supply{}, fmt.Errorf("%s: no row for %s", name, symbol)
}

// price is the last observation of a "unix ms,USD" series on a UTC date.
type price struct {
	file  string
	usd   float64
	at    time.Time
	found bool
	first time.Time
	last  time.Time
}

func (in *input) closeOn(name string, day time.Time) (price, error) {
	t, err := in.table(name, false)
	if err != nil {
		return price{}, err
	}
	p := price{file: name}
	y, m, d := day.UTC().Date()
	for i, row := range t.rows {
		if len(row) != 2 {
			return p, fmt.Errorf("%s record %d: want 2 fields", name, i+1)
		}
		ms, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			return p, fmt.Errorf("%s record %d: %w", name, i+1, err)
		}
		v, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			return p, fmt.Errorf("%s record %d: %w", name, i+1, err)
		}
		at := time.UnixMilli(ms).UTC()
		if i == 0 {
			p.first = at
		}
		p.last = at
		if yy, mm, dd := at.Date(); yy == y && mm == m && dd == d && (!p.found || !at.Before(p.at)) {
			p.usd, p.at, p.found = v, at, true
		}
	}
	return p, nil
}

// ---------------------------------------------------------------- clock

// clock maps block numbers to times from observed (block, time) pairs.
type clock struct {
	blocks []int64
	secs   []int64
	window int64
}

func newClock(pairs [][2]int64, window int64) (*clock, error) {
	ps := slices.Clone(pairs)
	slices.SortFunc(ps, func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	c := &clock{window: window}
	for _, p := range ps {
		n := len(c.blocks)
		if n > 0 && c.blocks[n-1] == p[0] {
			if c.secs[n-1] != p[1] {
				return nil, fmt.Errorf("block %d has two timestamps, %d and %d", p[0], c.secs[n-1], p[1])
			}
			continue
		}
		if n > 0 && p[1] < c.secs[n-1] {
			return nil, fmt.Errorf("block %d is earlier (%d) than block %d (%d)", p[0], p[1], c.blocks[n-1], c.secs[n-1])
		}
		c.blocks = append(c.blocks, p[0])
		c.secs = append(c.secs, p[1])
	}
	if len(c.blocks) < 2 {
		return nil, errors.New("need at least two distinct blocks to convert blocks to times")
	}
	return c, nil
}

func eventClock(evs []event) (*clock, error) {
	pairs := make([][2]int64, len(evs))
	for i, e := range evs {
		pairs[i] = [2]int64{e.block, e.time.Unix()}
	}
	return newClock(pairs, edgeWindow)
}

// seconds returns the (fractional) unix time of block b.
func (c *clock) seconds(b int64) float64 {
	n := len(c.blocks)
	i := sort.Search(n, func(i int) bool { return c.blocks[i] >= b })
	if i < n && c.blocks[i] == b {
		return float64(c.secs[i])
	}
	lo, hi := i-1, i
	switch i {
	case 0: // before the first block: average over the first window
		lo = 0
		hi = sort.Search(n, func(j int) bool { return c.blocks[j] >= c.blocks[0]+c.window })
		hi = min(max(hi, 1), n-1)
	case n: // after the last block: average over the last window
		hi = n - 1
		lo = sort.Search(n, func(j int) bool { return c.blocks[j] > c.blocks[n-1]-c.window }) - 1
		lo = max(min(lo, n-2), 0)
	}
	rate := float64(c.secs[hi]-c.secs[lo]) / float64(c.blocks[hi]-c.blocks[lo])
	return float64(c.secs[lo]) + float64(b-c.blocks[lo])*rate
}

// at returns the time of block b, to the second.
func (c *clock) at(b int64) time.Time {
	return time.Unix(int64(math.Round(c.seconds(b))), 0).UTC()
}

// meanBlockSeconds is the average block time over the observed range.
func (c *clock) meanBlockSeconds() float64 {
	n := len(c.blocks)
	return float64(c.secs[n-1]-c.secs[0]) / float64(c.blocks[n-1]-c.blocks[0])
}

func (c *clock) lastBlock() int64 { return c.blocks[len(c.blocks)-1] }

// ---------------------------------------------------------------- rules

// bravoPassed is GovernorBravoDelegate.state's test: a proposal whose vote
// is over is Defeated if forVotes <= againstVotes || forVotes < quorumVotes,
// else Succeeded.
func bravoPassed(forW, againstW, quorumVotes *big.Int) bool {
	return forW.Cmp(againstW) > 0 && forW.Cmp(quorumVotes) >= 0
}

// aavePassed is the Aave governance v2 Executor's ProposalValidator:
// isQuorumValid (forVotes >= votingSupply*MINIMUM_QUORUM/10000) and
// isVoteDifferentialValid (forVotes*10000/votingSupply >
// againstVotes*10000/votingSupply + VOTE_DIFFERENTIAL), in integer
// arithmetic (the shares are floored to basis points).
func aavePassed(forW, againstW, votingSupply *big.Int, quorumBps, differentialBps int64) bool {
	const hundred = 10000
	need := new(big.Int).Mul(votingSupply, big.NewInt(quorumBps))
	need.Quo(need, big.NewInt(hundred))
	if forW.Cmp(need) < 0 {
		return false
	}
	bps := func(x *big.Int) *big.Int {
		v := new(big.Int).Mul(x, big.NewInt(hundred))
		return v.Quo(v, votingSupply)
	}
	rhs := bps(againstW)
	rhs.Add(rhs, big.NewInt(differentialBps))
	return bps(forW).Cmp(rhs) > 0
}

// pctBase is Aragon's PCT_BASE: 10^18 is 100%.
var pctBase = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// aragonValuePct is Aragon Voting's _isValuePct: value*PCT_BASE/total > pct.
func aragonValuePct(value, total, pct *big.Int) bool {
	if total.Sign() == 0 {
		return false
	}
	v := new(big.Int).Mul(value, pctBase)
	v.Quo(v, total)
	return v.Cmp(pct) > 0
}

// aragonPassed is Aragon Voting's _isVotePassed for a closed vote: yea must
// exceed supportRequiredPct of yea+nay and minAcceptQuorumPct of the voting
// power (the token supply at the vote's snapshot), both strictly.
func aragonPassed(yea, nay, votingPower, supportRequiredPct, minAcceptQuorumPct *big.Int) bool {
	total := new(big.Int).Add(yea, nay)
	return aragonValuePct(yea, total, supportRequiredPct) && aragonValuePct(yea, votingPower, minAcceptQuorumPct)
}

// finalState names a proposal's last state from its events and the rule.
func finalState(executed, canceled, queued, open, passed bool) history.State {
	switch {
	case executed:
		return history.Executed
	case canceled:
		return history.Canceled
	case queued:
		return history.Queued
	case open:
		return history.Active
	case passed:
		return history.Succeeded
	}
	return history.Defeated
}

// ---------------------------------------------------------------- common

type prop struct {
	p                                  history.Proposal
	num                                int64
	createdBlock, startBlock, endBlock int64
	forW, againstW, abstainW           *big.Int
	voters                             int
	executed, canceled, queued, open   bool
	passed                             bool
	execEvent                          event
}

type castVote struct {
	proposal, voter string
	support         history.Support
	weight          *big.Int
	e               event
}

// ballots keeps one vote per (proposal, voter): the last cast.
type ballots struct {
	m        map[[2]string]*castVote
	replaced int // votes replaced by a later vote of the same voter
	switched int // of which changed side
}

func newBallots() *ballots { return &ballots{m: map[[2]string]*castVote{}} }

func (b *ballots) add(v castVote) {
	k := [2]string{v.proposal, strings.ToLower(v.voter)}
	if old, ok := b.m[k]; ok {
		b.replaced++
		if old.support != v.support {
			b.switched++
		}
	}
	b.m[k] = &v
}

// result is one DAO's converted history and what SOURCES.md says of it.
type result struct {
	key, file   string
	h           history.History
	in          *input
	events      []event
	clk         *clock
	props       []*prop
	votes       []*castVote
	supply      supply
	price       price
	paramSource []string // per h.Params entry: where the value comes from
	contracts   []string
	onchain     []string // dao.onchain settings of the example's attune.yaml and their sources
	derivation  []string
	checks      []string
	issues      []string
	unknownVote int
}

func (r *result) checkf(format string, a ...any) {
	r.checks = append(r.checks, fmt.Sprintf(format, a...))
}
func (r *result) issuef(format string, a ...any) {
	r.issues = append(r.issues, fmt.Sprintf(format, a...))
}

func (r *result) param(t time.Time, name string, v float64, track, ev, src string) {
	r.h.Params = append(r.h.Params, history.ParamChange{Time: t, Name: name, Value: v, Track: track, Event: ev})
	r.paramSource = append(r.paramSource, src)
}

// tally attaches the kept ballots to proposals: tallies, voter counts and
// the vote list.
func (r *result) tally(b *ballots, byID map[string]*prop) {
	keys := make([][2]string, 0, len(b.m))
	for k := range b.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, p := range r.props {
		p.forW, p.againstW, p.abstainW = new(big.Int), new(big.Int), new(big.Int)
	}
	for _, k := range keys {
		v := b.m[k]
		p, ok := byID[v.proposal]
		if !ok {
			r.unknownVote++
			continue
		}
		switch v.support {
		case history.For:
			p.forW.Add(p.forW, v.weight)
		case history.Against:
			p.againstW.Add(p.againstW, v.weight)
		default:
			p.abstainW.Add(p.abstainW, v.weight)
		}
		p.voters++
		r.votes = append(r.votes, v)
	}
	if r.unknownVote > 0 {
		r.issuef("%d votes name a proposal with no ProposalCreated/StartVote event; left out", r.unknownVote)
	}
}

// finish fills the history from the proposals and votes, in order.
func finish(r *result) {
	slices.SortStableFunc(r.props, func(a, b *prop) int {
		return cmp.Or(a.p.Created.Compare(b.p.Created), cmp.Compare(a.num, b.num))
	})
	order := map[string]int{}
	for i, p := range r.props {
		p.p.For, p.p.Against, p.p.Abstain = tokens(p.forW), tokens(p.againstW), tokens(p.abstainW)
		p.p.Voters = p.voters
		r.h.Proposals = append(r.h.Proposals, p.p)
		order[p.p.ID] = i
	}
	slices.SortStableFunc(r.votes, func(a, b *castVote) int {
		return cmp.Or(cmp.Compare(order[a.proposal], order[b.proposal]),
			cmp.Compare(strings.ToLower(a.voter), strings.ToLower(b.voter)), cmp.Compare(a.voter, b.voter))
	})
	for _, v := range r.votes {
		r.h.Votes = append(r.h.Votes, history.Vote{Proposal: v.proposal, Voter: v.voter, Support: v.support, Weight: tokens(v.weight), Time: v.e.time})
	}
	idx := make([]int, len(r.h.Params))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return r.h.Params[a].Time.Compare(r.h.Params[b].Time) })
	ps, src := make([]history.ParamChange, len(idx)), make([]string, len(idx))
	for i, j := range idx {
		ps[i], src[i] = r.h.Params[j], r.paramSource[j]
	}
	r.h.Params, r.paramSource = ps, src
}

// firstCreated and lastEnd bound the proposals.
func (r *result) firstCreated() time.Time {
	var t time.Time
	for i, p := range r.props {
		if i == 0 || p.p.Created.Before(t) {
			t = p.p.Created
		}
	}
	return t
}

func (r *result) lastEnd() time.Time {
	var t time.Time
	for _, p := range r.props {
		if p.p.End.After(t) {
			t = p.p.End
		}
	}
	return t
}

func title(desc string) string {
	for line := range strings.SplitSeq(desc, "\n") {
		s := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "# "))
		if s != "" {
			if rs := []rune(s); len(rs) > titleMax {
				s = strings.TrimSpace(string(rs[:titleMax]))
			}
			return s
		}
	}
	return ""
}

// series is a governor setting over time, in its raw unit (blocks, wei,
// seconds): its value before the first change and each change.
type series struct {
	initial *big.Int
	steps   []step
}

type step struct {
	e        event
	old, new *big.Int // old is nil when the event does not carry it
}

// at returns the value in force for an action at (block, log).
func (s series) at(block, log int64) *big.Int {
	v := s.initial
	for _, st := range s.steps {
		if st.e.block < block || (st.e.block == block && st.e.log < log) {
			v = st.new
		}
	}
	return v
}

// oldNewSeries builds a series from events carrying old and new values;
// the initial value is the first event's old value. Breaks in the chain
// (an old value that is not the previous new value) are reported.
func oldNewSeries(r *result, evs []event, oldCol, newCol string) (series, error) {
	var s series
	for _, e := range evs {
		o, err := parseWei(e.get(oldCol))
		if err != nil {
			return s, fmt.Errorf("%s tx %s: %s: %w", e.name, e.tx, oldCol, err)
		}
		n, err := parseWei(e.get(newCol))
		if err != nil {
			return s, fmt.Errorf("%s tx %s: %s: %w", e.name, e.tx, newCol, err)
		}
		if len(s.steps) == 0 {
			s.initial = o
		} else if prev := s.steps[len(s.steps)-1].new; prev.Cmp(o) != 0 {
			r.issuef("%s tx %s: old value %s is not the previous new value %s", e.name, e.tx, o, prev)
		}
		s.steps = append(s.steps, step{e: e, old: o, new: n})
	}
	return s, nil
}

func blocksToDays(blocks *big.Int, spb float64) float64 {
	return round6(float64(blocks.Int64()) * spb / 86400)
}

func countEvents(evs []event) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.name]++
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (r *result) provenance(extra ...string) {
	r.h.Provenance = append([]string{
		fmt.Sprintf("%s at commit %s (data of %s)", repoURL, r.in.src.commit(), studyRef),
		fmt.Sprintf("%s: blocks %d-%d, %s to %s", r.file, r.events[0].block, r.events[len(r.events)-1].block,
			r.events[0].time.Format(time.RFC3339), r.events[len(r.events)-1].time.Format(time.RFC3339)),
	}, extra...)
}

func (r *result) setPrice(file string) error {
	p, err := r.in.closeOn(file, r.lastEnd())
	if err != nil {
		return err
	}
	r.price = p
	if p.found {
		r.h.Token.Price = p.usd
	} else {
		r.issuef("%s has no observation on %s (the last proposal's end); price_usd left out", file, r.lastEnd().Format(time.DateOnly))
	}
	return nil
}

// voteWindowCheck counts votes cast outside (startBlock, endBlock], the
// blocks in which Bravo and Aave v2 accept votes.
func (r *result) voteWindowCheck(b *ballots, byID map[string]*prop) {
	outside := 0
	for _, v := range b.m {
		p, ok := byID[v.proposal]
		if ok && (v.e.block <= p.startBlock || v.e.block > p.endBlock) {
			outside++
		}
	}
	r.checkf("votes cast outside their proposal's voting blocks (startBlock, endBlock]: %d", outside)
	if outside > 0 {
		r.issuef("%d votes were cast outside their proposal's voting blocks", outside)
	}
}

// ruleVsOutcome reports proposals the events show passing (queued or
// executed) that the success rule with the stated constants calls defeated.
func (r *result) ruleVsOutcome(rule string) {
	var bad []string
	nq := 0
	for _, p := range r.props {
		if p.queued || p.executed {
			nq++
			if !p.passed {
				bad = append(bad, fmt.Sprintf("%s (for %.0f, against %.0f)", p.p.ID, tokens(p.forW), tokens(p.againstW)))
			}
		}
	}
	r.checkf("queued or executed proposals the rule (%s) calls defeated: %d of %d", rule, len(bad), nq)
	if len(bad) > 0 {
		r.issuef("%d queued/executed proposals fail the rule %s: %s", len(bad), rule, strings.Join(bad, "; "))
	}
	// How close the outcomes come to the quorum: the smallest For among
	// proposals that went through, the largest among those the rule
	// defeats.
	minPassed, maxFailed := math.Inf(1), math.Inf(-1)
	var minID, maxID string
	var unexecuted []string
	queuedCanceled, queuedOnly := 0, 0
	for _, p := range r.props {
		share := ratio(p.forW, r.supply.total)
		if (p.queued || p.executed) && share < minPassed {
			minPassed, minID = share, p.p.ID
		}
		if !p.passed && !p.open && !p.canceled && !p.queued && !p.executed && share > maxFailed {
			maxFailed, maxID = share, p.p.ID
		}
		if p.p.State == history.Succeeded {
			unexecuted = append(unexecuted, p.p.ID)
		}
		if p.queued && p.canceled && !p.executed {
			queuedCanceled++
		}
		if p.p.State == history.Queued {
			queuedOnly++
		}
	}
	if minID != "" {
		r.checkf("smallest For among queued or executed proposals: %.3f%% of the supply (proposal %s)", 100*minPassed, minID)
	}
	if maxID != "" {
		r.checkf("largest For among proposals the rule defeats: %.3f%% of the supply (proposal %s)", 100*maxFailed, maxID)
	}
	if queuedCanceled > 0 {
		r.checkf("proposals queued and then canceled (state canceled): %d", queuedCanceled)
	}
	if queuedOnly > 0 {
		r.checkf("proposals queued and neither executed nor canceled by the end of the file (state queued; they may have expired after the grace period, which emits no event): %d", queuedOnly)
	}
	if len(unexecuted) > 0 {
		r.issuef("proposals that pass the rule but were never queued or executed (state succeeded): %s", strings.Join(unexecuted, ", "))
	}
}

// ---------------------------------------------------------------- Compound

const bravoAddress = "0xc0Da02939E1441F497fd74F78cE7Decb17B66529"

// bravoQuorumVotes is GovernorBravoDelegate's constant quorumVotes,
// 400,000 COMP.
var bravoQuorumVotes = wei(400000)

func convertCompound(in *input) (*result, error) {
	const file = "data/compound_governor_bravo.csv"
	evs, err := in.loadEvents(file)
	if err != nil {
		return nil, err
	}
	clk, err := eventClock(evs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	sup, err := in.supply("COMP")
	if err != nil {
		return nil, err
	}
	r := &result{key: "compound", file: file, in: in, events: evs, clk: clk, supply: sup}
	r.h = history.History{DAO: "Compound", Governor: "bravo", Token: history.Token{Symbol: "COMP", Address: sup.address}}
	byID := map[string]*prop{}
	b := newBallots()
	var thresholdEvs, delayEvs, periodEvs, implEvs []event
	var queued, executed, canceled []event
	for _, e := range evs {
		switch e.name {
		case "ProposalCreated":
			id, err := normID(e.get("id"))
			if err != nil {
				return nil, err
			}
			sb, err1 := parseInt(e.get("startBlock"))
			eb, err2 := parseInt(e.get("endBlock"))
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("proposal %s: %w", id, err)
			}
			num, _ := strconv.ParseInt(id, 10, 64)
			p := &prop{num: num, createdBlock: e.block, startBlock: sb, endBlock: eb, open: eb > clk.lastBlock()}
			p.p = history.Proposal{ID: id, Proposer: e.get("proposer"), Created: e.time, Start: clk.at(sb), End: clk.at(eb), Title: title(e.get("description"))}
			if byID[id] != nil {
				return nil, fmt.Errorf("proposal %s created twice", id)
			}
			byID[id] = p
			r.props = append(r.props, p)
		case "VoteCast":
			id, err := normID(e.get("proposalId"))
			if err != nil {
				return nil, err
			}
			w, err := parseWei(e.get("votes"))
			if err != nil {
				return nil, fmt.Errorf("VoteCast tx %s: %w", e.tx, err)
			}
			var s history.Support
			switch e.get("support") {
			case "0", "0.0":
				s = history.Against
			case "1", "1.0":
				s = history.For
			case "2", "2.0":
				s = history.Abstain
			default:
				return nil, fmt.Errorf("VoteCast tx %s: support %q", e.tx, e.get("support"))
			}
			b.add(castVote{proposal: id, voter: e.get("voter"), support: s, weight: w, e: e})
		case "ProposalQueued":
			queued = append(queued, e)
		case "ProposalExecuted":
			executed = append(executed, e)
		case "ProposalCanceled":
			canceled = append(canceled, e)
		case "ProposalThresholdSet":
			thresholdEvs = append(thresholdEvs, e)
		case "VotingDelaySet":
			delayEvs = append(delayEvs, e)
		case "VotingPeriodSet":
			periodEvs = append(periodEvs, e)
		case "NewImplementation":
			implEvs = append(implEvs, e)
		}
	}
	if len(r.props) == 0 {
		return nil, errors.New("no ProposalCreated events")
	}
	if err := markOutcomes(r, byID, queued, executed, canceled); err != nil {
		return nil, err
	}
	r.tally(b, byID)
	if b.replaced > 0 {
		r.issuef("%d repeated votes by one voter on one proposal (Bravo forbids them); the last was kept", b.replaced)
	}
	for _, p := range r.props {
		p.passed = bravoPassed(p.forW, p.againstW, bravoQuorumVotes)
		p.p.State = finalState(p.executed, p.canceled, p.queued, p.open, p.passed)
	}

	thr, err := oldNewSeries(r, thresholdEvs, "oldProposalThreshold", "newProposalThreshold")
	if err != nil {
		return nil, err
	}
	delay, err := oldNewSeries(r, delayEvs, "oldVotingDelay", "newVotingDelay")
	if err != nil {
		return nil, err
	}
	period, err := oldNewSeries(r, periodEvs, "oldVotingPeriod", "newVotingPeriod")
	if err != nil {
		return nil, err
	}
	if thr.initial == nil || delay.initial == nil || period.initial == nil {
		return nil, errors.New("need at least one ProposalThresholdSet, VotingDelaySet and VotingPeriodSet event for the initial values")
	}
	spb := clk.meanBlockSeconds()
	first := r.firstCreated()
	firstBlock := r.props[0].createdBlock
	for _, p := range r.props {
		firstBlock = min(firstBlock, p.createdBlock)
	}
	days := func(v *big.Int) float64 { return blocksToDays(v, spb) }
	frac := func(v *big.Int) float64 { return ratio(v, sup.total) }
	evName := func(e event) string { return e.name + " tx " + e.tx }
	r.param(first, "quorum", frac(bravoQuorumVotes), "", "initial",
		"constant quorumVotes = 400,000e18 in GovernorBravoDelegate (contract code, not an event), divided by the COMP supply")
	addSeries := func(name string, s series, conv func(*big.Int) float64, unit, srcInitial string) {
		v0 := s.at(firstBlock, -1)
		r.param(first, name, conv(v0), "", "initial", fmt.Sprintf("%s %s: %s", v0, unit, srcInitial))
		for _, st := range s.steps {
			if st.e.block < firstBlock {
				continue
			}
			r.param(st.e.time, name, conv(st.new), "", evName(st.e), fmt.Sprintf("%s %s, the event's new value (old %s)", st.new, unit, st.old))
		}
	}
	addSeries("proposal_threshold", thr, frac, "wei", "old value of the first ProposalThresholdSet event, divided by the COMP supply")
	addSeries("voting_period_days", period, days, "blocks", fmt.Sprintf("old value of the first VotingPeriodSet event, x %.4f s/block", spb))
	addSeries("voting_delay_days", delay, days, "blocks", fmt.Sprintf("old value of the first VotingDelaySet event, x %.4f s/block", spb))

	// Checks: periods and delays of each proposal against the settings.
	badPeriod, badDelay := 0, 0
	perPeriod := map[int64][]float64{}
	for _, p := range r.props {
		if want := period.at(p.createdBlock, 1<<62).Int64(); p.endBlock-p.startBlock != want {
			badPeriod++
		}
		if want := delay.at(p.createdBlock, 1<<62).Int64(); p.startBlock-p.createdBlock != want {
			badDelay++
		}
		perPeriod[p.endBlock-p.startBlock] = append(perPeriod[p.endBlock-p.startBlock], p.p.End.Sub(p.p.Start).Hours()/24)
	}
	r.checkf("proposals whose endBlock-startBlock differs from the voting period in force at creation (from the VotingPeriodSet events): %d of %d", badPeriod, len(r.props))
	r.checkf("proposals whose startBlock-creation block differs from the voting delay in force (from the VotingDelaySet events): %d of %d", badDelay, len(r.props))
	for _, k := range slices.Sorted(maps.Keys(perPeriod)) {
		ds := perPeriod[k]
		r.checkf("proposals with a %d-block voting period: %d, lasting %.3f days on average by the interpolated block times (the param uses %.3f)", k, len(ds), mean(ds), round6(float64(k)*spb/86400))
	}
	if badPeriod > 0 || badDelay > 0 {
		r.issuef("%d proposals' voting periods and %d voting delays do not match the settings in force", badPeriod, badDelay)
	}
	r.voteWindowCheck(b, byID)
	r.ruleVsOutcome("For > Against and For >= 400,000 COMP")
	if b.replaced == 0 {
		r.checkf("repeated votes by one voter on one proposal: none")
	}

	if err := r.setPrice("data/compound_governance_token_usd.csv"); err != nil {
		return nil, err
	}
	r.h.Supply = []history.SupplyPoint{{Time: first, Total: tokens(sup.total)}}
	r.contracts = []string{
		fmt.Sprintf("GovernorBravoDelegator (proxy, emits every event in the file): %s", bravoAddress),
		fmt.Sprintf("COMP token: %s", sup.address),
	}
	r.onchain = []string{
		fmt.Sprintf("`address: %s`: the GovernorBravoDelegator above, the proxy that a proposal's `_setVotingPeriod` and `_setProposalThreshold` calls go to.", bravoAddress),
		"`clock: blocks`: GovernorBravoDelegate counts the voting period in blocks (`_setVotingPeriod(uint newVotingPeriod)`, \"in blocks\", in compound-finance/compound-protocol contracts/Governance/GovernorBravoDelegate.sol).",
		"`block_seconds: 12`: " + mergeNote,
		"`token_decimals: 18`: the wei per token these files count in (1e18), which gives COMP's total supply of 10,000,000; `_setProposalThreshold` takes wei.",
	}
	for _, e := range implEvs {
		r.contracts = append(r.contracts, fmt.Sprintf("GovernorBravoDelegate implementation %s from %s (NewImplementation tx %s, block %d)", e.get("newImplementation"), e.time.Format(time.RFC3339), e.tx, e.block))
	}
	r.provenance(
		fmt.Sprintf("GovernorBravoDelegator %s (Compound Governor Bravo)", bravoAddress),
		fmt.Sprintf("COMP %s; total supply from data/governance_token_supplies.csv", sup.address),
		"price: data/compound_governance_token_usd.csv",
	)
	r.derivation = []string{
		"`id`: ProposalCreated `id` (pandas wrote it as `43.0`; the `.0` is dropped). Bravo's ids continue Governor Alpha's, so the first is 43.",
		"`proposer`: ProposalCreated `proposer`.",
		"`created`: timestamp of the ProposalCreated event's block.",
		"`start`, `end`: ProposalCreated `startBlock` and `endBlock` converted to times: linear interpolation between the nearest observed (block, timestamp) pairs among all events of the file; past the last observed block, extrapolated with the average block time over the last 10,000 blocks of observations. Voting is open in blocks (startBlock, endBlock].",
		"`for`, `against`, `abstain`: sums of VoteCast `votes` (wei, summed exactly, then /1e18 and rounded to 1e-6) by `support` 1, 0, 2.",
		"`voters`: distinct VoteCast voters of the proposal.",
		"`title`: first non-empty line of ProposalCreated `description`, leading `#` and spaces stripped, cut to 120 characters.",
		"`state`: `executed` if a ProposalExecuted event names it; else `canceled` if ProposalCanceled does; else `queued` if ProposalQueued does (queued and never executed: the grace period may have run out, which the events do not show); else `active` if its endBlock is after the last block of the file; else GovernorBravoDelegate's rule: `succeeded` if For > Against and For >= quorumVotes (400,000 COMP), otherwise `defeated`.",
		"`votes`: one per VoteCast (no voter voted twice on a proposal): `support` from 0/1/2, `weight` = `votes`/1e18 rounded to 1e-6, `time` = the event's block timestamp.",
		fmt.Sprintf("`supply`: one point at the first proposal's creation with COMP's total supply from data/governance_token_supplies.csv (%s wei = %s COMP); `votable` left 0 (unknown). The file gives one value (totalSupply when the repository's get_governance_supplies.py ran: the maximum over 20 blocks 10,000 apart before the latest block), so the supply is taken as constant. That is right for COMP as far as the token is concerned (background, not from these files: the 10,000,000 COMP were minted at deployment and the token has no mint function); but much of it sat undistributed in the Reservoir and Comptroller, and circulating and delegated supply changed over the history; the data do not give them.", sup.total, strconv.FormatFloat(tokens(sup.total), 'f', -1, 64)),
		fmt.Sprintf("Block time used for periods in days: %.4f s/block, the average over the file (blocks %d-%d). Ethereum's block time fell from about 13.2 s to 12 s at the Merge (block 15,537,394, 2022-09-15), so a period in days differs before and after; see the checks for the interpolated durations.", spb, clk.blocks[0], clk.lastBlock()),
	}
	return r, nil
}

// markOutcomes applies Queued, Executed and Canceled events (by id).
func markOutcomes(r *result, byID map[string]*prop, queued, executed, canceled []event) error {
	apply := func(evs []event, set func(*prop, event)) error {
		for _, e := range evs {
			id, err := normID(e.get("id"))
			if err != nil {
				return err
			}
			p, ok := byID[id]
			if !ok {
				r.issuef("%s tx %s names proposal %s, which has no ProposalCreated event", e.name, e.tx, id)
				continue
			}
			set(p, e)
		}
		return nil
	}
	return errors.Join(
		apply(queued, func(p *prop, e event) { p.queued = true }),
		apply(executed, func(p *prop, e event) { p.executed, p.execEvent = true, e }),
		apply(canceled, func(p *prop, e event) { p.canceled = true }),
	)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// ---------------------------------------------------------------- Aave

const aaveGovernance = "0xEC568fffba86c094cf06b22134B23074DFE2252c"

// mergeNote is the source of a 12 s block time.
const mergeNote = "Ethereum's slot time since the Merge (2022-09-15, proof of stake; background, not from these files): the block time a newly set period runs at. The history's mean block time (see above) mixes blocks from before the Merge."

// aaveExecutor holds an executor's ProposalValidator settings, in basis
// points of the AAVE supply and blocks. They are constructor arguments of
// the deployed Executor contracts, documented in aave/governance-v2's
// README; VOTING_DURATION is checked against the events.
type aaveExecutor struct {
	address, track                               string
	quorumBps, differentialBps, thresholdBps, dB int64
}

var aaveExecutors = []aaveExecutor{
	{"0xEE56e2B3D491590B5b31738cC34d5232F378a8D5", "short", 200, 50, 50, 19200},
	{"0x61910EcD7e8e942136CE7Fe7943f956cea1CC2f7", "long", 2000, 1500, 200, 64000},
}

// aaveOtherExecutors says what documentation says of executors that no
// proposal in the data uses.
var aaveOtherExecutors = map[string]string{
	"0x79426a1c24b2978d90d7a5070a46c65b07bc4299": " It is the new Level 2 (long) executor of the October 2022 update: in the same transaction the governance's ownership moved to it (OwnershipTransferred) and the voting delay was set to 7,200 blocks. Per documentation (github.com/bgd-labs/aave-gov-level-2-update README; not from these events) it lowers the long track's quorum 20% -> 6.5%, vote differential 15% -> 6.5% and proposition threshold 2% -> 1.25%; the old long executor stays authorized. Long-track proposals created after 2022-10-23 would use the new executor's rules; there are none in the data.",
}

func findExecutor(addr string) (aaveExecutor, bool) {
	for _, x := range aaveExecutors {
		if strings.EqualFold(x.address, addr) {
			return x, true
		}
	}
	return aaveExecutor{}, false
}

func convertAave(in *input) (*result, error) {
	const file = "data/aave_governance_v2.csv"
	evs, err := in.loadEvents(file)
	if err != nil {
		return nil, err
	}
	clk, err := eventClock(evs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	sup, err := in.supply("AAVE")
	if err != nil {
		return nil, err
	}
	titles, err := in.table("data/aave_descriptions_parsed.csv", true)
	if err != nil {
		return nil, err
	}
	titleOf := map[string]string{}
	for _, row := range titles.rows {
		titleOf[titles.col(row, "ipfsHash")] = titles.col(row, "title")
	}
	r := &result{key: "aave", file: file, in: in, events: evs, clk: clk, supply: sup}
	r.h = history.History{DAO: "Aave", Governor: "aave-v2", Token: history.Token{Symbol: "AAVE", Address: sup.address}}
	byID := map[string]*prop{}
	b := newBallots()
	var queued, executed, canceled, delayEvs, otherEvs []event
	execCount := map[string]int{}
	noTitle := []string{}
	strategies := map[string]int{}
	for _, e := range evs {
		switch e.name {
		case "ProposalCreated":
			id, err := normID(e.get("id"))
			if err != nil {
				return nil, err
			}
			sb, err1 := parseInt(e.get("startBlock"))
			eb, err2 := parseInt(e.get("endBlock"))
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("proposal %s: %w", id, err)
			}
			num, _ := strconv.ParseInt(id, 10, 64)
			ex := e.get("executor")
			execCount[ex]++
			strategies[e.get("strategy")]++
			track := ex
			if x, ok := findExecutor(ex); ok {
				track = x.track
			}
			ipfs := e.get("ipfsHash")
			t, ok := titleOf[ipfs]
			if t = title(t); !ok || t == "" {
				noTitle = append(noTitle, id+" ("+ipfs+")")
			}
			p := &prop{num: num, createdBlock: e.block, startBlock: sb, endBlock: eb, open: eb > clk.lastBlock()}
			p.p = history.Proposal{ID: id, Track: track, Proposer: e.get("creator"), Created: e.time, Start: clk.at(sb), End: clk.at(eb), Title: t}
			if byID[id] != nil {
				return nil, fmt.Errorf("proposal %s created twice", id)
			}
			byID[id] = p
			r.props = append(r.props, p)
		case "VoteEmitted":
			id, err := normID(e.get("id"))
			if err != nil {
				return nil, err
			}
			w, err := parseWei(e.get("votingPower"))
			if err != nil {
				return nil, fmt.Errorf("VoteEmitted tx %s: %w", e.tx, err)
			}
			var s history.Support
			switch e.get("support") {
			case "True":
				s = history.For
			case "False":
				s = history.Against
			default:
				return nil, fmt.Errorf("VoteEmitted tx %s: support %q", e.tx, e.get("support"))
			}
			b.add(castVote{proposal: id, voter: e.get("voter"), support: s, weight: w, e: e})
		case "ProposalQueued":
			queued = append(queued, e)
		case "ProposalExecuted":
			executed = append(executed, e)
		case "ProposalCanceled":
			canceled = append(canceled, e)
		case "VotingDelayChanged":
			delayEvs = append(delayEvs, e)
		default:
			otherEvs = append(otherEvs, e)
		}
	}
	if len(r.props) == 0 {
		return nil, errors.New("no ProposalCreated events")
	}
	if err := markOutcomes(r, byID, queued, executed, canceled); err != nil {
		return nil, err
	}
	r.tally(b, byID)
	if b.replaced > 0 {
		r.issuef("%d repeated votes by one voter on one proposal (Aave v2 forbids them); the last was kept", b.replaced)
	} else {
		r.checkf("repeated votes by one voter on one proposal: none")
	}
	for _, p := range r.props {
		x, ok := executorOfTrack(p.p.Track)
		if ok {
			p.passed = aavePassed(p.forW, p.againstW, sup.total, x.quorumBps, x.differentialBps)
		} else {
			r.issuef("proposal %s runs on executor %s, whose rules are not known; its state rests on its events alone", p.p.ID, p.p.Track)
		}
		p.p.State = finalState(p.executed, p.canceled, p.queued, p.open, p.passed)
	}
	for _, ex := range sortedKeys(execCount) {
		if x, ok := findExecutor(ex); ok {
			r.checkf("proposals on executor %s (%s): %d", ex, x.track, execCount[ex])
		} else {
			r.issuef("proposals on unknown executor %s: %d", ex, execCount[ex])
		}
	}
	for _, e := range otherEvs {
		if e.name == "ExecutorAuthorized" {
			if x, ok := findExecutor(e.get("executor")); ok {
				r.checkf("ExecutorAuthorized %s (%s) at %s, tx %s", e.get("executor"), x.track, e.time.Format(time.RFC3339), e.tx)
			} else {
				r.issuef("another executor was authorized: %s at %s (ExecutorAuthorized tx %s, block %d); no proposal in the file uses it, so no track or parameters are written for it.%s", e.get("executor"), e.time.Format(time.RFC3339), e.tx, e.block, aaveOtherExecutors[strings.ToLower(e.get("executor"))])
			}
		}
	}
	for _, s := range sortedKeys(strategies) {
		r.checkf("proposals using governance strategy %s: %d", s, strategies[s])
	}
	if len(noTitle) > 0 {
		r.issuef("no title in data/aave_descriptions_parsed.csv for proposals %s; title left empty", strings.Join(noTitle, ", "))
	}

	// Voting delay: the value in force at the first proposal comes from the
	// last VotingDelayChanged before it.
	spb := clk.meanBlockSeconds()
	first := r.firstCreated()
	firstBlock := r.props[0].createdBlock
	for _, p := range r.props {
		firstBlock = min(firstBlock, p.createdBlock)
	}
	var delay series
	var delay0 event
	for _, e := range delayEvs {
		v, err := parseWei(e.get("newVotingDelay"))
		if err != nil {
			return nil, fmt.Errorf("VotingDelayChanged tx %s: %w", e.tx, err)
		}
		if e.block <= firstBlock {
			delay.initial, delay0 = v, e
			continue
		}
		delay.steps = append(delay.steps, step{e: e, new: v})
	}
	if delay.initial == nil {
		return nil, errors.New("no VotingDelayChanged event before the first proposal: the initial voting delay is unknown")
	}
	days := func(v *big.Int) float64 { return blocksToDays(v, spb) }
	for _, x := range aaveExecutors {
		src := func(what string, v int64) string {
			return fmt.Sprintf("%s = %d in the %s Executor %s (constructor argument of the deployed contract; aave/governance-v2 README), not from an event", what, v, x.track, x.address)
		}
		r.param(first, "quorum", float64(x.quorumBps)/10000, x.track, "initial", src("MINIMUM_QUORUM (bps of the AAVE supply)", x.quorumBps))
		r.param(first, "vote_differential", float64(x.differentialBps)/10000, x.track, "initial", src("VOTE_DIFFERENTIAL (bps)", x.differentialBps))
		r.param(first, "proposal_threshold", float64(x.thresholdBps)/10000, x.track, "initial", src("PROPOSITION_THRESHOLD (bps)", x.thresholdBps))
		r.param(first, "voting_period_days", days(big.NewInt(x.dB)), x.track, "initial", src("VOTING_DURATION (blocks)", x.dB)+fmt.Sprintf("; x %.4f s/block. Every proposal on this executor has endBlock-startBlock = %d (see checks)", spb, x.dB))
	}
	r.param(first, "voting_delay_days", days(delay.initial), "", "initial",
		fmt.Sprintf("%s blocks: newVotingDelay of VotingDelayChanged tx %s (%s), the last before the first proposal", delay.initial, delay0.tx, delay0.time.Format(time.RFC3339)))
	for _, st := range delay.steps {
		r.param(st.e.time, "voting_delay_days", days(st.new), "", st.e.name+" tx "+st.e.tx, fmt.Sprintf("%s blocks, the event's newVotingDelay, x %.4f s/block", st.new, spb))
	}

	badPeriod, badDelay := 0, 0
	for _, p := range r.props {
		if x, ok := executorOfTrack(p.p.Track); ok && p.endBlock-p.startBlock != x.dB {
			badPeriod++
		}
		if want := delay.at(p.createdBlock, 1<<62).Int64(); p.startBlock-p.createdBlock != want {
			badDelay++
		}
	}
	r.checkf("proposals whose endBlock-startBlock differs from their executor's VOTING_DURATION (19,200 short, 64,000 long): %d of %d", badPeriod, len(r.props))
	r.checkf("proposals whose startBlock-creation block differs from the voting delay in force (from VotingDelayChanged): %d of %d", badDelay, len(r.props))
	if badPeriod > 0 || badDelay > 0 {
		r.issuef("%d proposals' voting periods and %d voting delays do not match the settings", badPeriod, badDelay)
	}
	for _, x := range aaveExecutors {
		var ds []float64
		for _, p := range r.props {
			if p.p.Track == x.track {
				ds = append(ds, p.p.End.Sub(p.p.Start).Hours()/24)
			}
		}
		r.checkf("%s proposals lasted %.3f days on average by the interpolated block times (the param uses %.3f)", x.track, mean(ds), days(big.NewInt(x.dB)))
	}
	r.voteWindowCheck(b, byID)
	r.ruleVsOutcome("short: For >= 2% of 16M AAVE and For-Against > 0.5% (integer bps); long: 20% and 15%")

	if err := r.setPrice("data/aave_usd.csv"); err != nil {
		return nil, err
	}
	r.h.Supply = []history.SupplyPoint{{Time: first, Total: tokens(sup.total)}}
	r.contracts = []string{
		fmt.Sprintf("AaveGovernanceV2 (emits every event in the file): %s", aaveGovernance),
		fmt.Sprintf("short Executor (track \"short\"): %s", aaveExecutors[0].address),
		fmt.Sprintf("long Executor (track \"long\"): %s", aaveExecutors[1].address),
		fmt.Sprintf("AAVE token: %s", sup.address),
	}
	r.onchain = []string{
		fmt.Sprintf("`address: %s`: the short Executor above, whose immutable MINIMUM_QUORUM, VOTE_DIFFERENTIAL, PROPOSITION_THRESHOLD (basis points) and VOTING_DURATION (blocks) the short track runs under; changing them means deploying a new Executor and authorising it through AaveGovernanceV2 %s (`authorizeExecutors(address[])`).", aaveExecutors[0].address, aaveGovernance),
		"`clock: blocks`: VOTING_DURATION counts blocks.",
		"`block_seconds: 12`: " + mergeNote,
		"`token_decimals: 18`: the wei per token these files count in (1e18), which gives AAVE's total supply of 16,000,000.",
	}
	for _, s := range sortedKeys(strategies) {
		r.contracts = append(r.contracts, "GovernanceStrategy (voting power AAVE + stkAAVE, voting supply = AAVE total supply): "+s)
	}
	r.provenance(
		fmt.Sprintf("AaveGovernanceV2 %s; executors %s (short), %s (long)", aaveGovernance, aaveExecutors[0].address, aaveExecutors[1].address),
		fmt.Sprintf("AAVE %s; total supply from data/governance_token_supplies.csv", sup.address),
		"titles: data/aave_descriptions_parsed.csv (IPFS metadata by ipfsHash)",
		"price: data/aave_usd.csv",
	)
	r.derivation = []string{
		"`id`: ProposalCreated `id` (without pandas' `.0`).",
		"`track`: `short` for executor 0xEE56e2B3D491590B5b31738cC34d5232F378a8D5, `long` for 0x61910EcD7e8e942136CE7Fe7943f956cea1CC2f7 (ProposalCreated `executor`). The two are the executors authorized together by ExecutorAuthorized in tx 0x86af2695…, and their proposals' voting durations (19,200 and 64,000 blocks) match the short and long executors' VOTING_DURATION.",
		"`proposer`: ProposalCreated `creator`.",
		"`created`: timestamp of the ProposalCreated event's block.",
		"`start`, `end`: ProposalCreated `startBlock` and `endBlock` converted to times: linear interpolation between the nearest observed (block, timestamp) pairs among all events of the file, extrapolated past the last observation with the average block time over its last 10,000 blocks. Voting is open in blocks (startBlock, endBlock].",
		"`for`, `against`: sums of VoteEmitted `votingPower` (wei, summed exactly, /1e18, rounded to 1e-6) by `support` True/False. Voting power is AAVE + stkAAVE (balances and delegations) at startBlock. `abstain` is 0: Aave v2 has no abstain.",
		"`voters`: distinct VoteEmitted voters.",
		"`title`: the `title` field of the proposal's IPFS metadata, from data/aave_descriptions_parsed.csv by `ipfsHash` (normalised as for the other DAOs: first non-empty line, leading `#` stripped, 120 characters).",
		"`state`: `executed` / `canceled` / `queued` from ProposalExecuted / ProposalCanceled / ProposalQueued (in that order); `active` if endBlock is after the last block of the file; else the executor's ProposalValidator: `succeeded` if For >= MINIMUM_QUORUM × supply / 10000 and floor(For×10000/supply) > floor(Against×10000/supply) + VOTE_DIFFERENTIAL, with supply = the AAVE total supply (16,000,000; GovernanceStrategy.getTotalVotingSupplyAt is the AAVE supply), otherwise `defeated`.",
		"`votes`: one per VoteEmitted: `support` for/against, `weight` = votingPower/1e18 rounded to 1e-6, `time` = the event's block timestamp.",
		fmt.Sprintf("`supply`: one point at the first proposal's creation with the AAVE total supply from data/governance_token_supplies.csv (%s wei = %s AAVE), the quorum base of the governance strategy; `votable` 0 (unknown). Taken as constant because the file gives one value (totalSupply when get_governance_supplies.py ran, the maximum over 20 blocks 10,000 apart). That is right for the quorum base as far as is known (background, not from these files: the 16,000,000 AAVE were created at the LEND migration, 13M for LEND holders and 3M for the ecosystem reserve, and no minting has been used since); what can actually vote is AAVE + stkAAVE held or delegated, which the data do not give, and a large part of the supply (the reserve, migration contract) never voted.", sup.total, strconv.FormatFloat(tokens(sup.total), 'f', -1, 64)),
		fmt.Sprintf("Block time used for periods in days: %.4f s/block, the average over the file (blocks %d-%d). Ethereum's block time fell from about 13.2 s to 12 s at the Merge (2022-09-15).", spb, clk.blocks[0], clk.lastBlock()),
	}
	return r, nil
}

func executorOfTrack(track string) (aaveExecutor, bool) {
	for _, x := range aaveExecutors {
		if x.track == track {
			return x, true
		}
	}
	return aaveExecutor{}, false
}

// ---------------------------------------------------------------- Lido

const (
	lidoVoting       = "0x2e59A20f205bB85a89C53f1936454680651E618e"
	lidoTokenManager = "0xf73a1260d222f447210581DDf212D915c09a3249"
	// lidoInitialVoteTime is the Voting app's voteTime before the first
	// ChangeVoteTime event: 24 hours. No event carries it; LIP-4 ("72h
	// Aragon Votes") states that Lido's Aragon votes were 24 h long, and
	// the checks confirm it from the data.
	lidoInitialVoteTime = 86400
)

var (
	lidoSupportRequiredPct = new(big.Int).Div(pctBase, big.NewInt(2))  // 50%
	lidoMinAcceptQuorumPct = new(big.Int).Div(pctBase, big.NewInt(20)) // 5%
)

func convertLido(in *input) (*result, error) {
	const file = "data/lido_governance.csv"
	evs, err := in.loadEvents(file)
	if err != nil {
		return nil, err
	}
	sup, err := in.supply("LDO")
	if err != nil {
		return nil, err
	}
	r := &result{key: "lido", file: file, in: in, events: evs, supply: sup}
	r.h = history.History{DAO: "Lido", Governor: "aragon", Token: history.Token{Symbol: "LDO", Address: sup.address}}
	byID := map[string]*prop{}
	b := newBallots()
	var voteTimeEvs, objPhaseEvs, executed, objections, quorumEvs []event
	type key struct{ tx, id, voter string }
	nays := map[key]*big.Int{}
	creators := map[string]int{}
	lastTime := evs[len(evs)-1].time
	for _, e := range evs {
		switch e.name {
		case "StartVote":
			id, err := normID(e.get("voteId"))
			if err != nil {
				return nil, err
			}
			num, _ := strconv.ParseInt(id, 10, 64)
			creators[e.get("creator")]++
			p := &prop{num: num, createdBlock: e.block}
			p.p = history.Proposal{ID: id, Proposer: e.get("creator"), Created: e.time, Start: e.time, Title: title(e.get("metadata"))}
			if byID[id] != nil {
				return nil, fmt.Errorf("vote %s started twice", id)
			}
			byID[id] = p
			r.props = append(r.props, p)
		case "CastVote":
			id, err := normID(e.get("voteId"))
			if err != nil {
				return nil, err
			}
			w, err := parseWei(e.get("stake"))
			if err != nil {
				return nil, fmt.Errorf("CastVote tx %s: %w", e.tx, err)
			}
			var s history.Support
			switch e.get("supports") {
			case "True":
				s = history.For
			case "False":
				s = history.Against
				nays[key{e.tx, id, strings.ToLower(e.get("voter"))}] = w
			default:
				return nil, fmt.Errorf("CastVote tx %s: supports %q", e.tx, e.get("supports"))
			}
			b.add(castVote{proposal: id, voter: e.get("voter"), support: s, weight: w, e: e})
		case "CastObjection":
			objections = append(objections, e)
		case "ExecuteVote":
			executed = append(executed, e)
		case "ChangeVoteTime":
			voteTimeEvs = append(voteTimeEvs, e)
		case "ChangeObjectionPhaseTime":
			objPhaseEvs = append(objPhaseEvs, e)
		case "ChangeMinQuorum", "ChangeSupportRequired":
			quorumEvs = append(quorumEvs, e)
		}
	}
	if len(r.props) == 0 {
		return nil, errors.New("no StartVote events")
	}
	for _, e := range quorumEvs {
		r.issuef("%s tx %s at %s: quorum/support changes are not applied by histconv", e.name, e.tx, e.time.Format(time.RFC3339))
	}
	if len(quorumEvs) == 0 {
		r.checkf("ChangeMinQuorum / ChangeSupportRequired events: none, so minAcceptQuorumPct and supportRequiredPct kept their initial values throughout")
	}
	// Every objection is also a CastVote(supports=false) of the same voter,
	// vote and stake in the same transaction (Lido's Voting emits both);
	// counting it again would count it twice.
	unpaired := 0
	for _, e := range objections {
		id, err := normID(e.get("voteId"))
		if err != nil {
			return nil, err
		}
		w, err := parseWei(e.get("stake"))
		if err != nil {
			return nil, fmt.Errorf("CastObjection tx %s: %w", e.tx, err)
		}
		if n, ok := nays[key{e.tx, id, strings.ToLower(e.get("voter"))}]; !ok || n.Cmp(w) != 0 {
			unpaired++
		}
	}
	r.checkf("CastObjection events: %d, each paired with a CastVote(supports=False) of the same voter, vote, stake and transaction: %d; objections are therefore counted once, through CastVote", len(objections), len(objections)-unpaired)
	if unpaired > 0 {
		r.issuef("%d CastObjection events have no matching CastVote(False) in their transaction; they are not counted", unpaired)
	}
	for _, e := range executed {
		id, err := normID(e.get("voteId"))
		if err != nil {
			return nil, err
		}
		p, ok := byID[id]
		if !ok {
			r.issuef("ExecuteVote tx %s names vote %s, which has no StartVote event", e.tx, id)
			continue
		}
		p.executed, p.execEvent = true, e
	}

	// Vote time: voteTime is global in Aragon Voting (a vote is open while
	// now < startDate + voteTime), so a change also moves the end of every
	// unexecuted vote it finds open or that reopens under the new value.
	type change struct {
		e event
		v int64
	}
	parseChanges := func(evs []event, col string) ([]change, error) {
		var cs []change
		for _, e := range evs {
			v, err := parseInt(e.get(col))
			if err != nil {
				return nil, fmt.Errorf("%s tx %s: %w", e.name, e.tx, err)
			}
			cs = append(cs, change{e, v})
		}
		return cs, nil
	}
	vts, err := parseChanges(voteTimeEvs, "voteTime")
	if err != nil {
		return nil, err
	}
	ops, err := parseChanges(objPhaseEvs, "objectionPhaseTime")
	if err != nil {
		return nil, err
	}
	var moved []string
	for _, p := range r.props {
		vt := int64(lidoInitialVoteTime)
		for _, c := range vts {
			if !c.e.time.After(p.p.Created) {
				vt = c.v
			}
		}
		end := p.p.Created.Add(time.Duration(vt) * time.Second)
		for _, c := range vts {
			if !c.e.time.After(p.p.Created) {
				continue
			}
			// A vote executed at or before the change (vote 122 executed
			// the change itself) is closed for good.
			executedBefore := p.executed && (p.execEvent.block < c.e.block || (p.execEvent.block == c.e.block && p.execEvent.log <= c.e.log) || p.execEvent.tx == c.e.tx)
			newEnd := p.p.Created.Add(time.Duration(c.v) * time.Second)
			if !executedBefore && c.e.time.Before(newEnd) {
				moved = append(moved, fmt.Sprintf("%s (%s → %s)", p.p.ID, end.Format(time.RFC3339), newEnd.Format(time.RFC3339)))
				end = newEnd
			}
		}
		p.p.End = end
		p.open = end.After(lastTime)
	}
	if len(moved) == 0 {
		r.checkf("votes whose end a ChangeVoteTime moved (open or unexecuted and younger than the new vote time at the change): none (a vote executed at or before the change, including one whose execution made the change, stays closed)")
	} else {
		r.issuef("votes whose end ChangeVoteTime moved (voteTime is global in Aragon Voting; unexecuted votes younger than the new vote time at the change stay or become open until start + new voteTime): %s", strings.Join(moved, "; "))
	}

	r.tally(b, byID)
	if b.replaced > 0 {
		r.issuef("%d re-votes (Aragon lets a voter change a vote while the vote is open; %d changed side): the last vote of each voter is kept, as the contract's tally does", b.replaced, b.switched)
	}
	for _, p := range r.props {
		p.passed = aragonPassed(p.forW, p.againstW, sup.total, lidoSupportRequiredPct, lidoMinAcceptQuorumPct)
		p.p.State = finalState(p.executed, false, false, p.open, p.passed)
	}
	// Checks of the vote time against the data.
	outside := 0
	for _, v := range b.m {
		if p, ok := byID[v.proposal]; ok && (v.e.time.Before(p.p.Start) || !v.e.time.Before(p.p.End)) {
			outside++
		}
	}
	r.checkf("votes cast outside [start, end) of their vote: %d", outside)
	if outside > 0 {
		r.issuef("%d votes were cast outside [start, end) of their vote", outside)
	}
	var firstChange time.Time
	if len(vts) > 0 {
		firstChange = vts[0].e.time
	}
	var maxCast, minExec float64
	minExec = math.Inf(1)
	for _, v := range b.m {
		p, ok := byID[v.proposal]
		if ok && (firstChange.IsZero() || p.p.Created.Before(firstChange)) {
			maxCast = max(maxCast, v.e.time.Sub(p.p.Created).Hours())
		}
	}
	for _, p := range r.props {
		if p.executed && (firstChange.IsZero() || p.p.Created.Before(firstChange)) {
			minExec = min(minExec, p.execEvent.time.Sub(p.p.Created).Hours())
		}
	}
	r.checkf("votes started before the first ChangeVoteTime: latest vote cast %.2f h after the start, earliest execution %.2f h after the start (consistent with a 24 h vote time)", maxCast, minExec)
	r.ruleVsOutcome("yea > 50% of yea+nay and yea > 5% of the LDO supply")
	if len(creators) == 1 {
		for c := range creators {
			r.checkf("every StartVote has creator %s (the TokenManager, which forwards newVote for LDO holders); `proposer` is therefore that contract, not the person", c)
		}
	}

	first := r.firstCreated()
	r.param(first, "quorum", ratio(lidoMinAcceptQuorumPct, pctBase), "", "initial",
		"minAcceptQuorumPct = 5% (5e16 of PCT_BASE 1e18), the Lido Voting app's setting at initialisation as documented for Lido (not an event in the file, and not checked here against the contract's storage); consistent with the outcomes: no executed vote has yea at or below 5% of the supply (the smallest is in the checks), so the quorum was not above that; the events cannot show that it was not lower")
	r.param(first, "support_required", ratio(lidoSupportRequiredPct, pctBase), "", "initial",
		"supportRequiredPct = 50% (5e17), the Lido Voting app's setting at initialisation as documented for Lido (not an event in the file, not checked against the contract's storage; the data cannot bracket it, since almost no vote had nays)")
	r.param(first, "proposal_threshold", 0, "", "initial",
		"0: votes are opened through the TokenManager by any LDO holder (a balance above 0, not a share of supply); Aragon ACL setup, not from an event")
	r.param(first, "voting_period_days", float64(lidoInitialVoteTime)/86400, "", "initial",
		"voteTime 86,400 s before the first ChangeVoteTime: documentation (LIP-4: \"Currently Aragon votes on Lido DAO are 24h long\") and consistent with the data (see checks), not from an event")
	for _, c := range vts {
		r.param(c.e.time, "voting_period_days", round6(float64(c.v)/86400), "", c.e.name+" tx "+c.e.tx, fmt.Sprintf("voteTime %d s, the event's value", c.v))
	}
	r.param(first, "objection_phase_days", 0, "", "initial",
		"0: Lido's Voting had no objection phase until the Voting upgrade enacted with the first ChangeObjectionPhaseTime (June 2022); not from an event")
	for _, c := range ops {
		r.param(c.e.time, "objection_phase_days", round6(float64(c.v)/86400), "", c.e.name+" tx "+c.e.tx, fmt.Sprintf("objectionPhaseTime %d s, the event's value (the last part of voteTime, in which only objections may be cast)", c.v))
	}

	if err := r.setPrice("data/lido_dao_usd.csv"); err != nil {
		return nil, err
	}
	r.h.Supply = []history.SupplyPoint{{Time: first, Total: tokens(sup.total)}}
	r.contracts = []string{
		fmt.Sprintf("Lido DAO Aragon Voting (proxy, emits every event in the file): %s", lidoVoting),
		fmt.Sprintf("TokenManager (creator of every vote): %s", lidoTokenManager),
		fmt.Sprintf("LDO token: %s", sup.address),
	}
	r.onchain = []string{
		fmt.Sprintf("`address: %s`: the Aragon Voting above, whose `changeMinAcceptQuorumPct(uint64)`, `changeSupportRequiredPct(uint64)` (10^18 = 100%%) and `unsafelyChangeVoteTime(uint64)` (seconds) a vote calls (lidofinance/aragon-apps apps/voting/contracts/Voting.sol).", lidoVoting),
		"`clock: timestamp`: Aragon counts the vote time in seconds.",
		"`token_decimals: 18`: the wei per token these files count in (1e18), which gives LDO's total supply of 1,000,000,000.",
	}
	r.provenance(
		fmt.Sprintf("Lido Aragon Voting %s", lidoVoting),
		fmt.Sprintf("LDO %s; total supply from data/governance_token_supplies.csv", sup.address),
		"price: data/lido_dao_usd.csv",
	)
	r.derivation = []string{
		"`id`: StartVote `voteId`.",
		"`proposer`: StartVote `creator` (always the TokenManager; see checks).",
		"`created`, `start`: timestamp of the StartVote event's block (Aragon opens a vote at once; its snapshot is the previous block).",
		"`end`: start + voteTime, voteTime being 86,400 s until the ChangeVoteTime event and its value after; because voteTime is global in Aragon Voting, a vote not yet executed whose start + new voteTime is after the change ends at start + new voteTime (see the checks for the votes concerned). No block conversion is needed: Aragon counts seconds.",
		"`for`, `against`: sums of the stakes of each voter's last CastVote (`supports` True/False; wei summed exactly, /1e18, rounded to 1e-6). CastObjection events are not added: each one is emitted alongside a CastVote(False) of the same voter and stake in the same transaction, so objections are already in `against`. `abstain` is 0.",
		"`voters`: distinct voters (after keeping each voter's last vote).",
		"`title`: first non-empty line of StartVote `metadata`, leading `#` and spaces stripped, 120 characters; empty when the vote has no metadata.",
		"`state`: `executed` if an ExecuteVote event names it; `active` if its end is after the file's last event; else Aragon's rule with the exact wei tallies: `succeeded` if yea×1e18/(yea+nay) > 50% and yea×1e18/supply > 5% (both strict, `_isValuePct`), supply being the LDO total supply (the vote's votingPower is totalSupplyAt(snapshot)); otherwise `defeated`. Aragon votes cannot be canceled or queued.",
		"`votes`: each voter's last CastVote: `support` for/against, `weight` = stake/1e18 rounded to 1e-6, `time` = the event's block timestamp.",
		fmt.Sprintf("`supply`: one point at the first vote's start with the LDO total supply from data/governance_token_supplies.csv (%s wei = %s LDO); `votable` 0 (unknown). Taken as constant because the file gives one value (totalSupply when get_governance_supplies.py ran, the maximum over 20 blocks 10,000 apart). That is right for the quorum base as far as is known (background, not from these files: LDO's 1,000,000,000 were minted at genesis and none have been minted since), but much of the supply sat in the DAO treasury and in vesting, so the supply that actually voted was far smaller.", sup.total, strconv.FormatFloat(tokens(sup.total), 'f', -1, 64)),
	}
	return r, nil
}

// ---------------------------------------------------------------- output

// encodeHistory writes the history as JSON: proposals indented, votes,
// supply points and parameter changes one per line.
func encodeHistory(h *history.History) ([]byte, error) {
	enc := func(v any, indent bool) (string, error) {
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		if indent {
			e.SetIndent("  ", " ")
		}
		if err := e.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimRight(buf.String(), "\n"), nil
	}
	var b strings.Builder
	var err error
	fields := 0
	field := func(name string, v any) {
		if err != nil {
			return
		}
		s, e := enc(v, false)
		if e != nil {
			err = e
			return
		}
		if fields > 0 {
			b.WriteString(",\n")
		}
		fields++
		fmt.Fprintf(&b, " %q: %s", name, s)
	}
	list := func(name string, n int, item func(i int) any, indent bool) {
		if err != nil {
			return
		}
		if fields > 0 {
			b.WriteString(",\n")
		}
		fields++
		fmt.Fprintf(&b, " %q: [", name)
		for i := range n {
			s, e := enc(item(i), indent)
			if e != nil {
				err = e
				return
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  ")
			b.WriteString(s)
		}
		if n > 0 {
			b.WriteString("\n ")
		}
		b.WriteString("]")
	}
	b.WriteString("{\n")
	field("dao", h.DAO)
	if h.Governor != "" {
		field("governor", h.Governor)
	}
	field("token", h.Token)
	if len(h.Provenance) > 0 {
		list("provenance", len(h.Provenance), func(i int) any { return h.Provenance[i] }, false)
	}
	list("proposals", len(h.Proposals), func(i int) any { return h.Proposals[i] }, true)
	if len(h.Votes) > 0 {
		list("votes", len(h.Votes), func(i int) any { return h.Votes[i] }, false)
	}
	list("supply", len(h.Supply), func(i int) any { return h.Supply[i] }, false)
	if len(h.Params) > 0 {
		list("params", len(h.Params), func(i int) any { return h.Params[i] }, false)
	}
	if h.Holders != nil {
		field("holders", h.Holders)
	}
	b.WriteString("\n}\n")
	return []byte(b.String()), err
}

// roundTrip checks that the JSON reads back into a History that encodes to
// the same bytes.
func roundTrip(js []byte) error {
	var h history.History
	if err := json.Unmarshal(js, &h); err != nil {
		return fmt.Errorf("output does not read back: %w", err)
	}
	again, err := encodeHistory(&h)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, js) {
		return errors.New("output does not read back to the same history")
	}
	return nil
}

// figures summarise a history.
type figures struct {
	byState                      map[history.State]int
	proposals, votes, voters     int
	first, last                  time.Time
	decided, passed, belowQuorum int
	meanTurnout, medianTurnout   float64
	top                          []topVoter
}

type topVoter struct {
	voter         string
	weight        float64
	voted, inSpan int
}

// paramAt returns the value of a parameter in force at t on a track.
func paramAt(ps []history.ParamChange, name, track string, t time.Time) (float64, bool) {
	v, ok := 0.0, false
	for _, p := range ps {
		if p.Name == name && (p.Track == "" || p.Track == track) && !p.Time.After(t) {
			v, ok = p.Value, true
		}
	}
	return v, ok
}

func supplyAt(h *history.History, t time.Time) float64 {
	if len(h.Supply) == 0 {
		return 0
	}
	v := h.Supply[0].Total
	for _, s := range h.Supply {
		if !s.Time.After(t) {
			v = s.Total
		}
	}
	return v
}

func computeFigures(h *history.History) figures {
	f := figures{byState: map[history.State]int{}, proposals: len(h.Proposals), votes: len(h.Votes)}
	var turnout []float64
	for i, p := range h.Proposals {
		f.byState[p.State]++
		if i == 0 || p.Created.Before(f.first) {
			f.first = p.Created
		}
		if p.End.After(f.last) {
			f.last = p.End
		}
		if !p.State.Decided() {
			continue
		}
		f.decided++
		if p.State.Passed() {
			f.passed++
		}
		s := supplyAt(h, p.Created)
		if s > 0 {
			turnout = append(turnout, (p.For+p.Against+p.Abstain)/s)
		}
		if q, ok := paramAt(h.Params, "quorum", p.Track, p.Created); ok && p.For < q*s {
			f.belowQuorum++
		}
	}
	f.meanTurnout = mean(turnout)
	if n := len(turnout); n > 0 {
		s := slices.Sorted(slices.Values(turnout))
		f.medianTurnout = s[n/2]
		if n%2 == 0 {
			f.medianTurnout = (s[n/2-1] + s[n/2]) / 2
		}
	}
	// Voters and the ten largest by weight cast.
	idx := map[string]int{}
	for i, p := range h.Proposals {
		idx[p.ID] = i
	}
	type agg struct {
		weight      float64
		first, last int
		on          map[int]bool
	}
	by := map[string]*agg{}
	for _, v := range h.Votes {
		k := strings.ToLower(v.Voter)
		a, ok := by[k]
		i := idx[v.Proposal]
		if !ok {
			a = &agg{first: i, last: i, on: map[int]bool{}}
			by[k] = a
		}
		a.weight += v.Weight
		a.first, a.last = min(a.first, i), max(a.last, i)
		a.on[i] = true
	}
	f.voters = len(by)
	names := sortedKeys(by)
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(by[b].weight, by[a].weight) })
	for _, k := range names[:min(10, len(names))] {
		a := by[k]
		t := topVoter{voter: k, weight: a.weight}
		for i := a.first; i <= a.last; i++ {
			if h.Proposals[i].State == history.Canceled {
				continue
			}
			t.inSpan++
			if a.on[i] {
				t.voted++
			}
		}
		f.top = append(f.top, t)
	}
	return f
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func (f figures) text() string {
	var b strings.Builder
	var states []string
	for _, s := range []history.State{history.Executed, history.Queued, history.Succeeded, history.Expired, history.Defeated, history.Canceled, history.Active, history.Pending} {
		if n := f.byState[s]; n > 0 {
			states = append(states, fmt.Sprintf("%s %d", s, n))
		}
	}
	fmt.Fprintf(&b, "- proposals: %d (%s)\n", f.proposals, strings.Join(states, ", "))
	fmt.Fprintf(&b, "- votes: %d; distinct voters: %d\n", f.votes, f.voters)
	fmt.Fprintf(&b, "- date range: first created %s, last end %s\n", f.first.Format(time.RFC3339), f.last.Format(time.RFC3339))
	fmt.Fprintf(&b, "- decided proposals (passed or defeated): %d; pass rate %s (%d passed)\n", f.decided, pct(f.passed, f.decided), f.passed)
	fmt.Fprintf(&b, "- turnout (for+against+abstain)/total supply per decided proposal: mean %.2f%%, median %.2f%%\n", 100*f.meanTurnout, 100*f.medianTurnout)
	fmt.Fprintf(&b, "- decided proposals whose For fell below the quorum in force: %d of %d (%s)\n", f.belowQuorum, f.decided, pct(f.belowQuorum, f.decided))
	fmt.Fprintf(&b, "- 10 largest voters by total weight cast; share of the non-canceled proposals between their first and last vote that they voted on:\n")
	for i, t := range f.top {
		fmt.Fprintf(&b, "  %2d. %s  %.0f tokens  %d/%d = %s\n", i+1, t.voter, t.weight, t.voted, t.inSpan, pct(t.voted, t.inSpan))
	}
	return b.String()
}

func sourcesDoc(r *result, f figures, size int) string {
	var b strings.Builder
	commit := r.in.src.commit()
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# %s governance history: sources\n\n", r.h.DAO)
	p("`history.json` here was generated by `tools/histconv` (package main in this module) from public on-chain event data; do not edit it by hand, regenerate it (see the end). Every figure below is read from the input files or computed from them, unless marked as coming from contract code or documentation.\n\n")
	p("## Data\n\n")
	p("- Repository: %s, commit `%s`. It holds the raw events of the study \"%s\", scraped from an Ethereum node with its `get_*.py` scripts; timestamps are block timestamps in UTC.\n", repoURL, commit, studyRef)
	p("- Files read (git blob ids):\n")
	for _, name := range sortedKeys(r.in.files) {
		fi := r.in.files[name]
		p("  - `%s` (%d bytes, blob `%s`)\n", name, fi.size, fi.blob)
	}
	p("- Contracts:\n")
	for _, c := range r.contracts {
		p("  - %s\n", c)
	}
	first, last := r.events[0], r.events[len(r.events)-1]
	p("- Events in `%s`: blocks %d to %d, %s to %s UTC; ", r.file, first.block, last.block, first.time.Format(time.RFC3339), last.time.Format(time.RFC3339))
	counts := countEvents(r.events)
	var cs []string
	for _, k := range sortedKeys(counts) {
		cs = append(cs, fmt.Sprintf("%s %d", k, counts[k]))
	}
	p("%s.\n", strings.Join(cs, ", "))
	p("- Proposals: %d, created %s to %s; votes %d. `history.json` is %d bytes.\n\n", len(r.h.Proposals), r.firstCreated().Format(time.RFC3339), r.h.Proposals[len(r.h.Proposals)-1].Created.Format(time.RFC3339), len(r.h.Votes), size)
	p("## How each field was derived\n\n")
	for _, d := range r.derivation {
		p("- %s\n", d)
	}
	p("- `token`: symbol and address from `data/governance_token_supplies.csv`.")
	if r.price.found {
		p(" `price_usd` %v: the last observation on %s (UTC), the date of the last proposal's end, of `%s` (at %s); the file is an hourly USD price series of unix-millisecond times from %s to %s (its source is not stated in the repository).\n",
			r.price.usd, r.price.at.Format(time.DateOnly), r.price.file, r.price.at.Format(time.RFC3339), r.price.first.Format(time.DateOnly), r.price.last.Format(time.DateOnly))
	} else {
		p(" No price: `%s` has no observation on the date of the last proposal's end.\n", r.price.file)
	}
	p("- `params`: model parameter names; fractions of the total supply, periods in days. `initial` entries hold the value in force at the first proposal's creation; each later entry is a change event at its block time, named `<Event> tx <hash>`. Their sources:\n\n")
	p("| time | name | track | value | event | source |\n|---|---|---|---|---|---|\n")
	for i, c := range r.h.Params {
		tr := c.Track
		if tr == "" {
			tr = "all"
		}
		p("| %s | %s | %s | %v | %s | %s |\n", c.Time.Format(time.RFC3339), c.Name, tr, c.Value, c.Event, r.paramSource[i])
	}
	p("\n- `provenance`: the repository and commit, the events file and its range, the contracts and the other files used.\n\n")
	p("## Checks against the events\n\n")
	for _, c := range r.checks {
		p("- %s\n", c)
	}
	if len(r.onchain) > 0 {
		p("\n## On-chain specification (`dao.onchain` in attune.yaml)\n\n")
		p("What the proposal's on-chain specification needs to turn a recommended value into a call's argument:\n\n")
		for _, l := range r.onchain {
			p("- %s\n", l)
		}
	}
	p("\n## Inconsistencies and caveats\n\n")
	if len(r.issues) == 0 {
		p("- none found by the checks above\n")
	}
	for _, c := range r.issues {
		p("- %s\n", c)
	}
	p("\n## Figures (computed by histconv from commit `%s`)\n\n", commit)
	b.WriteString(f.text())
	p("\n## Regenerate\n\nFrom the module root, with a clone (or bare git directory) of %s:\n\n", repoURL)
	p("    go run ./tools/histconv -repo PATH/TO/dao-governance -rev %s -out configs/examples\n", commit)
	return b.String()
}
