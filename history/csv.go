package history

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The files of a CSV history.
const (
	metaFile      = "meta.csv"
	proposalsFile = "proposals.csv"
	votesFile     = "votes.csv"
	supplyFile    = "supply.csv"
	paramsFile    = "params.csv"
)

// table describes one CSV file: its columns in the documented order and
// those that must be there.
type table struct {
	file     string
	sec      string // the History section its rows fill
	required bool   // the file must exist
	cols     []string
	need     []string
}

// The tables of a CSV history. They are functions, not variables, so that
// the package has no state anyone could change.
func metaTable() table {
	return table{file: metaFile, required: true,
		cols: []string{"key", "value"}, need: []string{"key", "value"}}
}

func proposalsTable() table {
	return table{file: proposalsFile, sec: "proposals", required: true,
		cols: []string{"id", "track", "proposer", "created", "start", "end", "for", "against", "abstain", "voters", "state", "title"},
		need: []string{"id", "created", "start", "end", "for", "against", "abstain", "voters", "state"}}
}

func votesTable() table {
	return table{file: votesFile, sec: "votes",
		cols: []string{"proposal", "voter", "support", "weight", "time"},
		need: []string{"proposal", "voter", "support", "weight"}}
}

func supplyTable() table {
	return table{file: supplyFile, sec: "supply", required: true,
		cols: []string{"time", "total", "votable"},
		need: []string{"time", "total"}}
}

func paramsTable() table {
	return table{file: paramsFile, sec: "params",
		cols: []string{"time", "name", "value", "track", "event"},
		need: []string{"time", "name", "value"}}
}

// metaKey is a key of meta.csv and the JSON field it sets, as section and
// field.
type metaKey struct{ key, sec, field string }

// metaKeys lists the keys of meta.csv.
func metaKeys() []metaKey {
	return []metaKey{
		{"dao", "", "dao"},
		{"governor", "", "governor"},
		{"token_symbol", "", "token.symbol"},
		{"token_address", "", "token.address"},
		{"token_price_usd", "", "token.price_usd"},
		{"provenance", "", "provenance"},
		{"holders_time", "holders", "time"},
		{"holders_count", "holders", "count"},
		{"holders_gini", "holders", "gini"},
		{"holders_top10_share", "holders", "top10_share"},
		{"holders_delegated_share", "holders", "delegated_share"},
		{"holders_delegates", "holders", "delegates"},
	}
}

// findMetaKey returns the key named key.
func findMetaKey(key string) (metaKey, bool) {
	for _, k := range metaKeys() {
		if k.key == key {
			return k, true
		}
	}
	return metaKey{}, false
}

// metaKeyOf returns the key of meta.csv that sets a JSON field.
func metaKeyOf(sec, field string) string {
	for _, k := range metaKeys() {
		if k.sec == sec && k.field == field {
			return k.key
		}
	}
	return field
}

// ParseCSV reads a history from CSV files at the root of fsys and validates
// it; source names the input in errors and becomes the history's Source.
// The files, each with a header row naming its columns in any order:
//
//	meta.csv       key,value: one row per key. dao and token_symbol are
//	               required; governor, token_address and token_price_usd
//	               are optional; provenance may repeat, one source a row;
//	               holders_time, holders_count, holders_gini,
//	               holders_top10_share, holders_delegated_share and
//	               holders_delegates, all or none, give the holders.
//	proposals.csv  id,track,proposer,created,start,end,for,against,abstain,
//	               voters,state,title (track, proposer and title optional)
//	votes.csv      optional: proposal,voter,support,weight,time (time optional)
//	supply.csv     time,total,votable (votable optional)
//	params.csv     optional: time,name,value,track,event (track, event optional)
//
// Columns and cells mean what the JSON fields of the same name mean (see
// docs/history.schema.json): times are RFC 3339, amounts decimal numbers,
// counts whole numbers. Optional columns may be left out, and their cells
// left empty; cells are trimmed of surrounding spaces; header names match
// without regard to case; a UTF-8 byte order mark is ignored.
//
// Problems are reported together as one *ValidationError wrapping
// ErrInvalid, each naming its file and line and the column or key: files
// missing, unknown (a name ending in .csv that is none of these) or
// malformed (unknown, repeated or missing columns, rows of the wrong
// length, bad quoting); cells empty where required or that do not parse;
// and, once the files are well formed, what Validate finds, naming the
// record by its file and line. Other files in fsys are ignored.
func ParseCSV(fsys fs.FS, source string) (*History, error) {
	return parseCSV(context.Background(), fsys, source)
}

