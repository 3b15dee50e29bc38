package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/internal/atomicfile"
	"github.com/attune-dao/attune/metrics"

	// The source and sink types attune ships, registered by name.
	_ "github.com/attune-dao/attune/adapters/install"
)

// StateDir is the directory under out where attune keeps state between
// runs; SourceCacheDir, under it, holds the sources' cache.
const (
	StateDir       = "state"
	SourceCacheDir = "sources"
)

// SourceOptions says how a cycle reads its sources.
type SourceOptions struct {
	// Refresh ignores the cache: incremental sources read everything
	// again, and the cache is rewritten from what they return.
	Refresh bool
	// Stage, when set, is told when the data are read (StageCalibrating)
	// before calibration starts.
	Stage StageFunc
}

// opened is one configured source, decoded and built.
type opened struct {
	key string // "sources[1]"
	src config.Source
	// source is the adapter; cache is its cache file, "" for a source
	// that is not incremental.
	source adapters.Source
	cache  string
}

// label names the source in messages: "sources[1] (snapshot)".
func (o opened) label() string { return o.key + " (" + o.src.Type + ")" }

// section is a source's own keys: its entry less type, window_days and
// dao. config.Source keeps path apart, for the file sources and the
// cycle's inputs; it goes back into the section here so that a type
// without a path refuses it by name.
func section(s config.Source) map[string]any {
	out := maps.Clone(s.Settings)
	if out == nil {
		out = map[string]any{}
	}
	if s.Path != "" {
		out["path"] = s.Path
	}
	return out
}

// sourceDir is the directory relative source paths resolve against: the
// config file's that set sources, "" when they came from elsewhere (the
// embedded default, the environment).
func sourceDir(cfg *config.Config) string {
	if f, _ := cfg.Line("sources"); f != "" && fileExists(f) {
		return filepath.Dir(f)
	}
	return ""
}

// openSources decodes every configured source strictly into its type's
// config, checks it and builds it. Problems with several sources are
// reported together, each with its key and line.
func openSources(cfg *config.Config, logger *slog.Logger) ([]opened, error) {
	decoded, err := decodeSources(cfg)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir := sourceDir(cfg)
	stateDir := filepath.Join(cfg.Out, StateDir)
	var out []opened
	var problems []error
	for i, s := range cfg.Sources {
		key, sc := fmt.Sprintf("sources[%d]", i), decoded[i]
		env := adapters.Env{Dir: dir, StateDir: stateDir, Getenv: os.Getenv, Logger: logger.With("source", key, "type", s.Type)}
		src, err := sc.NewSource(env)
		if err != nil {
			problems = append(problems, sourceError(cfg, key, s.Type, len(cfg.Sources), err))
			continue
		}
		o := opened{key: key, src: s, source: src}
		if _, ok := src.(adapters.Incremental); ok {
			o.cache = cachePath(stateDir, s.Type, section(s))
		}
		out = append(out, o)
	}
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}
	return out, nil
}

// decodeSources decodes and checks each source's section through the
// registry, reading no data and no secret; every problem is reported.
func decodeSources(cfg *config.Config) ([]adapters.SourceConfig, error) {
	if len(cfg.Sources) == 0 {
		return nil, cfg.Problem("sources", "none given; list where metrics come from, e.g. - {type: file, path: metrics.json}")
	}
	out := make([]adapters.SourceConfig, len(cfg.Sources))
	var problems []error
	for i, s := range cfg.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		sc, ok := adapters.NewSourceConfig(s.Type)
		if !ok {
			problems = append(problems, cfg.Problem(key+".type", fmt.Sprintf("unknown source type %q; available: %s", s.Type, strings.Join(adapters.SourceTypes(), ", "))))
			continue
		}
		if err := cfg.DecodeSection(key, section(s), sc); err != nil {
			problems = append(problems, err)
			continue
		}
		if c, ok := sc.(adapters.Checker); ok {
			for _, fe := range c.Check() {
				problems = append(problems, cfg.Problem(key+"."+fe.Field, fe.Msg))
			}
		}
		out[i] = sc
	}
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}
	return out, nil
}

// joinProblems makes one *config.Error of several config problems, or
// returns the first error that is not one.
func joinProblems(errs []error) error {
	var all *config.Error
	for _, err := range errs {
		var ce *config.Error
		if !errors.As(err, &ce) {
			return err
		}
		if all == nil {
			all = &config.Error{File: ce.File}
		}
		for _, p := range ce.Problems {
			if p.File == "" && ce.File != all.File {
				p.File = ce.File
			}
			all.Problems = append(all.Problems, p)
		}
	}
	return all
}

