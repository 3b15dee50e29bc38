package service

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/store"
)

// Errors of the service, wrapped with what and where; test them with
// errors.Is.
var (
	// ErrBusy: the DAO's cycle is running, in this process or another;
	// it comes wrapping store.ErrLocked too. Try again when it is done.
	ErrBusy = errors.New("busy")
	// ErrUnknownDAO: the service runs no DAO of that name.
	ErrUnknownDAO = errors.New("unknown DAO")
	// ErrStopped: the service is stopping or has stopped.
	ErrStopped = errors.New("service stopped")
	// ErrNoWorker: every worker of the service runs a cycle
	// (Options.Workers); it comes wrapping ErrBusy and store.ErrLocked
	// too. Try again when one is done.
	ErrNoWorker = errors.New("every worker is running a cycle")
	// ErrRetrying: RunNow's first read of the DAO's data failed with a
	// transient error (it wraps that error too); the service retries in
	// the background and records the cycle once the data are read.
	ErrRetrying = errors.New("reading the data failed for now; retrying in the background")
)

// Started is what RunNow did: the cycle it started or resumed, or, when
// the DAO's config and data are those a cycle already decided (or awaits
// a decision on), that cycle, with Unchanged set and nothing started.
type Started struct {
	Cycle     int64
	Unchanged bool
}

// Runner is what the HTTP server needs of the service; *Service
// implements it.
type Runner interface {
	// RunNow reconciles dao now: it resumes a cycle the DAO left in
	// flight and returns its ID at once, or reads the data and returns
	// the ID of the cycle it records and runs on in the background, or,
	// when the config and data are unchanged since a cycle that decided
	// them, that cycle, Unchanged, recording nothing. ErrBusy: the DAO's
	// cycle is running. ErrRetrying: the data could not be read for now.
	RunNow(ctx context.Context, dao string) (Started, error)
	// Publish publishes an approved cycle to its sinks now and waits.
	// ErrBusy: the DAO's cycle is running; the service publishes the
	// cycle when that is done.
	Publish(ctx context.Context, id int64) error
	// DAOs reports each DAO the service runs.
	DAOs() []Status
	// Ready returns nil when the service runs and its store answers.
	Ready(ctx context.Context) error
}

var _ Runner = (*Service)(nil)

// DAO is one DAO the service runs: its config.
type DAO struct {
	Config *config.Config
	// File names where the config was read from, for messages.
	File string
}

// Status is what the service says of one DAO.
type Status struct {
	DAO      string `json:"dao"`
	File     string `json:"file,omitempty"`
	Schedule string `json:"schedule,omitempty"`
	// Next is when the schedule next reconciles the DAO (nil: on demand
	// only).
	Next *time.Time `json:"next,omitempty"`
	// Cycle is the cycle in flight in this process and State where it
	// is (0 and "" when none).
	Cycle int64       `json:"cycle,omitempty"`
	State store.State `json:"state,omitempty"`
	// LastError is why the last cycle or publication failed, "" when it
	// did not.
	LastError string `json:"last_error,omitempty"`
}

// Retry says how transient failures are retried: attempt n waits a
// random time up to min(Max, Base·2^(n-1)) (full jitter).
type Retry struct {
	// Attempts bounds the tries of a cycle (5 when 0); the last failure
	// fails the cycle.
	Attempts int
	// Base and Max bound the waits (30 s and 15 min when 0).
	Base, Max time.Duration
}

// PublishFunc publishes the cycle written in dir to the sinks its
// config names, each at most once over every call, as approver, and says
// what became of each sink. A sink that failed has Err set; the error
// returned is for the whole (a cycle that cannot be read, no sink).
type PublishFunc func(ctx context.Context, dir, approver string) ([]SinkResult, error)

// SinkResult is what became of a cycle at one sink.
type SinkResult struct {
	// Sink is the sink's name in the config.
	Sink string
	// Receipt is the sink's receipt as a JSON object (adapters.Receipt),
	// set when it published (now or before).
	Receipt []byte
	// Err is why it did not publish.
	Err error
}

