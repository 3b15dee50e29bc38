package chain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/internal/evm"
)

// Source reads a governor's history from a node. It implements
// adapters.Source and adapters.Incremental. It is not safe for
// concurrent use.
type Source struct {
	cfg      Config
	governor evm.Address
	env      adapters.Env
	name     string
	rpc      *rpcClient
	// span carries the log scanner's span from one read to the next.
	span, ceiling uint64
	// lastScan counts the last read's eth_getLogs requests and refusals.
	lastScan struct{ requests, refusals int }
}

var (
	_ adapters.Source      = (*Source)(nil)
	_ adapters.Incremental = (*Source)(nil)
)

// Read reads the governor's events from from_block to to_block and the
// values its contracts hold, and returns them as a governance history.
func (s *Source) Read(ctx context.Context) (*adapters.Data, error) {
	h, err := s.read(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &adapters.Data{History: h}, nil
}

// ReadSince brings prev, a history this source returned, up to date: it
// reads only the blocks after the last one prev covers (recorded in its
// provenance) and re-checks the proposals prev left open (pending,
// active, succeeded or queued) against the governor. A prev this source
// did not write (another governor, or no block range in its provenance)
// is read again whole.
func (s *Source) ReadSince(ctx context.Context, prev *history.History) (*history.History, error) {
	return s.read(ctx, prev)
}

// Names of the parameters this source writes (model parameter names).
const (
	paramQuorum    = "quorum"
	paramThreshold = "proposal_threshold"
	paramPeriod    = "voting_period_days"
	paramDelay     = "voting_delay_days"
)

// bravoGrace is Compound's Timelock GRACE_PERIOD (14 days,
// contracts/Timelock.sol): a queued Bravo proposal not executed by
// eta + bravoGrace is Expired.
const bravoGrace = 14 * 24 * 3600

// clockKind is what a governor counts timepoints in.
type clockKind int

const (
	clockBlocks clockKind = iota
	clockTimestamp
)

// governorInfo is what the governor and its token say of themselves.
type governorInfo struct {
	name            string
	clock           clockKind
	quorumForAbst   bool // OpenZeppelin's quorum=for,abstain (else For alone)
	token           evm.Address
	symbol          string
	decimals        int
	supply          *big.Int // totalSupply at the last block
	delay, period   *big.Int
	threshold       *big.Int
	quorumNum       *big.Int // OZ quorumNumerator, nil without the fraction module
	quorumDen       *big.Int
	quorumVotes     *big.Int // Bravo
	pastSupplyWorks bool
}

// prop is one proposal as the events and calls give it, amounts exact.
type prop struct {
	id                       *big.Int
	proposer                 string
	createdBlock             uint64
	start, end               *big.Int
	forW, againstW, abstainW *big.Int
	queued, executed         bool
	canceled                 bool
	eta                      *big.Int
	title                    string
	// prev is the proposal in the history ReadSince brings up to date;
	// open marks one whose state may still change.
	prev *history.Proposal
	// quorum is the quorum at the snapshot (OZ), when the vote is over.
	quorum *big.Int
	// touched marks a proposal an event of this read names.
	touched bool
}

// ballot is one vote, the last a voter cast on a proposal.
type ballot struct {
	proposal string
	voter    string
	key      string // voter in lower case, for order
	support  history.Support
	weight   *big.Int // nil for a vote kept from prev
	prev     *history.Vote
	block    uint64
}

// weiPoint is the token supply from a time on, in its smallest unit.
type weiPoint struct {
	t   time.Time
	wei *big.Int
}

// supplyWeiAt is the exact supply in force at t: the last point read at
// or before t, else the first, else the supply at the head.
func (r *reader) supplyWeiAt(t time.Time) *big.Int {
	v := r.info.supply
	for i, p := range r.supplyWei {
		if i == 0 || !p.t.After(t) {
			v = p.wei
		}
	}
	return v
}

// paramEvent is a parameter-setting event.
type paramEvent struct {
	name     string
	old, new *big.Int
	block    uint64
	tx       string
	event    string
}

// reader is one read's state.
type reader struct {
	*Source
	info     governorInfo
	head     uint64 // the last block read
	headTime uint64
	from     uint64
	now      *big.Int // the clock at head: head or headTime
	props    map[string]*prop
	order    []string
	ballots  map[[2]string]*ballot
	params   []paramEvent
	times    map[uint64]uint64 // block timestamps
	// supplyWei are the supply points read, exact, in time order.
	supplyWei []weiPoint
	prev      *history.History
	notes     []string
	newEvents int
}

// provenanceRe reads back the block range a history covers.
var provenanceRe = regexp.MustCompile(`^governor (0x[0-9a-fA-F]{40}) \((oz|bravo)\) events: blocks (\d+)-(\d+)`)

func (s *Source) read(ctx context.Context, prev *history.History) (*history.History, error) {
	r := &reader{Source: s, props: map[string]*prop{}, ballots: map[[2]string]*ballot{}, times: map[uint64]uint64{}}
	var latest quantity
	if err := s.rpc.Call(ctx, &latest, "eth_blockNumber"); err != nil {
		return nil, fmt.Errorf("%s: eth_blockNumber: %w", s.name, err)
	}
	r.head = uint64(latest)
	if s.cfg.ToBlock != 0 {
		if s.cfg.ToBlock > r.head {
			return nil, fmt.Errorf("%s: to_block %d is after the node's latest block %d; lower to_block, or set 0 to read up to the latest", s.name, s.cfg.ToBlock, r.head)
		}
		r.head = s.cfg.ToBlock
	}
	r.from = s.cfg.FromBlock
	if prev != nil {
		last, ok := s.coveredUpTo(prev)
		if !ok {
			prev = nil
		} else {
			if last >= r.head {
				return cloneHistory(prev), nil
			}
			r.from = last + 1
			r.prev = prev
		}
	}
	if r.from > r.head {
		return nil, fmt.Errorf("%s: from_block %d is after the latest block %d; lower from_block", s.name, r.from, r.head)
	}
	if err := r.readInfo(ctx); err != nil {
		return nil, err
	}
	if prev != nil {
		if err := r.seed(prev); err != nil {
			return nil, err
		}
	}
	if err := r.scan(ctx); err != nil {
		return nil, err
	}
	if len(r.order) == 0 {
		return nil, fmt.Errorf("%s: no ProposalCreated event in blocks %d-%d; check address, family and from_block (the governor's deployment block)", s.name, r.from, r.head)
	}
	if err := r.recheck(ctx); err != nil {
		return nil, err
	}
	if err := r.fetchTimes(ctx); err != nil {
		return nil, err
	}
	h, err := r.build(ctx)
	if err != nil {
		return nil, err
	}
	s.env.Log().Info("governor source read", "source", s.name, "node", s.rpc.where, "from", r.from, "to", r.head,
		"events", r.newEvents, "proposals", len(h.Proposals), "votes", len(h.Votes),
		"getlogs_requests", s.lastScan.requests, "refusals", s.lastScan.refusals)
	return h, nil
}

// coveredUpTo returns the last block prev covers, when this source (the
// same governor) wrote it.
func (s *Source) coveredUpTo(prev *history.History) (uint64, bool) {
	for _, p := range prev.Provenance {
		m := provenanceRe.FindStringSubmatch(p)
		if m == nil || !strings.EqualFold(m[1], s.governor.Hex()) || m[2] != s.cfg.Family {
			continue
		}
		last, err := strconv.ParseUint(m[4], 10, 64)
		if err != nil {
			return 0, false
		}
		return last, true
	}
	return 0, false
}

// readInfo reads the governor's clock, counting, token and settings at
// the head block.
func (r *reader) readInfo(ctx context.Context) error {
	g := r.governor
	at := hexQ(r.head)
	name := optCall(g, "name()", evm.StringT)
	clock := optCall(g, "CLOCK_MODE()", evm.StringT)
	counting := optCall(g, "COUNTING_MODE()", evm.StringT)
	delay := newCall(g, "votingDelay()", evm.Uint256)
	period := newCall(g, "votingPeriod()", evm.Uint256)
	threshold := newCall(g, "proposalThreshold()", evm.Uint256)
	calls := []*ethCall{name, clock, counting, delay, period, threshold}
	var tokenCall, num, den, qv *ethCall
	if r.cfg.Token == "" {
		fn := "token()"
		if r.cfg.Family == Bravo {
			fn = "comp()"
		}
		tokenCall = newCall(g, fn, evm.AddrT)
		calls = append(calls, tokenCall)
	}
	if r.cfg.Family == OZ {
		num = optCall(g, "quorumNumerator()", evm.Uint256)
		den = optCall(g, "quorumDenominator()", evm.Uint256)
		calls = append(calls, num, den)
	} else {
		qv = newCall(g, "quorumVotes()", evm.Uint256)
		calls = append(calls, qv)
	}
	if err := r.callAll(ctx, at, calls); err != nil {
		return fmt.Errorf("%w; check address and family", err)
	}
	info := &r.info
	info.name = strings.TrimSpace(name.str())
	info.delay, info.period, info.threshold = delay.num(0), period.num(0), threshold.num(0)
	switch mode := clock.str(); {
	case clock.reverted || mode == "" || mode == "mode=blocknumber&from=default":
		info.clock = clockBlocks
		r.notes = append(r.notes, "clock: block numbers")
	case mode == "mode=timestamp":
		info.clock = clockTimestamp
		r.notes = append(r.notes, "clock: timestamps (CLOCK_MODE mode=timestamp)")
	default:
		return fmt.Errorf("%s: CLOCK_MODE() is %q: the governor counts another chain's blocks or an unknown clock, which this source cannot turn into times; read it from a node of that chain", r.name, oneLine(mode, 80))
	}
	if r.cfg.Family == OZ {
		mode := counting.str()
		info.quorumForAbst = counting.reverted || strings.Contains(mode, "quorum=for,abstain")
		if !counting.reverted && !strings.Contains(mode, "support=bravo") {
			return fmt.Errorf("%s: COUNTING_MODE() is %q; this source reads the For/Against/Abstain counting (support=bravo) only", r.name, oneLine(mode, 80))
		}
		if !num.reverted && num.num(0) != nil {
			info.quorumNum = num.num(0)
			info.quorumDen = big.NewInt(100) // OpenZeppelin's default
			if !den.reverted && den.num(0) != nil && den.num(0).Sign() > 0 {
				info.quorumDen = den.num(0)
			}
		} else {
			r.notes = append(r.notes, "quorum: the governor has no quorumNumerator() (not GovernorVotesQuorumFraction); quorum(snapshot) decides each vote, no quorum parameter is written")
		}
	} else {
		info.quorumVotes = qv.num(0)
	}
	if tokenCall != nil {
		a, ok := tokenCall.addr()
		if !ok {
			return fmt.Errorf("%s: %s returned no address; set token", r.name, tokenCall.sig)
		}
		info.token = a
	} else {
		info.token, _ = evm.ParseAddress(r.cfg.Token)
	}
	t := info.token
	symbol := optCall(t, "symbol()", evm.StringT)
	symbol32 := optCall(t, "symbol()", evm.Bytes32)
	decimals := newCall(t, "decimals()", evm.Type{Kind: evm.KindUint, Size: 8})
	supply := newCall(t, "totalSupply()", evm.Uint256)
	if err := r.callAll(ctx, at, []*ethCall{symbol, symbol32, decimals, supply}); err != nil {
		return fmt.Errorf("%w; check token", err)
	}
	info.symbol = strings.TrimSpace(symbol.str())
	if info.symbol == "" {
		info.symbol = strings.TrimSpace(symbol32.str())
	}
	if info.symbol == "" {
		info.symbol = t.Hex()
	}
	info.decimals = int(decimals.num(0).Int64())
	if info.decimals > 36 {
		return fmt.Errorf("%s: the token's decimals() is %d; want at most 36", r.name, info.decimals)
	}
	info.supply = supply.num(0)
	if info.supply.Sign() <= 0 {
		return fmt.Errorf("%s: the token %s has a total supply of 0; check token", r.name, t.Hex())
	}
	return nil
}

// seed loads prev's proposals and votes.
func (r *reader) seed(prev *history.History) error {
	for i := range prev.Proposals {
		p := &prev.Proposals[i]
		id, ok := new(big.Int).SetString(p.ID, 10)
		if !ok {
			return fmt.Errorf("%s: the cached history's proposal id %q is not a number; refresh the cache", r.name, oneLine(p.ID, 80))
		}
		r.props[p.ID] = &prop{id: id, prev: p, proposer: p.Proposer, title: p.Title}
		r.order = append(r.order, p.ID)
	}
	for i := range prev.Votes {
		v := &prev.Votes[i]
		k := [2]string{v.Proposal, strings.ToLower(v.Voter)}
		r.ballots[k] = &ballot{proposal: v.Proposal, voter: v.Voter, key: k[1], support: v.Support, prev: v}
	}
	return nil
}

// scan reads and applies the events of [from, head].
func (r *reader) scan(ctx context.Context) error {
	if r.span == 0 {
		r.span, r.ceiling = r.cfg.MaxRange, r.cfg.MaxRange
	}
	sc := &logScanner{rpc: r.rpc, log: r.env.Log(), address: r.governor.Hex(), topics: eventTopics,
		span: r.span, ceiling: r.ceiling, minSpan: r.cfg.MinRange}
	err := sc.scan(ctx, r.from, r.head, func(logs []rawLog) error {
		for _, l := range logs {
			ev, ok, err := decodeLog(l)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			if ok {
				if err := r.apply(ev); err != nil {
					return err
				}
			}
		}
		return nil
	})
	r.span, r.ceiling = sc.span, sc.ceiling
	r.lastScan.requests, r.lastScan.refusals = sc.requests, sc.refusals
	return err
}

// apply records one event.
func (r *reader) apply(ev event) error {
	r.newEvents++
	if ev.Time != 0 {
		r.times[ev.Block] = ev.Time
	}
	where := func() string { return fmt.Sprintf("%s (block %d, tx %s)", ev.Name, ev.Block, oneLine(ev.Tx, 70)) }
	if ev.Proposal == nil {
		r.params = append(r.params, paramEvent{name: ev.Name, old: ev.Old, new: ev.New, block: ev.Block, tx: ev.Tx, event: ev.Name})
		return nil
	}
	id := ev.Proposal.String()
	p := r.props[id]
	if ev.Name == "ProposalCreated" {
		if p != nil {
			return fmt.Errorf("%s: %s creates proposal %s a second time", r.name, where(), id)
		}
		if ev.End.Cmp(ev.Start) <= 0 {
			return fmt.Errorf("%s: %s: proposal %s ends (%s) before it starts (%s)", r.name, where(), id, ev.End, ev.Start)
		}
		r.props[id] = &prop{id: ev.Proposal, proposer: ev.Proposer, createdBlock: ev.Block, start: ev.Start, end: ev.End,
			forW: new(big.Int), againstW: new(big.Int), abstainW: new(big.Int), title: title(ev.Description), touched: true}
		r.order = append(r.order, id)
		return nil
	}
	if p == nil {
		r.notes = append(r.notes, fmt.Sprintf("%s names proposal %s, created before from_block; left out", where(), id))
		return nil
	}
	p.touched = true
	switch ev.Name {
	case "VoteCast", "VoteCastWithParams":
		var s history.Support
		switch ev.Support {
		case 0:
			s = history.Against
		case 1:
			s = history.For
		case 2:
			s = history.Abstain
		default:
			return fmt.Errorf("%s: %s: support %d is not 0, 1 or 2 (against, for, abstain); this source reads GovernorCountingSimple's votes only", r.name, where(), ev.Support)
		}
		k := [2]string{id, strings.ToLower(ev.Voter)}
		if old := r.ballots[k]; old != nil && old.weight != nil && p.forW != nil {
			// Counting modules refuse a second vote; a node that
			// replays one is counted once, the last.
			p.tally(old.support).Sub(p.tally(old.support), old.weight)
		}
		r.ballots[k] = &ballot{proposal: id, voter: ev.Voter, key: k[1], support: s, weight: ev.Weight, block: ev.Block}
		if p.forW != nil {
			p.tally(s).Add(p.tally(s), ev.Weight)
		}
	case "ProposalQueued":
		p.queued, p.eta = true, ev.Eta
	case "ProposalExecuted":
		p.executed = true
	case "ProposalCanceled":
		p.canceled = true
	case "ProposalExtended":
		p.end = ev.End
	}
	return nil
}

func (p *prop) tally(s history.Support) *big.Int {
	switch s {
	case history.For:
		return p.forW
	case history.Against:
		return p.againstW
	}
	return p.abstainW
}

// open reports whether prev left the proposal's state open.
func (p *prop) open() bool {
	if p.prev == nil {
		return true
	}
	switch p.prev.State {
	case history.Pending, history.Active, history.Succeeded, history.Queued:
		return true
	}
	return false
}

// recheck reads, for proposals kept from prev that are open or that new
// events name, their timepoints, exact tallies and flags from the
// governor; and for OpenZeppelin, the quorum at each finished vote's
// snapshot.
func (r *reader) recheck(ctx context.Context) error {
	at := hexQ(r.head)
	var calls []*ethCall
	type fetch struct {
		p     *prop
		calls []*ethCall
	}
	var fs []fetch
	for _, id := range r.order {
		p := r.props[id]
		if p.prev == nil || !(p.open() || p.touched) {
			continue
		}
		f := fetch{p: p}
		if r.cfg.Family == Bravo {
			f.calls = []*ethCall{newCall(r.governor, "proposals(uint256)", evm.Uint256, evm.AddrT, evm.Uint256, evm.Uint256,
				evm.Uint256, evm.Uint256, evm.Uint256, evm.Uint256, evm.BoolT, evm.BoolT)}
		} else {
			f.calls = []*ethCall{newCall(r.governor, "proposalSnapshot(uint256)", evm.Uint256),
				newCall(r.governor, "proposalDeadline(uint256)", evm.Uint256),
				newCall(r.governor, "proposalVotes(uint256)", evm.Uint256, evm.Uint256, evm.Uint256)}
		}
		for _, c := range f.calls {
			c.args = []any{p.id}
		}
		calls = append(calls, f.calls...)
		fs = append(fs, f)
	}
	if err := r.callAll(ctx, at, calls); err != nil {
		return err
	}
	for _, f := range fs {
		p := f.p
		if r.cfg.Family == Bravo {
			c := f.calls[0]
			p.start, p.end = c.num(3), c.num(4)
			p.forW, p.againstW, p.abstainW = c.num(5), c.num(6), c.num(7)
			if eta := c.num(2); eta.Sign() > 0 {
				p.queued, p.eta = true, eta
			}
			p.canceled = p.canceled || c.vals[8].(bool)
			p.executed = p.executed || c.vals[9].(bool)
		} else {
			p.start, p.end = f.calls[0].num(0), f.calls[1].num(0)
			v := f.calls[2]
			p.againstW, p.forW, p.abstainW = v.num(0), v.num(1), v.num(2)
		}
		if p.prev.State == history.Queued {
			p.queued = true
		}
		if p.prev.State == history.Executed {
			p.executed = true
		}
		if p.prev.State == history.Canceled {
			p.canceled = true
		}
	}
	return nil
}

// clockNow is the clock at the head block.
func (r *reader) clockNow() *big.Int {
	if r.info.clock == clockTimestamp {
		return new(big.Int).SetUint64(r.headTime)
	}
	return new(big.Int).SetUint64(r.head)
}

// fetchTimes fetches the timestamps of the blocks the history needs:
// the head, the blocks of events whose logs did not carry one and, on a
// block clock, the proposals' snapshot and deadline blocks already mined.
func (r *reader) fetchTimes(ctx context.Context) error {
	need := map[uint64]bool{r.head: true}
	for _, id := range r.order {
		p := r.props[id]
		if p.prev == nil {
			need[p.createdBlock] = true
		}
		if p.start != nil && r.info.clock == clockBlocks {
			for _, b := range []*big.Int{p.start, p.end} {
				if b.IsUint64() && b.Uint64() <= r.head {
					need[b.Uint64()] = true
				}
			}
		}
	}
	for _, b := range r.ballots {
		if b.prev == nil {
			need[b.block] = true
		}
	}
	for _, pe := range r.params {
		need[pe.block] = true
	}
	var blocks []uint64
	for b := range need {
		if _, ok := r.times[b]; !ok {
			blocks = append(blocks, b)
		}
	}
	slices.Sort(blocks)
	got, err := r.blockTimes(ctx, blocks)
	if err != nil {
		return err
	}
	for b, t := range got {
		r.times[b] = t
	}
	r.headTime = r.times[r.head]
	r.now = r.clockNow()
	return nil
}

// timeOf returns the time of a timepoint of the governor's clock: a
// block's timestamp (past blocks) or the head's plus block_seconds per
// block (blocks not mined yet), or a timestamp as it is.
func (r *reader) timeOf(tp *big.Int) (time.Time, error) {
	if !tp.IsUint64() || tp.Uint64() > 1<<40 {
		return time.Time{}, fmt.Errorf("timepoint %s is out of range", tp)
	}
	v := tp.Uint64()
	if r.info.clock == clockTimestamp {
		return time.Unix(int64(v), 0).UTC(), nil
	}
	if t, ok := r.times[v]; ok {
		return time.Unix(int64(t), 0).UTC(), nil
	}
	if v <= r.head {
		return time.Time{}, fmt.Errorf("no timestamp fetched for block %d", v)
	}
	secs := float64(r.headTime) + float64(v-r.head)*r.cfg.BlockSeconds
	return time.Unix(int64(secs+0.5), 0).UTC(), nil
}

// decide returns a proposal's state at the head, as the governor's
// state() would: its events first, then the clock, then the tallies
// against the quorum.
func (r *reader) decide(p *prop) history.State {
	switch {
	case p.executed:
		return history.Executed
	case p.canceled:
		return history.Canceled
	case p.queued:
		if r.cfg.Family == Bravo && p.eta != nil && new(big.Int).Add(p.eta, big.NewInt(bravoGrace)).Cmp(new(big.Int).SetUint64(r.headTime)) <= 0 {
			return history.Expired
		}
		return history.Queued
	case p.start.Cmp(r.now) >= 0:
		return history.Pending
	case p.end.Cmp(r.now) >= 0:
		return history.Active
	}
	if p.forW.Cmp(p.againstW) <= 0 {
		return history.Defeated
	}
	counted := new(big.Int).Set(p.forW)
	if r.cfg.Family == OZ && r.info.quorumForAbst {
		counted.Add(counted, p.abstainW)
	}
	q := r.info.quorumVotes
	if r.cfg.Family == OZ {
		q = p.quorum
	}
	if q != nil && counted.Cmp(q) < 0 {
		return history.Defeated
	}
	return history.Succeeded
}

// tokens converts an amount in the token's smallest unit to tokens: the
// float64 nearest the exact quotient.
func (r *reader) tokens(w *big.Int) float64 {
	if w == nil {
		return 0
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(r.info.decimals)), nil)
	f, _ := new(big.Rat).SetFrac(w, den).Float64()
	return f
}

