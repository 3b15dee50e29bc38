package llm

import (
	"encoding/json"
	"fmt"
	"github.com/attune-dao/attune/internal/atomicfile"
	"os"
	"path/filepath"
	"regexp"

	"github.com/attune-dao/attune/oracle"
)

// entry is one cached draft: the prose as the model wrote it (with its
// references) and the metadata of the draft that was used.
type entry struct {
	Raw  oracle.Prose     `json:"raw"`
	Meta oracle.DraftMeta `json:"meta"`
}

// maxEntryBytes caps a cache file read into memory.
const maxEntryBytes = 1 << 20

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// load reads the cached draft of hash. A missing, unreadable or malformed
// file is a miss: the draft is made again.
func (d *Drafter) load(hash string) (entry, bool) {
	if d.cfg.CacheDir == "" || !hashRE.MatchString(hash) {
		return entry{}, false
	}
	data, err := os.ReadFile(filepath.Join(d.cfg.CacheDir, hash+".json"))
	if err != nil {
		return entry{}, false
	}
	e, err := decodeEntry(data, hash)
	if err != nil {
		return entry{}, false
	}
	return e, true
}

// decodeEntry decodes a cache file: the raw prose goes through
// oracle.ParseDraft, so a cached draft obeys the same limits as a fresh
// one, and the metadata must name the hash it is filed under.
func decodeEntry(data []byte, hash string) (entry, error) {
	if len(data) > maxEntryBytes {
		return entry{}, fmt.Errorf("llm: cache entry is %d bytes, more than %d", len(data), maxEntryBytes)
	}
	var wire struct {
		Raw  json.RawMessage  `json:"raw"`
		Meta oracle.DraftMeta `json:"meta"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return entry{}, fmt.Errorf("llm: cache entry: %w", err)
	}
	raw, err := oracle.ParseDraft(wire.Raw)
	if err != nil {
		return entry{}, fmt.Errorf("llm: cache entry: %w", err)
	}
	if wire.Meta.InputHash != hash || wire.Meta.PromptVersion != PromptVersion || wire.Meta.FellBack {
		return entry{}, fmt.Errorf("llm: cache entry is not the draft of %s", hash)
	}
	return entry{Raw: raw, Meta: wire.Meta}, nil
}

// store writes a draft into the cache, atomically (a temporary file
// renamed into place). A cache that cannot be written costs a request
// next time, nothing more, so errors are dropped.
func (d *Drafter) store(hash string, e entry) {
	if d.cfg.CacheDir == "" || !hashRE.MatchString(hash) {
		return
	}
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return
	}
	if err := os.MkdirAll(d.cfg.CacheDir, 0o755); err != nil {
		return
	}
	// A cache entry that cannot be written only costs a request later.
	_ = atomicfile.WriteFile(filepath.Join(d.cfg.CacheDir, hash+".json"), append(data, '\n'))
}