// Options configure a Service.
type Options struct {
	// Store holds the cycles (required). The service does not close it.
	Store store.Store
	// DAOs are the DAOs to run, each with its own config; their names
	// (dao.name) must differ.
	DAOs []DAO
	// Actor names the service in the store's audit log ("serve@host").
	Actor string
	// Cycle is how each cycle runs (Version, Workers, TrackRecord...);
	// the service sets its Stage.
	Cycle loop.Options
	// Publish publishes approved cycles; nil means loop.Publish, as
	// attune publish does.
	Publish PublishFunc
	Retry   Retry
	// Workers bounds the reconciles (and so the cycles) that run at
	// once, across DAOs (1 when 0): a cycle already spreads its
	// simulations over every CPU (Cycle.Workers), so more at once only
	// share them. A scheduled reconcile waits for a worker; RunNow does
	// not (ErrNoWorker).
	Workers int
	// MaxResumes bounds how many times a cycle whose runs died (a crash,
	// a kill: no clean stop recorded) is resumed: the run after that
	// fails it instead, and the same config and data run again only on
	// demand (3 when 0). Stops on purpose (SIGTERM) do not count.
	MaxResumes int
	// Seed seeds the retries' jitter.
	Seed   uint64
	Logger *slog.Logger
	// Metrics receives the service's measurements; nil makes new ones
	// (Service.Metrics).
	Metrics *Metrics
	// Drafter builds a DAO's drafter; nil builds loop.NewDrafter's,
	// caching LLM drafts under the config's out.
	Drafter func(cfg *config.Config) (oracle.Drafter, error)
	// Now, After and Sleep are the clock (time.Now, time.After and a
	// timer that stops with its context when nil).
	Now   func() time.Time
	After func(d time.Duration) <-chan time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Checkpoint, when set, is told of each change the service records
	// in the store, after it is recorded (crash tests stop a process
	// there).
	Checkpoint func(ctx context.Context, c store.Cycle)
}

// Service runs DAOs' cycles. Create it with New, start it with Run.
type Service struct {
	o       Options
	store   store.Store
	log     *slog.Logger
	metrics *Metrics
	// workers holds a token per reconcile running (Options.Workers).
	workers chan struct{}

	// life is cancelled when Run's context ends; reconciles and
	// background cycles (RunNow) run under it.
	life    context.Context
	cancel  context.CancelFunc
	started atomic.Bool
	mu      sync.Mutex // guards what follows
	units   []*unit
	byName  map[string]*unit
	running bool // Run has started the schedule loops
	stop    bool
	bg      sync.WaitGroup
	loops   sync.WaitGroup
}

// unit is one DAO as the service runs it, with one config. A reload
// that changes the config replaces the unit, and the new one shares the
// old one's daoState: its turn and status.
type unit struct {
	name     string
	file     string
	cfg      *config.Config
	cfgHash  string
	schedule string
	sched    cron.Schedule
	drafter  oracle.Drafter
	// rng draws the retries' jitter; used only while holding turn.
	rng *rand.Rand
	// stopLoop ends the unit's schedule loop (nil before it runs);
	// guarded by Service.mu.
	stopLoop context.CancelFunc
	*daoState
}

// daoState is what the units of one DAO share across reloads.
type daoState struct {
	// turn is held while this process reconciles the DAO.
	turn sync.Mutex

	mu      sync.Mutex // guards what Status reports
	next    time.Time
	cycle   int64
	state   store.State
	lastErr string
}

// New checks the options and each DAO's config (its schedule and its
// drafter, whose API key must be set) and returns the service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("service: no store")
	}
	if o.Actor == "" {
		o.Actor = "attune serve"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(o.Store)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Drafter == nil {
		o.Drafter = func(cfg *config.Config) (oracle.Drafter, error) {
			return loop.NewDrafter(cfg, loop.DrafterOptions{CacheDir: filepath.Join(cfg.Out, loop.DraftsDir)})
		}
	}
	if o.Publish == nil {
		o.Publish = loopPublish(o.Cycle.Version)
	}
	o.Retry = o.Retry.withDefaults()
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.MaxResumes <= 0 {
		o.MaxResumes = 3
	}
	s := &Service{o: o, store: o.Store, log: o.Logger, metrics: o.Metrics, workers: make(chan struct{}, o.Workers)}
	s.life, s.cancel = context.WithCancel(context.Background())
	var err error
	if s.units, s.byName, err = s.newUnits(o.DAOs); err != nil {
		return nil, err
	}
	return s, nil
}

