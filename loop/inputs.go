package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/attune-dao/attune/adapters/file"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/configs"
	"github.com/attune-dao/attune/oracle"
)

// ReproCommand reproduces a cycle from its directory: config.yaml and its
// inputs side by side. It names no local path.
const ReproCommand = "attune run --config config.yaml"

// input is one data file a cycle read: its name as the cycle's
// config.yaml refers to it, where it was read from (or its content), and
// its hash.
type input struct {
	name   string // e.g. "history.json", "history/proposals.csv", "embedded:..."
	path   string // the local file, "" for an embedded one or data
	data   []byte // the content, for data read from elsewhere than a file
	sha256 string
}

// readHistoryFile is the name of the history a cycle writes when it read
// its data from elsewhere than one file: what its sources returned,
// merged.
const readHistoryFile = "history.json"

// maxInputBytes bounds an input file hashed and copied into a cycle's
// directory.
const maxInputBytes = 1 << 30

// readInputs hashes the files of the cycle's data. One file source's
// are hashed where they are: a file, every regular file of a CSV
// directory, or an embedded example; the reproducing config.yaml names
// the source by its base name. A history read otherwise (several sources,
// a command, a network source) is kept as history.json, and config.yaml
// reads it with one history source (repro). Metrics read otherwise are
// not kept (a metrics file's shape is not the observation's). It returns
// the inputs, the path config.yaml gives the source and repro.
func readInputs(ctx context.Context, cfg *config.Config, d sourceData) ([]input, string, *config.Source, error) {
	if len(cfg.Sources) == 1 && (cfg.Sources[0].Type == file.History || cfg.Sources[0].Type == file.Metrics) {
		in, name, err := fileInputs(ctx, cfg)
		return in, name, nil, err
	}
	if d.history == nil {
		return nil, "", nil, nil
	}
	b, err := json.MarshalIndent(d.history, "", " ")
	if err != nil {
		return nil, "", nil, fmt.Errorf("keep the history read: %w", err)
	}
	b = append(b, '\n')
	repro := &config.Source{Type: file.History, Path: readHistoryFile, WindowDays: d.windowDays}
	if daoKey(d.history.DAO) != daoKey(cfg.DAO.Name) {
		repro.DAO = d.history.DAO
	}
	return []input{{name: readHistoryFile, data: b, sha256: hashHex(b)}}, readHistoryFile, repro, nil
}

// fileInputs hashes the files of the cycle's one file source.
func fileInputs(ctx context.Context, cfg *config.Config) ([]input, string, error) {
	src := cfg.Sources[0].Path
	if configs.IsEmbedded(src) {
		data, err := configs.ReadEmbedded(src)
		if err != nil {
			return nil, "", cfg.Problem("sources[0].path", err.Error())
		}
		return []input{{name: src, sha256: hashHex(data)}}, src, nil
	}
	path := file.Resolve(sourceDir(cfg), src)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("hash source %s: %w", path, err)
	}
	base := filepath.Base(path)
	files := []string{path}
	names := []string{base}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, "", fmt.Errorf("hash source %s: %w", path, err)
		}
		files, names = nil, nil
		for _, en := range entries {
			if en.Type().IsRegular() {
				files = append(files, filepath.Join(path, en.Name()))
				names = append(names, base+"/"+en.Name())
			}
		}
	}
	var out []input
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		sum, err := hashFile(f)
		if err != nil {
			return nil, "", err
		}
		out = append(out, input{name: names[i], path: f, sha256: sum})
	}
	return out, base, nil
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hashFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("hash input: %w", err)
	}
	if fi.Size() > maxInputBytes {
		return "", fmt.Errorf("hash input %s: %d bytes, more than the %d a cycle copies", path, fi.Size(), maxInputBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("hash input: %w", err)
	}
	return hashHex(b), nil
}

// ReproConfig is the config.yaml a cycle writes: the effective config
// without out (where outputs go changes no result, and a path of this
// machine means nothing on another) and with the source named as the
// cycle's directory holds it.
func (e *Env) ReproConfig() ([]byte, error) {
	c := *e.Config
	c.Out = ""
	c.Sources = slices.Clone(c.Sources)
	switch {
	case e.repro != nil:
		c.Sources = []config.Source{*e.repro}
	case len(c.Sources) == 1 && e.sourceName != "":
		c.Sources[0].Path = e.sourceName
	}
	b, err := c.YAML()
	if err != nil {
		return nil, err
	}
	return dropOut(b), nil
}

// dropOut removes the top-level "out" line that YAML writes for an empty
// Out, so that loading the file takes the default.
func dropOut(b []byte) []byte {
	lines := slices.Collect(func(yield func([]byte) bool) {
		start := 0
		for i, c := range b {
			if c == '\n' {
				if !yield(b[start : i+1]) {
					return
				}
				start = i + 1
			}
		}
		if start < len(b) {
			yield(b[start:])
		}
	})
	var out []byte
	for _, l := range lines {
		if string(l) == "out: \"\"\n" || string(l) == "out: ''\n" || string(l) == "out: \n" {
			continue
		}
		out = append(out, l...)
	}
	return out
}

// inputFiles are the recommendation's Method.Inputs: config.yaml, then
// the data files, by content hash.
func (e *Env) inputFiles() ([]oracle.InputFile, error) {
	cfgYAML, err := e.ReproConfig()
	if err != nil {
		return nil, err
	}
	out := []oracle.InputFile{{Name: "config.yaml", SHA256: hashHex(cfgYAML)}}
	for _, in := range e.inputs {
		out = append(out, oracle.InputFile{Name: in.name, SHA256: in.sha256})
	}
	return out, nil
}
