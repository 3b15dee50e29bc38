package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/attune-dao/attune/oracle"
)

// FuzzDecodeEntry feeds cache files to decodeEntry: it must never panic,
// and an entry it accepts must be filed under its hash, of this prompt
// version, not a fallback, with prose ParseDraft accepts.
func FuzzDecodeEntry(f *testing.F) {
	hash := strings.Repeat("ab", 32)
	good, _ := json.Marshal(entry{Raw: goodDraft(), Meta: oracle.DraftMeta{Drafter: Provider, PromptVersion: PromptVersion, InputHash: hash}})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"raw": {"title": 5}, "meta": {}}`))
	f.Add([]byte(`{"raw": null, "meta": {"input_hash": "` + hash + `"}}`))
	f.Add([]byte(`[1, 2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntry(data, hash)
		if err != nil {
			return
		}
		if e.Meta.InputHash != hash || e.Meta.PromptVersion != PromptVersion || e.Meta.FellBack {
			t.Fatalf("accepted meta %+v", e.Meta)
		}
		raw, _ := json.Marshal(e.Raw)
		if _, err := oracle.ParseDraft(raw); err != nil {
			t.Fatalf("accepted prose ParseDraft refuses: %v", err)
		}
	})
}