// newUnits prepares the DAOs, whose names must differ.
func (s *Service) newUnits(daos []DAO) ([]*unit, map[string]*unit, error) {
	if len(daos) == 0 {
		return nil, nil, fmt.Errorf("service: %w: no DAO config; give at least one", config.ErrInvalid)
	}
	var units []*unit
	byName := map[string]*unit{}
	for _, d := range daos {
		u, err := s.newUnit(d)
		if err != nil {
			return nil, nil, err
		}
		if prev, ok := byName[u.name]; ok {
			return nil, nil, fmt.Errorf("service: %w: %s and %s both configure DAO %q; one service runs each DAO once: give each config its own dao.name, or run the other elsewhere",
				config.ErrInvalid, prev.file, u.file, u.name)
		}
		units = append(units, u)
		byName[u.name] = u
	}
	return units, byName, nil
}

// newUnit prepares one DAO.
func (s *Service) newUnit(d DAO) (*unit, error) {
	cfg := d.Config
	if cfg == nil {
		return nil, fmt.Errorf("service: %s: no config", d.File)
	}
	u := &unit{name: cfg.DAO.Name, file: d.File, cfg: cfg, schedule: strings.TrimSpace(cfg.Schedule), daoState: &daoState{}}
	if u.file == "" {
		u.file = "config of " + u.name
	}
	if u.schedule != "" {
		sched, err := cron.ParseStandard(u.schedule)
		if err != nil {
			return nil, fmt.Errorf("service: %s: %w: schedule %q: %v; write e.g. \"@every 24h\" or a cron expression", u.file, config.ErrInvalid, u.schedule, err)
		}
		u.sched = sched
	}
	dr, err := s.o.Drafter(cfg)
	if err != nil {
		return nil, fmt.Errorf("service: %s: %w", u.file, err)
	}
	u.drafter = dr
	u.cfgHash, _ = loop.CycleKey(cfg, metrics.Observation{}, s.o.Cycle.Version)
	h := fnv.New64a()
	h.Write([]byte(u.name))
	u.rng = rand.New(rand.NewPCG(s.o.Seed, h.Sum64()))
	return u, nil
}

// Metrics returns the service's measurements, whose Registry a /metrics
// handler serves.
func (s *Service) Metrics() *Metrics { return s.metrics }

// Run reconciles every DAO at once (resuming what a stopped process left
// in flight), then on each DAO's schedule, until ctx ends. Then it stops
// taking cycles, cancels the cycles in flight (each stays in its state,
// to be resumed by the next start) and returns nil once they have
// stopped. Run may be called once.
func (s *Service) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("service: Run called twice")
	}
	defer context.AfterFunc(ctx, s.cancel)()
	s.mu.Lock()
	s.running = true
	for _, u := range s.units {
		s.startLoop(u)
	}
	s.mu.Unlock()
	<-s.life.Done()
	s.mu.Lock()
	s.stop = true
	s.mu.Unlock()
	s.loops.Wait()
	s.bg.Wait()
	s.log.Info("service stopped")
	return nil
}

// startLoop starts u's schedule loop; the caller holds s.mu.
func (s *Service) startLoop(u *unit) {
	if len(u.cfg.Sinks) == 0 {
		s.log.Info("the config names no sinks: approved cycles stay approved, for the stewards to post by hand", "dao", u.name, "config", u.file)
	}
	ctx, cancel := context.WithCancel(s.life)
	u.stopLoop = cancel
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		s.scheduleLoop(ctx, u)
	}()
}