// periodDays converts a period of v clock units of secs seconds each to
// days. v may be any size a node returns (votingPeriod is a uint256).
func periodDays(v *big.Int, secs float64) float64 {
	f, _ := new(big.Float).SetInt(v).Float64()
	return f * secs / 86400
}

// frac returns a/b as the nearest float64.
func frac(a, b *big.Int) float64 {
	if a == nil || b == nil || b.Sign() == 0 {
		return 0
	}
	f, _ := new(big.Rat).SetFrac(a, b).Float64()
	return f
}

// build writes the history.
func (r *reader) build(ctx context.Context) (*history.History, error) {
	h := &history.History{DAO: r.info.name, Governor: r.cfg.Family,
		Token: history.Token{Symbol: r.info.symbol, Address: r.info.token.Hex()}}
	if h.DAO == "" {
		h.DAO = r.name
	}
	if r.prev != nil {
		h.DAO, h.Token.Price, h.Holders = r.prev.DAO, r.prev.Token.Price, r.prev.Holders
	}
	// Supply and quorum at the snapshots of finished votes.
	if err := r.snapshots(ctx, h); err != nil {
		return nil, err
	}
	voters := map[string]int{}
	for _, b := range r.ballots {
		voters[b.proposal]++
	}
	for _, id := range r.order {
		p := r.props[id]
		var hp history.Proposal
		if p.prev != nil && !(p.open() || p.touched) {
			hp = *p.prev
		} else {
			hp = history.Proposal{ID: id, Proposer: p.proposer, Title: p.title}
			if p.prev != nil {
				hp.Created = p.prev.Created
			} else {
				hp.Created = time.Unix(int64(r.times[p.createdBlock]), 0).UTC()
			}
			var err1, err2 error
			hp.Start, err1 = r.timeOf(p.start)
			hp.End, err2 = r.timeOf(p.end)
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("%s: proposal %s: %w", r.name, id, err)
			}
			if hp.Start.Before(hp.Created) {
				// A timestamp clock's snapshot may be the creation
				// second itself; never before it.
				hp.Start = hp.Created
			}
			hp.For, hp.Against, hp.Abstain = r.tokens(p.forW), r.tokens(p.againstW), r.tokens(p.abstainW)
			hp.State = r.decide(p)
		}
		hp.Voters = voters[id]
		h.Proposals = append(h.Proposals, hp)
	}
	// Votes: in proposal order, then by voter.
	pos := map[string]int{}
	for i, id := range r.order {
		pos[id] = i
	}
	bs := make([]*ballot, 0, len(r.ballots))
	for _, b := range r.ballots {
		if _, ok := pos[b.proposal]; ok {
			bs = append(bs, b)
		}
	}
	slices.SortFunc(bs, func(a, b *ballot) int {
		return cmp.Or(cmp.Compare(pos[a.proposal], pos[b.proposal]), cmp.Compare(a.key, b.key))
	})
	for _, b := range bs {
		if b.prev != nil {
			h.Votes = append(h.Votes, *b.prev)
			continue
		}
		v := history.Vote{Proposal: b.proposal, Voter: b.voter, Support: b.support, Weight: r.tokens(b.weight)}
		if t, ok := r.times[b.block]; ok {
			v.Time = time.Unix(int64(t), 0).UTC()
		}
		h.Votes = append(h.Votes, v)
	}
	if err := r.buildParams(h); err != nil {
		return nil, err
	}
	r.provenance(h)
	return h, nil
}