type csvParser struct {
	ctx  context.Context
	fsys fs.FS
	out  []Problem // placed problems, in the order found
	// cells are the fields whose cells did not parse, so that validation
	// does not report their zero values again.
	cells []problem
	// broken is set when a file is malformed (a missing file or column, a
	// CSV syntax error): its records are incomplete, so validation is not
	// run.
	broken bool
	lines  csvLines
}

// csvLines records where each record came from, to name it in problems.
type csvLines struct {
	proposals, votes, supply, params []int
	meta                             map[string]int // sec.field or field -> line
}

func metaSlot(sec, field string) string {
	if sec == "" {
		return field
	}
	return sec + "." + field
}

func (l *csvLines) locate(sec string, idx int, field string) (string, string) {
	col := func() string {
		if field == "" {
			return ""
		}
		return fmt.Sprintf("column %q", field)
	}
	var lines []int
	switch sec {
	case "proposals":
		lines = l.proposals
	case "votes":
		lines = l.votes
	case "supply":
		lines = l.supply
	case "params":
		lines = l.params
	default: // the top level and holders come from meta.csv
		switch {
		case sec == "" && field == "proposals":
			return proposalsFile, ""
		case sec == "" && field == "supply":
			return supplyFile, ""
		}
		where := metaFile
		if n, ok := l.meta[metaSlot(sec, field)]; ok {
			where = fmt.Sprintf("%s:%d", metaFile, n)
		}
		return where, fmt.Sprintf("key %q", metaKeyOf(sec, field))
	}
	if idx >= 0 && idx < len(lines) {
		return fmt.Sprintf("%s.csv:%d", sec, lines[idx]), col()
	}
	return sec + ".csv", col()
}

