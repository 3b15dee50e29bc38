package adapters

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxSecretBytes bounds a secret file.
const MaxSecretBytes = 64 << 10

// ErrNoSecret is wrapped by Resolve's errors when the secret is not set.
var ErrNoSecret = errors.New("secret not set")

// Secret says where a credential comes from: an environment variable or a
// file named in the config, never the config itself. Exactly one of Env
// and File is set.
type Secret struct {
	Env  string `yaml:"env,omitempty" json:"env,omitempty"`
	File string `yaml:"file,omitempty" json:"file,omitempty"`
}

// IsZero reports whether the secret names no source.
func (s Secret) IsZero() bool { return s.Env == "" && s.File == "" }

// Check reports a Secret that names both an environment variable and a
// file, prefixing field names with field.
func (s Secret) Check(field string) []FieldError {
	if s.Env != "" && s.File != "" {
		return []FieldError{{Field: field, Msg: "names both env and file; keep one"}}
	}
	return nil
}

// Resolve reads the secret: the variable's value, or the file's content
// (resolved against env.Dir when relative) with surrounding whitespace
// trimmed. The error names the variable or file, never the value.
func (s Secret) Resolve(env Env) (string, error) {
	switch {
	case s.Env != "":
		v := strings.TrimSpace(env.Env(s.Env))
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty or unset; export it: %w", s.Env, ErrNoSecret)
		}
		return v, nil
	case s.File != "":
		path := s.File
		if !filepath.IsAbs(path) && env.Dir != "" {
			path = filepath.Join(env.Dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, MaxSecretBytes+1))
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		if len(b) > MaxSecretBytes {
			return "", fmt.Errorf("secret file %s is larger than %d bytes; it should hold only the secret", path, MaxSecretBytes)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty: %w", path, ErrNoSecret)
		}
		return v, nil
	}
	return "", ErrNoSecret
}
