// Package file is the source of local files: type history reads a
// governance history (a JSON file or a directory of CSV files, see package
// history), type file a precomputed metrics file (see metrics.File). Both
// also read the examples bundled in the binary, named "embedded:NAME"
// (package configs).
//
// Their one key is path. A relative path not found from the working
// directory is read relative to the config file's directory (Env.Dir), so
// a config works from its own directory and from the one that holds it.
//
// The package imports configs for the bundled examples: configs is a leaf
// (it imports no attune package), so the import adds no cycle, and a file
// source reads "embedded:" paths wherever it is used (cycle, backtest,
// sources check) without a reader being passed down through adapters.Env
// for one source type.
package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/configs"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

// The source types of this package.
const (
	// History reads a governance history.
	History = "history"
	// Metrics reads a precomputed metrics file; its type name is "file".
	Metrics = "file"
)

func init() {
	adapters.RegisterSource(History, func() adapters.SourceConfig { return &Config{kind: History} })
	adapters.RegisterSource(Metrics, func() adapters.SourceConfig { return &Config{kind: Metrics} })
}

// Config is the section of a history or file source.
type Config struct {
	// Path is the file (or, for a history, the CSV directory), or
	// "embedded:NAME" for a bundled example.
	Path string `yaml:"path"`
	kind string
}

// Kind is History or Metrics, as the type the config was made for; a
// Config made by hand reads a history.
func (c *Config) Kind() string {
	if c.kind == "" {
		return History
	}
	return c.kind
}

// Check reports an empty path.
func (c *Config) Check() []adapters.FieldError {
	if strings.TrimSpace(c.Path) == "" {
		return []adapters.FieldError{{Field: "path", Msg: fmt.Sprintf("is empty; a %s source needs the path of its file", c.Kind())}}
	}
	return nil
}

// NewSource returns the source that reads c.Path, resolved against
// env.Dir as Resolve does.
func (c *Config) NewSource(env adapters.Env) (adapters.Source, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, errs[0]
	}
	return &Source{Path: c.Path, Dir: env.Dir, Kind: c.Kind()}, nil
}

// Source reads one local file or bundled example.
type Source struct {
	// Path is as the config gives it; Dir is the config file's directory.
	Path, Dir string
	// Kind is History or Metrics.
	Kind string
}

// Read reads the history or the metrics. A bundled example that does not
// exist is reported as an adapters.FieldError of path; other errors are
// those of history.Load and metrics.Load (bad content wraps
// history.ErrInvalid or metrics.ErrInvalid, a missing file
// fs.ErrNotExist).
func (s *Source) Read(ctx context.Context) (*adapters.Data, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if configs.IsEmbedded(s.Path) {
		data, err := configs.ReadEmbedded(s.Path)
		if err != nil {
			return nil, adapters.FieldError{Field: "path", Msg: err.Error()}
		}
		if s.Kind == Metrics {
			obs, err := metrics.Parse(data, s.Path)
			if err != nil {
				return nil, err
			}
			return &adapters.Data{Observation: &obs}, nil
		}
		h, err := history.Parse(data, s.Path)
		if err != nil {
			return nil, err
		}
		return &adapters.Data{History: h}, nil
	}
	path := Resolve(s.Dir, s.Path)
	if s.Kind == Metrics {
		obs, err := metrics.Load(ctx, path)
		if err != nil {
			return nil, err
		}
		return &adapters.Data{Observation: &obs}, nil
	}
	h, err := history.Load(ctx, path)
	if err != nil {
		return nil, err
	}
	return &adapters.Data{History: h}, nil
}

// Resolve is where a source reads path: path itself when it is absolute,
// found from the working directory, or dir is empty; else path relative
// to dir (the config file's directory).
func Resolve(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" || exists(path) {
		return path
	}
	return filepath.Join(dir, path)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