// scheduleLoop reconciles u now, then at each time of its schedule,
// until ctx ends. The reconciles run under the service's life, so that
// a reload ending the loop does not cut one short.
func (s *Service) scheduleLoop(ctx context.Context, u *unit) {
	s.tick(s.life, u, "start")
	for u.sched != nil && ctx.Err() == nil {
		now := s.o.Now()
		next := u.sched.Next(now)
		u.setNext(next)
		select {
		case <-ctx.Done():
			return
		case <-s.o.After(next.Sub(now)):
		}
		s.tick(s.life, u, "schedule")
	}
	<-ctx.Done()
}

// Reloaded says what a Reload did, by DAO name.
type Reloaded struct {
	// Added and Changed DAOs were reconciled at once and follow their
	// new schedules; Removed ones are no longer run (a cycle of theirs
	// in flight finishes); Kept ones, whose configs are as they were,
	// carry on as before.
	Added, Changed, Removed, Kept []string
}

// Reload makes the service run daos instead of the DAOs it runs: DAOs
// new or whose config (or schedule, or out) changed are reconciled at
// once and then on their schedules; DAOs no longer given stop being
// scheduled; the others are left alone. No cycle in flight is stopped:
// one of a changed or removed DAO runs to its end on the config it
// started with, and a changed DAO's new config waits for it (its ticks
// meanwhile are busy). Configs that cannot be run (a bad schedule, two
// of one DAO) are refused and nothing changes.
func (s *Service) Reload(daos []DAO) (Reloaded, error) {
	units, byName, err := s.newUnits(daos)
	if err != nil {
		return Reloaded{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop || s.life.Err() != nil {
		return Reloaded{}, ErrStopped
	}
	var r Reloaded
	for _, old := range s.units {
		if _, ok := byName[old.name]; !ok {
			s.endLoop(old)
			r.Removed = append(r.Removed, old.name)
		}
	}
	for i, u := range units {
		old, ok := s.byName[u.name]
		switch {
		case ok && sameConfig(old, u):
			units[i], byName[u.name] = old, old
			r.Kept = append(r.Kept, u.name)
			continue
		case ok:
			u.daoState = old.daoState
			s.endLoop(old)
			r.Changed = append(r.Changed, u.name)
		default:
			r.Added = append(r.Added, u.name)
		}
		if s.running {
			s.startLoop(u)
		}
	}
	s.units, s.byName = units, byName
	return r, nil
}

// endLoop ends u's schedule loop, if it runs; the caller holds s.mu.
func (s *Service) endLoop(u *unit) {
	if u.stopLoop != nil {
		u.stopLoop()
	}
}

// sameConfig reports whether two units of a DAO run alike: the same
// file, effective config, schedule and out directory.
func sameConfig(a, b *unit) bool {
	return a.file == b.file && a.cfgHash == b.cfgHash && a.schedule == b.schedule && a.cfg.Out == b.cfg.Out
}

// tick reconciles u, unless another holder has it.
func (s *Service) tick(ctx context.Context, u *unit, why string) {
	err := s.reconcile(ctx, u)
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, ErrBusy):
		s.metrics.skipped.WithLabelValues(u.name, "busy").Inc()
		s.log.Info("reconcile skipped: the DAO's cycle is running elsewhere", "dao", u.name, "why", why, "reason", err)
		return
	case err != nil:
		s.log.Error("reconcile failed", "dao", u.name, "why", why, "error", err)
		u.setErr(err.Error())
		return
	}
	s.log.Info("reconciled", "dao", u.name, "why", why)
}

// Reconcile reconciles one DAO now and waits for it: it resumes a cycle
// left in flight, or runs a cycle when the data or the config changed,
// then publishes the approved cycles. ErrBusy: another holder has the
// DAO. A cycle's own failure is recorded in the store, not returned.
func (s *Service) Reconcile(ctx context.Context, dao string) error {
	u, err := s.unit(dao)
	if err != nil {
		return err
	}
	return s.reconcile(ctx, u)
}

func (s *Service) reconcile(ctx context.Context, u *unit) error {
	// A DAO this process is running is busy now, not worth a wait for a
	// worker.
	if !u.turn.TryLock() {
		return busyHere(u)
	}
	u.turn.Unlock()
	done, err := s.worker(ctx)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx, u)
	if err != nil {
		done()
		return err
	}
	defer releaseBoth(done, unlock)()
	row, err := s.orphan(ctx, u)
	if err != nil {
		return err
	}
	s.drive(ctx, u, row, nil)
	return s.publishApproved(ctx, u)
}

