// Package outfile writes the files of sinks that publish by writing files
// (a Safe batch, a typed-data message to sign): one directory per cycle
// under the sink's configured directory, each file replaced whole, and
// the same files described for a dry run.
package outfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/atomicfile"
)

// File is one file a sink writes: its name within the cycle's directory.
type File struct {
	Name string
	Data []byte
}

// cycleID is what a cycle id may hold to name a directory: no separators,
// no "..".
var cycleID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)

// Dir returns the cycle's directory under dir (resolved against env.Dir
// when relative): dir/cycle. It fails for a cycle id that could name
// another directory.
func Dir(env adapters.Env, dir, cycle string) (string, error) {
	if !cycleID.MatchString(cycle) {
		return "", fmt.Errorf("cycle id %q cannot name a directory; want letters, digits, '.', '_' and '-'", cycle)
	}
	if !filepath.IsAbs(dir) && env.Dir != "" {
		dir = filepath.Join(env.Dir, dir)
	}
	return filepath.Join(dir, cycle), nil
}

// Write writes files into dir (created if missing), each replaced whole,
// and returns their paths. It stops before writing when ctx is done.
func Write(ctx context.Context, dir string, files []File) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	paths := make([]string, 0, len(files))
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if err := atomicfile.WriteFile(path, f.Data); err != nil {
			return paths, fmt.Errorf("writing %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// Read returns the file name in the cycle's directory as an earlier
// Write left it, and its path; found is false when there is none.
func Read(env adapters.Env, dir, cycle, name string) (data []byte, path string, found bool, err error) {
	d, err := Dir(env, dir, cycle)
	if err != nil {
		return nil, "", false, err
	}
	path = filepath.Join(d, name)
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, false, nil
	}
	if err != nil {
		return nil, path, false, err
	}
	return data, path, true, nil
}

// Preview describes files as Write would write them into dir.
func Preview(dir string, files []File) []adapters.Outgoing {
	out := make([]adapters.Outgoing, len(files))
	for i, f := range files {
		out[i] = adapters.Outgoing{Target: filepath.Join(dir, f.Name), ContentType: "application/json", Body: f.Data}
	}
	return out
}

// JSON writes v as indented JSON without HTML escaping (the files are for
// people and wallets, not web pages), ending in a newline.
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