// snapshots reads the token supply (getPastTotalSupply) and, for
// OpenZeppelin, the quorum (quorum) at the snapshot of every proposal
// whose snapshot has passed and whose state this read decides, and
// writes the supply points.
func (r *reader) snapshots(ctx context.Context, h *history.History) error {
	type snap struct {
		p              *prop
		supply, quorum *ethCall
	}
	var snaps []snap
	var calls []*ethCall
	seen := map[string]bool{}
	for _, id := range r.order {
		p := r.props[id]
		if p.start == nil || p.start.Cmp(r.now) >= 0 {
			continue
		}
		sn := snap{p: p}
		if !seen[p.start.String()] {
			seen[p.start.String()] = true
			sn.supply = optCall(r.info.token, "getPastTotalSupply(uint256)", evm.Uint256)
			sn.supply.args = []any{p.start}
			calls = append(calls, sn.supply)
		}
		if r.cfg.Family == OZ && p.end.Cmp(r.now) < 0 {
			sn.quorum = newCall(r.governor, "quorum(uint256)", evm.Uint256)
			sn.quorum.args = []any{p.start}
			calls = append(calls, sn.quorum)
		}
		snaps = append(snaps, sn)
	}
	if err := r.callAll(ctx, hexQ(r.head), calls); err != nil {
		return err
	}
	var pts []weiPoint
	pastWorks, asked := true, 0
	for _, sn := range snaps {
		if sn.quorum != nil {
			sn.p.quorum = sn.quorum.num(0)
		}
		if sn.supply == nil {
			continue
		}
		asked++
		if sn.supply.reverted {
			pastWorks = false
			continue
		}
		t, err := r.timeOf(sn.p.start)
		if err != nil {
			return fmt.Errorf("%s: proposal %s: %w", r.name, sn.p.id, err)
		}
		pts = append(pts, weiPoint{t, sn.supply.num(0)})
	}
	r.info.pastSupplyWorks = pastWorks && len(pts) > 0
	if r.prev != nil {
		h.Supply = append(h.Supply, r.prev.Supply...)
		if asked == 0 {
			// No snapshot passed since prev: its supply points stand,
			// and so does its note of how they were read.
			return nil
		}
	}
	if !r.info.pastSupplyWorks {
		// No checkpoints (COMP has getPriorVotes, not getPastTotalSupply):
		// the total supply at the head, from the first proposal on.
		if len(h.Supply) == 0 {
			h.Supply = []history.SupplyPoint{{Time: r.firstCreated(), Total: r.tokens(r.info.supply)}}
		}
		r.notes = append(r.notes, fmt.Sprintf("supply: the token has no getPastTotalSupply; totalSupply() at block %d, taken as constant", r.head))
		return nil
	}
	r.notes = append(r.notes, "supply: getPastTotalSupply at each proposal's snapshot")
	slices.SortStableFunc(pts, func(a, b weiPoint) int { return a.t.Compare(b.t) })
	for _, pt := range pts {
		if n := len(h.Supply); n > 0 && !pt.t.After(h.Supply[n-1].Time) {
			continue
		}
		if pt.wei.Sign() <= 0 {
			continue
		}
		h.Supply = append(h.Supply, history.SupplyPoint{Time: pt.t, Total: r.tokens(pt.wei)})
		r.supplyWei = append(r.supplyWei, pt)
	}
	if len(h.Supply) == 0 {
		h.Supply = []history.SupplyPoint{{Time: r.firstCreated(), Total: r.tokens(r.info.supply)}}
	}
	return nil
}