func (p *csvParser) fail(where, field, format string, args ...any) {
	p.out = append(p.out, Problem{Where: where, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func parseCSV(ctx context.Context, fsys fs.FS, source string) (*History, error) {
	p := &csvParser{ctx: ctx, fsys: fsys, lines: csvLines{meta: map[string]int{}}}
	h := &History{Source: source}

	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%slist files: %w", prefix(source), err)
	}
	known := []string{metaFile, proposalsFile, votesFile, supplyFile, paramsFile}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(strings.ToLower(e.Name()), ".csv") && !slices.Contains(known, e.Name()) {
			p.fail(e.Name(), "", "is not a file of a CSV history; want %s", strings.Join(known, ", "))
			p.broken = true
		}
	}

	if err := p.readMeta(h); err != nil {
		return nil, err
	}
	if err := p.read(proposalsTable(), func(r *row) {
		h.Proposals = append(h.Proposals, Proposal{
			ID:       r.str("id"),
			Track:    r.str("track"),
			Proposer: r.str("proposer"),
			Created:  r.time("created"),
			Start:    r.time("start"),
			End:      r.time("end"),
			For:      r.num("for"),
			Against:  r.num("against"),
			Abstain:  r.num("abstain"),
			Voters:   r.count("voters"),
			State:    State(r.str("state")),
			Title:    r.str("title"),
		})
		p.lines.proposals = append(p.lines.proposals, r.line())
	}); err != nil {
		return nil, err
	}
	if err := p.read(votesTable(), func(r *row) {
		h.Votes = append(h.Votes, Vote{
			Proposal: r.str("proposal"),
			Voter:    r.str("voter"),
			Support:  Support(r.str("support")),
			Weight:   r.num("weight"),
			Time:     r.time("time"),
		})
		p.lines.votes = append(p.lines.votes, r.line())
	}); err != nil {
		return nil, err
	}
	if err := p.read(supplyTable(), func(r *row) {
		h.Supply = append(h.Supply, SupplyPoint{
			Time:    r.time("time"),
			Total:   r.num("total"),
			Votable: r.num("votable"),
		})
		p.lines.supply = append(p.lines.supply, r.line())
	}); err != nil {
		return nil, err
	}
	if err := p.read(paramsTable(), func(r *row) {
		h.Params = append(h.Params, ParamChange{
			Time:  r.time("time"),
			Name:  r.str("name"),
			Value: r.num("value"),
			Track: r.str("track"),
			Event: r.str("event"),
		})
		p.lines.params = append(p.lines.params, r.line())
	}); err != nil {
		return nil, err
	}
	h.normalize()

	if !p.broken {
		reported := keys(p.cells)
		for _, q := range h.problems(p.lines.locate) {
			if !reported[q.key()] {
				p.out = append(p.out, place(h, []problem{q}, p.lines.locate)...)
			}
		}
	}
	if len(p.out) > 0 {
		return nil, &ValidationError{Source: source, Problems: p.out}
	}
	return h, nil
}

// readMeta reads meta.csv into h.
func (p *csvParser) readMeta(h *History) error {
	firstLine := map[string]int{}
	var holders Holders
	hasHolders := false
	err := p.read(metaTable(), func(r *row) {
		key := strings.ToLower(r.str("key"))
		if key == "" {
			return // reported by str
		}
		line := r.line()
		mk, ok := findMetaKey(key)
		if !ok {
			all := make([]string, len(metaKeys()))
			for j, k := range metaKeys() {
				all[j] = k.key
			}
			p.fail(fmt.Sprintf("%s:%d", metaFile, line), fmt.Sprintf("key %q", key), "is unknown; want one of %s", strings.Join(all, ", "))
			return
		}
		if key != "provenance" {
			if first, dup := firstLine[key]; dup {
				p.fail(fmt.Sprintf("%s:%d", metaFile, line), fmt.Sprintf("key %q", key), "appears again (first on line %d); want it once", first)
				return
			}
			firstLine[key] = line
			p.lines.meta[metaSlot(mk.sec, mk.field)] = line
		}
		// The value cell is named by its key, and checked as the JSON field.
		r.rename("value", key, mk.sec, -1, mk.field)
		switch key {
		case "dao":
			h.DAO = r.str("value")
		case "governor":
			h.Governor = r.str("value")
		case "token_symbol":
			h.Token.Symbol = r.str("value")
		case "token_address":
			h.Token.Address = r.str("value")
		case "token_price_usd":
			h.Token.Price = r.num("value")
		case "provenance":
			if v := r.str("value"); v != "" {
				h.Provenance = append(h.Provenance, v)
			}
		default: // holders_*
			hasHolders = true
			r.required = true
			switch mk.field {
			case "time":
				holders.Time = r.time("value")
			case "count":
				holders.Count = r.count("value")
			case "gini":
				holders.Gini = r.num("value")
			case "top10_share":
				holders.Top10Share = r.num("value")
			case "delegated_share":
				holders.DelegatedShare = r.num("value")
			case "delegates":
				holders.Delegates = r.count("value")
			}
		}
	})
	if err != nil || p.broken {
		return err
	}
	for _, k := range []string{"dao", "token_symbol"} {
		if _, ok := firstLine[k]; !ok {
			p.fail(metaFile, fmt.Sprintf("key %q", k), "is missing; want a row %s,<value>", k)
			mk, _ := findMetaKey(k)
			p.cells = append(p.cells, problem{sec: mk.sec, idx: -1, field: mk.field})
		}
	}
	if hasHolders {
		for _, k := range metaKeys() {
			if k.sec == "holders" {
				if _, ok := firstLine[k.key]; !ok {
					p.fail(metaFile, fmt.Sprintf("key %q", k.key), "is missing; the holders_* keys come together: give all six or none")
					p.cells = append(p.cells, problem{sec: "holders", idx: -1, field: k.field})
				}
			}
		}
		h.Holders = &holders
	}
	return nil
}

// bom is the UTF-8 byte order mark some spreadsheets write.
const bom = "\ufeff"

// read reads one file of the history, calling each for every row. A
// missing optional file is no rows. It returns an error only for failures
// to read and for a canceled context; problems with the content are
// recorded in p.
func (p *csvParser) read(t table, each func(r *row)) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	f, err := p.fsys.Open(t.file)
	if errors.Is(err, fs.ErrNotExist) {
		if t.required {
			p.fail(t.file, "", "is missing; want a file with the header %s", strings.Join(t.cols, ","))
			p.broken = true
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%sread %s: %w", prefix(""), t.file, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		p.fail(t.file, "", "is a directory; want a CSV file")
		p.broken = true
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return fmt.Errorf("%sread %s: %w", prefix(""), t.file, err)
	}
	if len(data) > MaxBytes {
		p.fail(t.file, "", "is larger than %d MiB, the limit", MaxBytes>>20)
		p.broken = true
		return nil
	}
	data = bytes.TrimPrefix(data, []byte(bom))

	rd := csv.NewReader(bytes.NewReader(data))
	header, err := rd.Read()
	switch {
	case errors.Is(err, io.EOF):
		if t.required {
			p.fail(t.file, "", "is empty; want the header %s and a row per record", strings.Join(t.cols, ","))
			p.broken = true
		}
		return nil
	case err != nil:
		p.csvError(t.file, err)
		return nil
	}
	index := make(map[string]int, len(header))
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case !slices.Contains(t.cols, name):
			p.fail(fmt.Sprintf("%s:1", t.file), fmt.Sprintf("column %q", name), "is unknown; want %s", strings.Join(t.cols, ", "))
			p.broken = true
		case hasKey(index, name):
			p.fail(fmt.Sprintf("%s:1", t.file), fmt.Sprintf("column %q", name), "appears twice; want each column once")
			p.broken = true
		default:
			index[name] = i
		}
	}
	for _, name := range t.need {
		if _, ok := index[name]; !ok {
			p.fail(fmt.Sprintf("%s:1", t.file), fmt.Sprintf("column %q", name), "is missing; want the columns %s (%s required)", strings.Join(t.cols, ","), strings.Join(t.need, ","))
			p.broken = true
		}
	}
	if p.broken {
		return nil
	}
	r := &row{p: p, t: t, rd: rd, index: index}
	for n, idx := 0, 0; ; n++ {
		if n%1024 == 1023 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				p.fail(fmt.Sprintf("%s:%d", t.file, pe.Line), "", "has %d cells; want %d, one per column of the header", len(rec), len(header))
				p.broken = true
				continue
			}
			p.csvError(t.file, err)
			return nil
		}
		r.reset(rec, idx)
		each(r)
		idx++
	}
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func (p *csvParser) csvError(file string, err error) {
	p.broken = true
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		p.fail(fmt.Sprintf("%s:%d", file, pe.Line), "", "column %d: malformed CSV: %v", pe.Column, pe.Err)
		return
	}
	p.fail(file, "", "malformed CSV: %v", err)
}

