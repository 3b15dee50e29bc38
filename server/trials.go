package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// maxTrialsFile bounds a trials.json read.
const maxTrialsFile = 64 << 20

// readTrials reads the trials.json a cycle wrote into its directory.
func readTrials(c store.Cycle) (schema.TrialsDoc, error) {
	notFound := func(why string) error {
		return &requestError{status: http.StatusNotFound, code: "not_found", detail: fmt.Sprintf("cycle %d has no trials: %s", c.ID, why)}
	}
	if c.Dir == "" {
		return schema.TrialsDoc{}, notFound("it wrote no directory")
	}
	f, err := os.Open(filepath.Join(c.Dir, loop.TrialsFile))
	if os.IsNotExist(err) {
		return schema.TrialsDoc{}, notFound("its directory holds no " + loop.TrialsFile + " (written by attune from this version on)")
	}
	if err != nil {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTrialsFile+1))
	if err != nil {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	if len(b) > maxTrialsFile {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %s is over %d bytes", c.ID, loop.TrialsFile, maxTrialsFile)
	}
	var d schema.TrialsDoc
	if err := json.Unmarshal(b, &d); err != nil || d.Schema != schema.Trials {
		return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %s is not a %s document: %v", c.ID, loop.TrialsFile, schema.Trials, err)
	}
	for i, s := range d.Searches {
		if s.Best < 0 || s.Best >= len(s.Trials) {
			return schema.TrialsDoc{}, fmt.Errorf("cycle %d: %s: search %d's best is trial %d of %d", c.ID, loop.TrialsFile, i, s.Best, len(s.Trials))
		}
	}
	return d, nil
}
