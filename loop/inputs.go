package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/configs"
	"github.com/attune-dao/attune/oracle"
)

// ReproCommand reproduces a cycle from its directory: config.yaml and its
// inputs side by side. It names no local path.
const ReproCommand = "attune run --config config.yaml"

// input is one data file a cycle read: its name as the cycle's
// config.yaml refers to it, where it was read from, and its hash.
type input struct {
	name   string // e.g. "history.json", "history/proposals.csv", "embedded:..."
	path   string // the local file, "" for an embedded one
	sha256 string
}

// maxInputBytes bounds an input file hashed and copied into a cycle's
// directory.
const maxInputBytes = 1 << 30

// readInputs hashes the files of the cycle's one source: a file, every
// regular file of a CSV directory, or an embedded example. It returns the
// inputs and the path the reproducing config.yaml gives the source.
func readInputs(ctx context.Context, cfg *config.Config) ([]input, string, error) {
	if len(cfg.Sources) != 1 {
		return nil, "", nil
	}
	src := cfg.Sources[0].Path
	if configs.IsEmbedded(src) {
		data, err := configs.ReadEmbedded(src)
		if err != nil {
			return nil, "", cfg.Problem("sources[0].path", err.Error())
		}
		return []input{{name: src, sha256: hashHex(data)}}, src, nil
	}
	path := sourcePath(cfg, src)
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
	if len(c.Sources) == 1 && e.sourceName != "" {
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