// firstCreated is the earliest proposal's creation time.
func (r *reader) firstCreated() time.Time {
	var first time.Time
	for i, id := range r.order {
		p := r.props[id]
		t := time.Unix(int64(r.times[p.createdBlock]), 0).UTC()
		if p.prev != nil {
			t = p.prev.Created
		}
		if i == 0 || t.Before(first) {
			first = t
		}
	}
	return first
}

// buildParams writes the parameters over time: on a first read, the
// values in force at the first proposal's creation (from the events
// before it, the first event's old value, or the value the governor
// holds now) and then one change per parameter event; on an update, the
// history's parameters and the changes since.
func (r *reader) buildParams(h *history.History) error {
	first := r.firstCreated()
	secs := r.cfg.BlockSeconds
	if r.info.clock == clockTimestamp {
		secs = 1
	}
	days := func(v *big.Int) float64 { return periodDays(v, secs) }
	unit := "blocks"
	if r.info.clock == clockTimestamp {
		unit = "seconds"
	}
	type series struct {
		param   string
		event   string
		current *big.Int
		conv    func(v *big.Int, t time.Time) float64
		how     string
	}
	// A threshold as a fraction of the supply in force: exact when this
	// read has the supply in the token's unit, else (an update whose
	// supply points come from the cache) of the history's supply.
	threshold := func(v *big.Int, t time.Time) float64 {
		if r.prev == nil || len(r.supplyWei) > 0 {
			return frac(v, r.supplyWeiAt(t))
		}
		if s := h.SupplyAt(t).Total; s > 0 {
			return r.tokens(v) / s
		}
		return 0
	}
	ss := []series{
		{paramThreshold, "ProposalThresholdSet", r.info.threshold, threshold, "tokens / supply"},
		{paramPeriod, "VotingPeriodSet", r.info.period, func(v *big.Int, _ time.Time) float64 { return days(v) }, unit},
		{paramDelay, "VotingDelaySet", r.info.delay, func(v *big.Int, _ time.Time) float64 { return days(v) }, unit},
	}
	if r.info.quorumNum != nil {
		den := r.info.quorumDen
		ss = append(ss, series{paramQuorum, "QuorumNumeratorUpdated", r.info.quorumNum,
			func(v *big.Int, _ time.Time) float64 { return frac(v, den) }, "numerator / " + den.String()})
	}
	var out []history.ParamChange
	if r.prev != nil {
		out = append(out, r.prev.Params...)
	} else if r.cfg.Family == Bravo && r.info.quorumVotes != nil {
		out = append(out, history.ParamChange{Time: first, Name: paramQuorum, Value: frac(r.info.quorumVotes, r.supplyWeiAt(first)), Event: "initial"})
	}
	for _, s := range ss {
		var evs []paramEvent
		for _, pe := range r.params {
			if pe.name == s.event {
				evs = append(evs, pe)
			}
		}
		slices.SortStableFunc(evs, func(a, b paramEvent) int { return cmp.Compare(a.block, b.block) })
		if r.prev == nil {
			// The value in force at the first proposal.
			v0 := s.current
			if len(evs) > 0 {
				v0 = evs[0].old
			}
			for _, e := range evs {
				if t := time.Unix(int64(r.times[e.block]), 0).UTC(); !t.After(first) {
					v0 = e.new
				}
			}
			out = append(out, history.ParamChange{Time: first, Name: s.param, Value: s.conv(v0, first), Event: "initial"})
		}
		for _, e := range evs {
			t := time.Unix(int64(r.times[e.block]), 0).UTC()
			if r.prev == nil && !t.After(first) {
				continue
			}
			out = append(out, history.ParamChange{Time: t, Name: s.param, Value: s.conv(e.new, t), Event: e.event + " tx " + e.tx})
		}
	}
	slices.SortStableFunc(out, func(a, b history.ParamChange) int { return a.Time.Compare(b.Time) })
	h.Params = out
	return nil
}