// row is the current row of a table.
type row struct {
	p     *csvParser
	t     table
	rd    *csv.Reader
	index map[string]int
	rec   []string
	idx   int // the row's index in its section
	// required makes every cell required (the value of a holders_* key).
	required bool
	// alias names the value cell of a meta.csv row by its key.
	alias struct {
		col, key, sec, field string
		idx                  int
	}
}

func (r *row) reset(rec []string, idx int) {
	r.rec, r.idx, r.required = rec, idx, false
	r.alias.col = ""
}

// rename makes problems with the cell of column col name key instead, and
// record the cell as sec[idx].field.
func (r *row) rename(col, key, sec string, idx int, field string) {
	r.alias.col, r.alias.key, r.alias.sec, r.alias.idx, r.alias.field = col, key, sec, idx, field
}

func (r *row) line() int {
	l, _ := r.rd.FieldPos(0)
	return l
}

// cell returns the trimmed cell of column col ("" if the file has no such
// column) and its line.
func (r *row) cell(col string) (string, int) {
	i, ok := r.index[col]
	if !ok || i >= len(r.rec) {
		return "", r.line()
	}
	l, _ := r.rd.FieldPos(i)
	return strings.TrimSpace(r.rec[i]), l
}

// bad records a cell that does not parse.
func (r *row) bad(col string, line int, format string, args ...any) {
	field := fmt.Sprintf("column %q", col)
	q := problem{sec: r.t.sec, idx: r.idx, field: col}
	if r.alias.col == col {
		field = fmt.Sprintf("key %q", r.alias.key)
		q = problem{sec: r.alias.sec, idx: r.alias.idx, field: r.alias.field}
	}
	r.p.fail(fmt.Sprintf("%s:%d", r.t.file, line), field, format, args...)
	r.p.cells = append(r.p.cells, q)
}

