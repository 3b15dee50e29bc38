package history

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a history from path: a .json file is read with Parse, a
// directory with ParseCSV (see there for its files). The history's Source is
// path. Files larger than MaxBytes are refused. Errors about the content
// wrap ErrInvalid, as do a path that is neither a .json file nor a
// directory; a file that cannot be read is reported as the operating system
// reports it.
func Load(ctx context.Context, path string) (*History, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if st.IsDir() {
		return parseCSV(ctx, os.DirFS(path), path)
	}
	if !strings.EqualFold(filepath.Ext(path), ".json") {
		return nil, &DecodeError{Source: path, Msg: "want a .json file or a directory of CSV files (meta.csv, proposals.csv, ...)"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("history %s: read: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Parse(data, path)
}