// RunNow implements Runner. It waits until the data are read and the
// cycle is recorded (or found unchanged); a cycle resumed is returned at
// once.
func (s *Service) RunNow(ctx context.Context, dao string) (Started, error) {
	u, err := s.unit(dao)
	if err != nil {
		return Started{}, err
	}
	done, ok := s.tryWorker()
	if !ok {
		// Wrapping store.ErrLocked too: loop.Classify calls it transient.
		return Started{}, fmt.Errorf("run DAO %q: %w: %w: the service runs %d cycle(s) at once (attune serve --workers); try again when one is done: %w",
			dao, ErrBusy, ErrNoWorker, s.o.Workers, store.ErrLocked)
	}
	unlock, err := s.lock(ctx, u)
	if err != nil {
		done()
		return Started{}, err
	}
	unlock = releaseBoth(done, unlock)
	row, err := s.orphan(ctx, u)
	if err != nil {
		unlock()
		return Started{}, err
	}
	decided := make(chan decision, 1)
	if !s.background(func() {
		defer unlock()
		s.drive(s.life, u, row, func(d decision) {
			select {
			case decided <- d:
			default: // told once; later news is not RunNow's
			}
		})
		if err := s.publishApproved(s.life, u); err != nil && s.life.Err() == nil {
			s.log.Error("publishing approved cycles failed", "dao", u.name, "error", err)
		}
	}) {
		unlock()
		return Started{}, fmt.Errorf("run DAO %q: %w", dao, ErrStopped)
	}
	if row != nil {
		return Started{Cycle: row.ID}, nil
	}
	select {
	case d := <-decided:
		if d.err != nil {
			return Started{}, fmt.Errorf("run DAO %q: %w", dao, d.err)
		}
		return d.started, nil
	case <-ctx.Done():
		return Started{}, fmt.Errorf("run DAO %q: %w (the cycle goes on in the background)", dao, ctx.Err())
	}
}

// worker waits for one of the service's workers, or until ctx ends; the
// function returned gives it back.
func (s *Service) worker(ctx context.Context) (func(), error) {
	if done, ok := s.tryWorker(); ok {
		return done, nil
	}
	s.metrics.waiting.Inc()
	defer s.metrics.waiting.Dec()
	select {
	case s.workers <- struct{}{}:
		s.metrics.busy.Inc()
		return s.freeWorker, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tryWorker takes a worker if one is free.
func (s *Service) tryWorker() (func(), bool) {
	select {
	case s.workers <- struct{}{}:
		s.metrics.busy.Inc()
		return s.freeWorker, true
	default:
		return nil, false
	}
}

func (s *Service) freeWorker() {
	s.metrics.busy.Dec()
	<-s.workers
}

// releaseBoth returns a function that calls first, then second: the
// worker, then the DAO's lock, so that whoever finds the lock free finds
// the worker free too.
func releaseBoth(first, second func()) func() {
	return func() {
		first()
		second()
	}
}

// decision is what a cycle RunNow started came to once the data were
// read: the cycle recorded, or found unchanged; or why there is none.
type decision struct {
	started Started
	err     error
}

// background runs fn in a goroutine that Run waits for, unless the
// service is stopping.
func (s *Service) background(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop || s.life.Err() != nil {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		fn()
	}()
	return true
}

// Publish implements Runner.
func (s *Service) Publish(ctx context.Context, id int64) error {
	c, err := s.store.Cycle(ctx, id)
	if err != nil {
		return err
	}
	u, err := s.unit(c.DAO)
	if err != nil {
		return err
	}
	if c.State != store.Approved {
		return fmt.Errorf("publish cycle %d: %w: it is %s; only an approved cycle is published", id, store.ErrIllegal, c.State)
	}
	unlock, err := s.lock(ctx, u)
	if err != nil {
		return err
	}
	defer unlock()
	// Read again under the lock: another holder may have published it.
	if c, err = s.store.Cycle(ctx, id); err != nil {
		return err
	}
	if c.State != store.Approved {
		return nil
	}
	return s.publishCycle(ctx, u, c)
}

// DAOs implements Runner.
func (s *Service) DAOs() []Status {
	s.mu.Lock()
	units := slices.Clone(s.units)
	s.mu.Unlock()
	out := make([]Status, 0, len(units))
	for _, u := range units {
		u.mu.Lock()
		st := Status{DAO: u.name, File: u.file, Schedule: u.schedule, Cycle: u.cycle, State: u.state, LastError: u.lastErr}
		if !u.next.IsZero() {
			next := u.next
			st.Next = &next
		}
		u.mu.Unlock()
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.DAO, b.DAO) })
	return out
}