// sourceError says which source failed when there are several: a
// problem with a source's key (an adapters.FieldError) becomes a config
// problem with its line; other errors are prefixed with the source's key
// and type unless it is the only one.
func sourceError(cfg *config.Config, key, typ string, n int, err error) error {
	var fe adapters.FieldError
	if errors.As(err, &fe) {
		return cfg.Problem(key+"."+fe.Field, fe.Msg)
	}
	if n == 1 || errors.Is(err, config.ErrInvalid) {
		return err
	}
	return fmt.Errorf("%s (%s): %w", key, typ, err)
}

// cachePath is the cache file of a source: its type and section, hashed.
func cachePath(stateDir, typ string, sec map[string]any) string {
	b, err := json.Marshal(sec) // map keys sorted
	if err != nil {
		b = fmt.Appendf(nil, "%#v", sec)
	}
	sum := sha256.Sum256(append([]byte(typ+"\n"), b...))
	return filepath.Join(stateDir, SourceCacheDir, hex.EncodeToString(sum[:])+".json")
}

// readMode is how read uses the cache.
type readMode int

const (
	cached  readMode = iota // bring the cache up to date and rewrite it
	refresh                 // read everything, rewrite the cache
	fresh                   // read everything, leave the cache alone
)

// read reads one source. An incremental source is brought up to date
// from its cache (ReadSince) unless mode says otherwise, and what it
// returns replaces the cache; a failed read leaves the cache untouched.
// A history is validated before it is cached or returned.
func (o opened) read(ctx context.Context, mode readMode, logger *slog.Logger) (*adapters.Data, error) {
	inc, ok := o.source.(adapters.Incremental)
	if !ok || o.cache == "" {
		d, err := o.source.Read(ctx)
		if err != nil {
			return nil, err
		}
		return d, checkData(d)
	}
	var prev *history.History
	if mode == cached {
		prev = loadCache(o.cache, logger)
	}
	var d *adapters.Data
	if prev != nil {
		h, err := inc.ReadSince(ctx, prev)
		if err != nil {
			return nil, err
		}
		d = &adapters.Data{History: h}
	} else {
		var err error
		if d, err = o.source.Read(ctx); err != nil {
			return nil, err
		}
	}
	if err := checkData(d); err != nil {
		return nil, err
	}
	if d.History != nil && mode != fresh {
		if err := saveCache(o.cache, d.History); err != nil {
			logger.Warn("source cache not written; the next run reads everything again", "file", o.cache, "err", err)
		}
	}
	return d, nil
}

// checkData refuses an empty result and validates a history.
func checkData(d *adapters.Data) error {
	switch {
	case d == nil || (d.History == nil) == (d.Observation == nil):
		return errors.New("the source returned neither a history nor metrics, or both; this is a bug in the source")
	case d.History != nil:
		if err := d.History.Validate(); err != nil {
			return fmt.Errorf("the history the source returned does not hold together (the data source answered inconsistently, or the adapter has a bug: please report it): %w", err)
		}
	}
	return nil
}

// loadCache reads a cached history; nil when there is none or it cannot
// be read (then the source reads everything again).
func loadCache(path string, logger *slog.Logger) *history.History {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		var h *history.History
		if h, err = history.Parse(b, path); err == nil {
			return h
		}
	}
	logger.Warn("source cache unreadable; reading everything again", "file", path, "err", err)
	return nil
}

// saveCache replaces the cached history at path whole.
func saveCache(path string, h *history.History) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}

// sourceData is what the cycle's sources gave: one history (merged when
// there are several sources) or one metrics observation.
type sourceData struct {
	history *history.History
	obs     *metrics.Observation
	// windowDays is the sources' window_days (0: the default).
	windowDays int
}