// needed reports whether an empty cell of col is a problem. The value
// column of meta.csv is needed only where its key is required.
func (r *row) needed(col string) bool {
	if r.t.file == metaFile && col == "value" {
		return r.required
	}
	return r.required || slices.Contains(r.t.need, col)
}

func (r *row) str(col string) string {
	s, l := r.cell(col)
	if s == "" && r.needed(col) {
		r.bad(col, l, "is empty; want a value")
	}
	return s
}

// A cell that is bad gives a value Validate rejects too (NaN, -1, the zero
// time), so that it does not check other fields against a made-up value;
// its report of the field itself is dropped as a repeat.

func (r *row) num(col string) float64 {
	s, l := r.cell(col)
	if s == "" {
		if r.needed(col) {
			r.bad(col, l, "is empty; want a number")
			return math.NaN()
		}
		return 0
	}
	x, err := parseDecimal(s)
	if err != nil {
		r.bad(col, l, "%q %v", s, err)
		return math.NaN()
	}
	return x
}

func (r *row) count(col string) int {
	s, l := r.cell(col)
	if s == "" {
		if r.needed(col) {
			r.bad(col, l, "is empty; want a whole number")
			return -1
		}
		return 0
	}
	n, err := strconv.ParseInt(s, 10, strconv.IntSize)
	if err != nil {
		r.bad(col, l, "%q is not a whole number in range; want a count such as 12", s)
		return -1
	}
	return int(n)
}

func (r *row) time(col string) time.Time {
	s, l := r.cell(col)
	if s == "" {
		if r.needed(col) {
			r.bad(col, l, "is empty; want an RFC 3339 time such as 2021-04-01T00:00:00Z")
		}
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalText([]byte(s)); err != nil {
		r.bad(col, l, "%q is not an RFC 3339 time; want e.g. 2021-04-01T00:00:00Z", s)
		return time.Time{}
	}
	return t
}

// parseDecimal parses a finite number written in decimal, as JSON writes
// numbers (a leading + is allowed).
func parseDecimal(s string) (float64, error) {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, errors.New("is not a number; want a decimal number such as 1234.5")
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("is out of range; want a finite number")
		}
		return 0, errors.New("is not a number; want a decimal number such as 1234.5")
	}
	return x, nil
}
