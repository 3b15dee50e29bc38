package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/attune-dao/attune/adapters"
)

// AuthConfig is the auth file attune serve --auth reads: who may use the
// desk and the API, and where the key that signs sessions is. It holds
// no secret: a token is given by its SHA-256, or by where it is (an
// environment variable or a file); the session key likewise.
//
//	tokens:
//	  - {name: alice, role: steward, sha256: 3f7a...}     # HashToken of alice's token
//	  - {name: ci, role: viewer, env: ATTUNE_TOKEN_CI}
//	  - {name: ops, role: admin, file: /etc/attune/tokens/ops}
//	session_key: {env: ATTUNE_SESSION_KEY}                # or {file: ...}; optional
type AuthConfig struct {
	Tokens     []TokenConfig    `yaml:"tokens"`
	SessionKey *adapters.Secret `yaml:"session_key,omitempty"`
}

// Auth is an auth file resolved: the tokens, and the session key (nil
// when the file names none: New then makes a random one, and sessions
// end with the process).
type Auth struct {
	Tokens     []Token
	SessionKey []byte
}

// maxAuthFile bounds the auth file.
const maxAuthFile = 1 << 20

// ParseAuth decodes an auth file's contents strictly: an unknown key, a
// value of the wrong type or a second document is an error naming its
// line. It reads no secret.
func ParseAuth(data []byte) (AuthConfig, error) {
	var c AuthConfig
	if len(data) > maxAuthFile {
		return c, fmt.Errorf("the file is over %d bytes; an auth file lists tokens and a session key", maxAuthFile)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return c, errors.New("the file is empty; list the tokens under the key tokens")
		}
		return AuthConfig{}, fmt.Errorf("%w (want tokens: [{name, role, sha256 | env | file}] and an optional session_key: {env | file})", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return AuthConfig{}, errors.New("the file holds more than one YAML document; keep one")
	}
	if len(c.Tokens) == 0 {
		return AuthConfig{}, errors.New("no tokens: list at least one under tokens:, else nobody can sign in")
	}
	if c.SessionKey != nil && c.SessionKey.IsZero() {
		return AuthConfig{}, errors.New("session_key names neither env nor file; give one, or leave session_key out")
	}
	if c.SessionKey != nil {
		if fe := c.SessionKey.Check("session_key"); len(fe) > 0 {
			return AuthConfig{}, fmt.Errorf("%s %s", fe[0].Field, fe[0].Msg)
		}
	}
	return c, nil
}

// LoadAuth reads the auth file at path and resolves it: each token's
// hash, read from the file or computed from the secret its variable or
// file holds, and the session key. Relative files resolve against the
// auth file's directory; env.Getenv reads the variables. The errors name
// the file and the entry, never a secret.
func LoadAuth(path string, env adapters.Env) (Auth, error) {
	f, err := os.Open(path)
	if err != nil {
		return Auth{}, fmt.Errorf("auth file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAuthFile+1))
	if err != nil {
		return Auth{}, fmt.Errorf("auth file %s: %w", path, err)
	}
	c, err := ParseAuth(data)
	if err != nil {
		return Auth{}, fmt.Errorf("auth file %s: %w", path, err)
	}
	env.Dir = filepath.Dir(path)
	var a Auth
	if a.Tokens, err = Tokens(c.Tokens, env); err != nil {
		return Auth{}, fmt.Errorf("auth file %s: %w", path, err)
	}
	if c.SessionKey != nil {
		if a.SessionKey, err = SessionKey(*c.SessionKey, env); err != nil {
			return Auth{}, fmt.Errorf("auth file %s: %w", path, err)
		}
	}
	return a, nil
}
