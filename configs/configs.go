// Package configs holds attune's bundled configuration: the default config
// embedded in the binary and the example data it points at, so that
// `attune run` works on a fresh clone with no files, network or keys.
package configs

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

// EmbeddedPrefix marks a path that names a bundled file, e.g.
// "embedded:examples/metrics.json".
const EmbeddedPrefix = "embedded:"

//go:embed default.yaml examples
var files embed.FS

// Default returns the embedded default configuration (YAML).
func Default() []byte {
	b, err := files.ReadFile("default.yaml")
	if err != nil {
		// The file is embedded at build time; its absence is a build bug.
		panic("configs: default.yaml is not embedded: " + err.Error())
	}
	return b
}

// IsEmbedded reports whether path names a bundled file.
func IsEmbedded(path string) bool { return strings.HasPrefix(path, EmbeddedPrefix) }

// ReadEmbedded returns a bundled file named "embedded:NAME".
func ReadEmbedded(path string) ([]byte, error) {
	name := strings.TrimPrefix(path, EmbeddedPrefix)
	b, err := fs.ReadFile(files, name)
	if err != nil {
		return nil, fmt.Errorf("no bundled file %q (bundled: examples/metrics.json): %w", name, err)
	}
	return b, nil
}
