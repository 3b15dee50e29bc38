package history

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// sampleFiles reads testdata/sample-csv into memory.
func sampleFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir("testdata/sample-csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata/sample-csv", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}

// TestParseCSVMatchesJSON: CSV files, columns in any order, parse to the
// same history as the JSON they transcribe.
func TestParseCSVMatchesJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := Parse(data, "x")
	if err != nil {
		t.Fatal(err)
	}
	minJSON, err := json.Marshal(minimal(t))
	if err != nil {
		t.Fatal(err)
	}
	fromMinJSON, err := Parse(minJSON, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		want  *History
	}{
		{"sample, reordered columns", sampleFiles(t), fromJSON},
		{"minimal, documented order, optional columns and files left out", map[string]string{
			"meta.csv":      "key,value\ndao,Min\ntoken_symbol,MIN\n",
			"proposals.csv": "id,created,start,end,for,against,abstain,voters,state\np,2022-01-01T00:00:00Z,2022-01-01T00:00:00Z,2022-01-02T00:00:00Z,0,0,0,0,canceled\n",
			"supply.csv":    "time,total\n2022-01-01T00:00:00Z,1\n",
		}, fromMinJSON},
		{"spaces, byte order mark, header case, CRLF, empty optional files", map[string]string{
			"meta.csv":      "\ufeffKey , Value\r\n dao , Min \r\ntoken_symbol,MIN\r\ntoken_price_usd,\r\n",
			"proposals.csv": "ID,Created,Start,End,For,Against,Abstain,Voters,State,Title\n p ,2022-01-01T00:00:00Z, 2022-01-01T00:00:00Z ,2022-01-02T00:00:00Z,0,0,0,0,canceled,\n",
			"supply.csv":    "time,total,votable\n2022-01-01T00:00:00Z,1e0,\n",
			"votes.csv":     "",
			"params.csv":    "time,name,value\n",
			"notes.txt":     "ignored",
		}, fromMinJSON},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCSV(mapFS(c.files), "x")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("CSV gives\n %+v\nJSON gives\n %+v", got, c.want)
			}
		})
	}
}