// Ready implements Runner: the service runs and its store answers.
func (s *Service) Ready(ctx context.Context) error {
	if !s.started.Load() {
		return errors.New("service: not started")
	}
	if s.life.Err() != nil {
		return ErrStopped
	}
	if _, err := s.store.Cycles(ctx, store.Filter{Limit: 1}); err != nil {
		return fmt.Errorf("service: store: %w", err)
	}
	return nil
}

// unit returns the DAO named dao.
func (s *Service) unit(dao string) (*unit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byName[dao]
	if !ok {
		names := make([]string, len(s.units))
		for i, u := range s.units {
			names[i] = fmt.Sprintf("%q", u.name)
		}
		return nil, fmt.Errorf("%w %q: this service runs %s", ErrUnknownDAO, dao, strings.Join(names, ", "))
	}
	return u, nil
}

// lock takes the DAO: this process's turn, then the store's lock. The
// returned function releases both.
func (s *Service) lock(ctx context.Context, u *unit) (func(), error) {
	if !u.turn.TryLock() {
		return nil, busyHere(u)
	}
	release, err := s.store.Lock(ctx, u.name)
	if err != nil {
		u.turn.Unlock()
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("%w: %w", ErrBusy, err)
		}
		return nil, err
	}
	return func() {
		// This process's turn first: whoever takes the store's lock next
		// finds the DAO free here too.
		u.turn.Unlock()
		if err := release(); err != nil {
			s.log.Warn("releasing the DAO's lock failed", "dao", u.name, "error", err)
		}
	}, nil
}

// busyHere is the error for DAO u while this process runs its cycle.
func busyHere(u *unit) error {
	// Wrapping store.ErrLocked too: loop.Classify calls it transient.
	return fmt.Errorf("%w: DAO %q: this service is running its cycle: %w", ErrBusy, u.name, store.ErrLocked)
}

// recorded notes a change recorded in the store.
func (s *Service) recorded(ctx context.Context, u *unit, c store.Cycle) {
	s.metrics.transitions.WithLabelValues(u.name, string(c.State)).Inc()
	u.mu.Lock()
	if c.State.Terminal() || c.State == store.PendingReview || c.State == store.Approved {
		u.cycle, u.state = 0, ""
	} else {
		u.cycle, u.state = c.ID, c.State
	}
	u.mu.Unlock()
	s.log.Info("cycle "+string(c.State), "dao", u.name, "cycle", c.ID)
	if s.o.Checkpoint != nil {
		s.o.Checkpoint(ctx, c)
	}
}

func (u *unit) setNext(t time.Time) {
	u.mu.Lock()
	u.next = t
	u.mu.Unlock()
}

func (u *unit) setErr(msg string) {
	u.mu.Lock()
	u.lastErr = msg
	u.mu.Unlock()
}

// withDefaults fills the zero fields.
func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Base <= 0 {
		r.Base = 30 * time.Second
	}
	if r.Max <= 0 {
		r.Max = 15 * time.Minute
	}
	return r
}

// delay is the wait before attempt n+1 after n failed: a uniform draw
// from [0, min(Max, Base·2^(n-1))].
func (r Retry) delay(n int, rng *rand.Rand) time.Duration {
	ceil := r.Max
	if n-1 < 32 {
		if d := r.Base << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rng.Int64N(int64(ceil) + 1))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d): // collected once unreferenced (Go 1.23)
		return nil
	}
}
