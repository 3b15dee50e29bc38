package history

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// accepted checks what holds of any history a reader accepts: it
// validates, and json.Marshal then Parse gives it back.
func accepted(t *testing.T, h *History, err error) {
	t.Helper()
	if err != nil {
		if h != nil {
			t.Fatalf("history %v returned with error %v", h, err)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		return
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("accepted history does not validate: %v", err)
	}
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("marshal accepted history: %v", err)
	}
	back, err := Parse(data, h.Source)
	if err != nil {
		t.Fatalf("accepted history does not parse back: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(back, h) {
		t.Fatalf("accepted history changes on a round trip:\n%+v\n%+v", h, back)
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/sample.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(base))
	for _, h := range []*History{sample(f), minimal(f)} {
		data, _ := json.Marshal(h)
		f.Add(data)
	}
	f.Add([]byte(strings.Replace(base, `"for": 1`, `"for": "1"`, 1)))
	f.Add([]byte(strings.Replace(base, `"dao"`, `"daoo"`, 1)))
	f.Add([]byte(`{"dao": "D", "token": {"symbol": "T"}, "proposals": [], "supply": []} {}`))
	f.Add([]byte(`[[[[[[[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Parse(data, "fuzz")
		accepted(t, h, err)
	})
}

func FuzzParseCSV(f *testing.F) {
	files := sampleFiles(f)
	f.Add(files["meta.csv"], files["proposals.csv"], files["votes.csv"], files["supply.csv"], files["params.csv"])
	f.Add("key,value\ndao,Min\ntoken_symbol,MIN\n",
		"id,created,start,end,for,against,abstain,voters,state\np,2022-01-01T00:00:00Z,2022-01-01T00:00:00Z,2022-01-02T00:00:00Z,0,0,0,0,canceled\n",
		"", "time,total\n2022-01-01T00:00:00Z,1\n", "")
	f.Add("key,value\n\"dao,x\n", "id\n", "a,b\n1,2,3\n", "time,total\nx,y\n", "time,name,value\n,,\n")
	f.Fuzz(func(t *testing.T, meta, proposals, votes, supply, params string) {
		fsys := fstest.MapFS{
			"meta.csv":      {Data: []byte(meta)},
			"proposals.csv": {Data: []byte(proposals)},
			"supply.csv":    {Data: []byte(supply)},
		}
		if votes != "" {
			fsys["votes.csv"] = &fstest.MapFile{Data: []byte(votes)}
		}
		if params != "" {
			fsys["params.csv"] = &fstest.MapFile{Data: []byte(params)}
		}
		h, err := ParseCSV(fsys, "fuzz")
		accepted(t, h, err)
	})
}