// TestParseCSVErrors: each problem with the files names the file, the line
// and the column or key, and all are reported together.
func TestParseCSVErrors(t *testing.T) {
	type edit struct{ file, old, new string } // old "" sets the file to new; new "-" removes it
	for _, c := range []struct {
		name  string
		edits []edit
		want  []string
	}{
		{"unknown column", []edit{{"proposals.csv", "proposer", "proposer,colour"}, {"proposals.csv", "0xAa\n", "0xAa,red\n"}},
			[]string{`proposals.csv:1: column "colour" is unknown; want id, track, proposer, created, start, end, for, against, abstain, voters, state, title`}},
		{"missing column", []edit{{"supply.csv", "", "votable,time\n4000,2021-01-01T00:00:00Z\n"}},
			[]string{`supply.csv:1: column "total" is missing; want the columns time,total,votable (time,total required)`}},
		{"repeated column", []edit{{"params.csv", "event,track", "event,name"}},
			[]string{`params.csv:1: column "name" appears twice`}},
		{"bad number", []edit{{"proposals.csv", ",300,100,", ",300x,100,"}},
			[]string{`proposals.csv:2: column "for" "300x" is not a number; want a decimal number such as 1234.5`}},
		{"NaN is not a number", []edit{{"votes.csv", "50.5,", "NaN,"}},
			[]string{`votes.csv:7: column "weight" "NaN" is not a number`}},
		{"number out of range", []edit{{"supply.csv", ",12000,", ",1e999,"}},
			[]string{`supply.csv:3: column "total" "1e999" is out of range; want a finite number`}},
		{"bad count", []edit{{"proposals.csv", ",1000,0,0,12,", ",1000,0,0,12.5,"}},
			[]string{`proposals.csv:4: column "voters" "12.5" is not a whole number in range; want a count such as 12`}},
		{"bad time", []edit{{"params.csv", "2021-01-15T00:00:00Z", "15/01/2021"}},
			[]string{`params.csv:4: column "time" "15/01/2021" is not an RFC 3339 time; want e.g. 2021-04-01T00:00:00Z`}},
		{"empty required cell", []edit{{"votes.csv", "10,abstain,0xEe,2,", "10,,0xEe,2,"}},
			[]string{`votes.csv:8: column "support" is empty; want a value`}},
		{"several at once", []edit{
			{"proposals.csv", ",300,100,", ",300x,100,"},
			{"supply.csv", ",12000,", ",twelve,"},
			{"meta.csv", "300,holders_delegates", "many,holders_delegates"},
		}, []string{
			"3 problems",
			`meta.csv:14: key "holders_delegates" "many" is not a whole number in range`,
			`proposals.csv:2: column "for" "300x" is not a number`,
			`supply.csv:3: column "total" "twelve" is not a number`,
		}},
		{"missing required file", []edit{{"supply.csv", "", "-"}},
			[]string{`supply.csv: is missing; want a file with the header time,total,votable`}},
		{"empty required file", []edit{{"proposals.csv", "", ""}},
			[]string{`proposals.csv: is empty; want the header id,track,proposer,`}},
		{"unknown file", []edit{{"vote.csv", "", "proposal,voter\n"}},
			[]string{`vote.csv: is not a file of a CSV history; want meta.csv, proposals.csv, votes.csv, supply.csv, params.csv`}},
		{"unknown meta key", []edit{{"meta.csv", "bravo,governor", "bravo,governer"}},
			[]string{`meta.csv:3: key "governer" is unknown; want one of dao, governor,`}},
		{"repeated meta key", []edit{{"meta.csv", "bravo,governor\n", "bravo,governor\noz,governor\n"}},
			[]string{`meta.csv:4: key "governor" appears again (first on line 3); want it once`}},
		{"missing meta key", []edit{{"meta.csv", "ATN,token_symbol\n", ""}},
			[]string{`meta.csv: key "token_symbol" is missing; want a row token_symbol,<value>`}},
		{"partial holders", []edit{{"meta.csv", "0.9,holders_gini\n", ""}},
			[]string{`meta.csv: key "holders_gini" is missing; the holders_* keys come together: give all six or none`}},
		{"empty holders value", []edit{{"meta.csv", "0.9,holders_gini", ",holders_gini"}},
			[]string{`meta.csv:11: key "holders_gini" is empty; want a number`}},
		{"too many cells", []edit{{"supply.csv", "4000,10000,2021-01-01T00:00:00Z", "4000,10000,2021-01-01T00:00:00Z,x"}},
			[]string{`supply.csv:2: has 4 cells; want 3, one per column of the header`}},
		{"malformed quotes", []edit{{"proposals.csv", `"Fund a grant, ""big"""`, `"Fund a grant, "big""`}},
			[]string{`proposals.csv:3: column 27: malformed CSV: extraneous or missing " in quoted-field`}},

		// Problems Validate finds name the file and line of the record.
		{"validation: end before start", []edit{{"proposals.csv", "2021-02-06T12:00:00Z", "2021-02-02T12:00:00Z"}},
			[]string{`proposals.csv:3 (id "2"): column "end" 2021-02-02T12:00:00Z is before start 2021-02-03T00:00:00Z; want created <= start < end`}},
		{"validation: repeated id", []edit{{"proposals.csv", "succeeded,3,", "succeeded,1,"}},
			[]string{`proposals.csv:4 (id "1"): column "id" "1" is also the id of proposals.csv:2; want each id once`}},
		{"validation: vote on unknown proposal", []edit{{"votes.csv", "", "proposal,voter,support,weight\n7,0xAa,for,1\n"}},
			[]string{`votes.csv:2 (proposal "7", voter "0xAa"): column "proposal" "7" is not the id of any proposal`}},
		{"validation: tally", []edit{{"votes.csv", "10,abstain,0xEe,2,", "12,abstain,0xEe,2,"}},
			[]string{`proposals.csv:3 (id "2"): column "abstain" is 10 but the abstain votes on it in votes weigh 12`}},
		{"validation: empty dao", []edit{{"meta.csv", "Attune Test DAO,dao", ",dao"}},
			[]string{`meta.csv:2: key "dao" is empty; want the DAO's name`}},
		{"validation: no proposals", []edit{{"proposals.csv", "", "id,created,start,end,for,against,abstain,voters,state\n"}, {"votes.csv", "", "-"}},
			[]string{`proposals.csv: is empty; want at least one proposal`}},
		{"validation: supply order", []edit{{"supply.csv", "2021-03-01", "2020-03-01"}},
			[]string{`supply.csv:3: column "time" 2020-03-01T00:00:00Z is not after that of supply.csv:2, 2021-01-01T00:00:00Z`}},
		{"validation: holders", []edit{{"meta.csv", "0.9,holders_gini", "1.5,holders_gini"}},
			[]string{`meta.csv:11: key "holders_gini" is 1.5; want the Gini coefficient of holdings, in [0, 1)`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := sampleFiles(t)
			for _, e := range c.edits {
				switch {
				case e.new == "-":
					delete(files, e.file)
				case e.old == "":
					files[e.file] = e.new
				default:
					if !strings.Contains(files[e.file], e.old) {
						t.Fatalf("%q not in %s", e.old, e.file)
					}
					files[e.file] = strings.Replace(files[e.file], e.old, e.new, 1)
				}
			}
			h, err := ParseCSV(mapFS(files), "dir")
			var ve *ValidationError
			if h != nil || !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseCSV = %v, %v; want a *ValidationError wrapping ErrInvalid", h, err)
			}
			if len(c.want) == 1 && len(ve.Problems) != 1 {
				t.Errorf("%d problems; want 1:\n%v", len(ve.Problems), err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n %s\nwant it to contain\n %s", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "history dir: ") {
				t.Errorf("error %q does not name the source", err)
			}
		})
	}
}