// readAll reads every source concurrently and merges their histories.
func readAll(ctx context.Context, cfg *config.Config, opts SourceOptions, logger *slog.Logger) (sourceData, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srcs, err := openSources(cfg, logger)
	if err != nil {
		return sourceData{}, err
	}
	days, err := windowDays(cfg)
	if err != nil {
		return sourceData{}, err
	}
	mode := cached
	if opts.Refresh {
		mode = refresh
	}
	data := make([]*adapters.Data, len(srcs))
	err = Parallel(ctx, len(srcs), len(srcs), func(ctx context.Context, i int) error {
		o := srcs[i]
		start := time.Now()
		d, err := o.read(ctx, mode, logger.With("source", o.key))
		if err != nil {
			return sourceError(cfg, o.key, o.src.Type, len(srcs), err)
		}
		data[i] = d
		if d.History != nil {
			logger.Info("source read", "source", o.key, "type", o.src.Type, "proposals", len(d.History.Proposals), "votes", len(d.History.Votes),
				"seconds", time.Since(start).Seconds())
		}
		return nil
	})
	if err != nil {
		return sourceData{}, err
	}
	var hs []*history.History
	for i, d := range data {
		o := srcs[i]
		if d.Observation != nil {
			if len(srcs) > 1 {
				return sourceData{}, cfg.Problem(o.key+".type", fmt.Sprintf("%s gives precomputed metrics, which cannot be merged with other sources; read metrics from one source alone, or only histories from several", o.label()))
			}
			if err := checkDAO(cfg, i, d.Observation.DAO, d.Observation.Source); err != nil {
				return sourceData{}, err
			}
			return sourceData{obs: d.Observation, windowDays: days}, nil
		}
		if err := checkDAO(cfg, i, d.History.DAO, d.History.Source); err != nil {
			return sourceData{}, err
		}
		hs = append(hs, d.History)
	}
	if len(hs) == 1 {
		return sourceData{history: hs[0], windowDays: days}, nil
	}
	h, st := history.Merge(hs...)
	logger.Info("sources merged", "sources", len(hs), "proposals", len(h.Proposals), "votes", len(h.Votes),
		"duplicates", st.Duplicates, "conflicts", st.Conflicts, "rule", "the source listed first wins a conflict")
	if err := h.Validate(); err != nil {
		return sourceData{}, fmt.Errorf("the %d sources' histories do not fit together (records from one disagree with another's; the source listed first wins a conflict): %w", len(hs), err)
	}
	return sourceData{history: h, windowDays: days}, nil
}

// windowDays is the window the sources set: the one value their
// window_days give (0 when none does).
func windowDays(cfg *config.Config) (int, error) {
	days, from := 0, -1
	for i, s := range cfg.Sources {
		switch {
		case s.WindowDays == 0:
		case from < 0:
			days, from = s.WindowDays, i
		case s.WindowDays != days:
			return 0, cfg.Problem(fmt.Sprintf("sources[%d].window_days", i), fmt.Sprintf("is %d but sources[%d].window_days is %d; the sources' data are observed over one window: give the same value, or set it on one source only", s.WindowDays, from, days))
		}
	}
	return days, nil
}

// observation is the cycle's metrics: the source's, or those of the
// window of the (merged) history.
func (d sourceData) observation(rules governor.Rules, track string) (metrics.Observation, error) {
	if d.obs != nil {
		return *d.obs, nil
	}
	return observe(d.history, d.windowDays, rules, track)
}

// SourceCheck is what one source returned when read on its own, as
// attune sources check reports it.
type SourceCheck struct {
	// Key is the source's place in the config ("sources[0]"), Type its
	// type.
	Key, Type string
	// Data is what it read, nil when Err is set.
	Data *adapters.Data
	// Incremental is true for a source that can fetch only what changed,
	// which a cycle does through the cache.
	Incremental bool
	// Took is how long the read took.
	Took time.Duration
	// Err is why it failed.
	Err error
}

// CheckSources reads every configured source on its own, in full (the
// cache is neither read nor written), and reports what each returned
// or why it failed. Histories are validated and their DAO checked as a
// cycle would. The error is for the config alone (an unknown type, a
// bad key): then nothing is read.
func CheckSources(ctx context.Context, cfg *config.Config, logger *slog.Logger) ([]SourceCheck, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srcs, err := openSources(cfg, logger)
	if err != nil {
		return nil, err
	}
	out := make([]SourceCheck, len(srcs))
	err = Parallel(ctx, len(srcs), len(srcs), func(ctx context.Context, i int) error {
		o := srcs[i]
		start := time.Now()
		d, err := o.read(ctx, fresh, logger.With("source", o.key))
		if err == nil {
			if d.History != nil {
				err = checkDAO(cfg, i, d.History.DAO, d.History.Source)
			} else {
				err = checkDAO(cfg, i, d.Observation.DAO, d.Observation.Source)
			}
		}
		out[i] = SourceCheck{Key: o.key, Type: o.src.Type, Incremental: o.cache != "", Took: time.Since(start)}
		if err != nil {
			out[i].Err = sourceError(cfg, o.key, o.src.Type, 1, err)
		} else {
			out[i].Data = d
		}
		return ctx.Err() // one failure does not stop the others
	})
	return out, err
}