// provenance records the block range read (ReadSince reads it back) and
// how the figures were derived.
func (r *reader) provenance(h *history.History) {
	from := r.from
	if r.prev != nil {
		if m := r.prevRange(); m != nil {
			from, _ = strconv.ParseUint(m[3], 10, 64)
		}
	}
	lines := []string{fmt.Sprintf("governor %s (%s) events: blocks %d-%d, read over JSON-RPC (eth_getLogs, eth_call at block %d)",
		r.governor.Hex(), r.cfg.Family, from, r.head, r.head)}
	lines = append(lines, fmt.Sprintf("token %s (%s, %d decimals)", r.info.token.Hex(), r.info.symbol, r.info.decimals))
	for _, n := range r.notes {
		if !strings.Contains(n, "left out") {
			lines = append(lines, n)
		}
	}
	if r.info.clock == clockBlocks {
		lines = append(lines, fmt.Sprintf("times: block timestamps; blocks not mined yet at %v s per block; periods in days at %v s per block", r.cfg.BlockSeconds, r.cfg.BlockSeconds))
	}
	if r.prev != nil {
		for _, p := range r.prev.Provenance {
			if !provenanceRe.MatchString(p) && !slices.Contains(lines, p) {
				lines = append(lines, p)
			}
		}
	}
	h.Provenance = lines
}

// prevRange is the provenance match of the history being updated.
func (r *reader) prevRange() []string {
	for _, p := range r.prev.Provenance {
		if m := provenanceRe.FindStringSubmatch(p); m != nil && strings.EqualFold(m[1], r.governor.Hex()) {
			return m
		}
	}
	return nil
}

// title is the first non-empty line of a description, without Markdown
// heading marks, at most 120 characters.
func title(desc string) string {
	for line := range strings.SplitSeq(desc, "\n") {
		s := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
		if s == "" {
			continue
		}
		if rs := []rune(s); len(rs) > 120 {
			s = strings.TrimSpace(string(rs[:120]))
		}
		return strings.ToValidUTF8(s, "")
	}
	return ""
}

// cloneHistory copies h's slices, so the caller may change the copy.
func cloneHistory(h *history.History) *history.History {
	c := *h
	c.Provenance = slices.Clone(h.Provenance)
	c.Proposals = slices.Clone(h.Proposals)
	c.Votes = slices.Clone(h.Votes)
	c.Supply = slices.Clone(h.Supply)
	c.Params = slices.Clone(h.Params)
	if h.Holders != nil {
		hd := *h.Holders
		c.Holders = &hd
	}
	return &c
}
