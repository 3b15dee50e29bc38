package safe

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/attune-dao/attune/internal/evm"
)

// The Transaction Builder's own test (safe-react-apps apps/tx-builder/src/
// lib/checksum.test.js): this batch, with meta.checksum "" present when
// addChecksum hashed it, has checksum 0x4ecbfd36…b64c.
const txBuilderTestBatch = `{
  "version": "1.0",
  "chainId": "4",
  "createdAt": 1646321521061,
  "meta": {
    "name": "test batch file",
    "txBuilderVersion": "1.4.0",
    "checksum": "",
    "createdFromSafeAddress": "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
    "createdFromOwnerAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"
  },
  "transactions": [
    {
      "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      "value": "0",
      "contractMethod": {
        "inputs": [{"internalType": "address", "name": "paramAddress", "type": "address"}],
        "name": "testAddress",
        "payable": false
      },
      "contractInputsValues": {"paramAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"}
    },
    {
      "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      "value": "0",
      "contractMethod": {
        "inputs": [{"internalType": "bool", "name": "paramBool", "type": "bool"}],
        "name": "testBool",
        "payable": false
      },
      "contractInputsValues": {"paramAddress": "", "paramBool": "false"}
    },
    {
      "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      "value": "2000000000000000000",
      "data": "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6"
    }
  ]
}`

// checksumWithKey computes the checksum with meta.checksum kept, as
// addChecksum does when the batch it is given already has the key (the
// app's own test does); Checksum drops the key, as validateChecksum does
// on import.
func checksumWithKey(t *testing.T, file string) string {
	t.Helper()
	v := parseTree(t, file)
	v["meta"].(map[string]any)["name"] = nil
	var sb strings.Builder
	if err := serialize(&sb, v, 0); err != nil {
		t.Fatal(err)
	}
	return evm.Keccak256([]byte(sb.String())).Hex()
}

func parseTree(t *testing.T, file string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(file))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestChecksumMatchesTxBuilderTest(t *testing.T) {
	if got, want := checksumWithKey(t, txBuilderTestBatch), "0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c"; got != want {
		t.Errorf("checksum = %s; want %s (the app's test)", got, want)
	}
	// Key order does not matter (the app's "properties order" test), nor
	// does the name (set to null before hashing).
	reordered := strings.Replace(txBuilderTestBatch, `"version": "1.0",`, ``, 1)
	reordered = strings.Replace(reordered, `"transactions": [`, `"version": "1.0", "transactions": [`, 1)
	renamed := strings.Replace(txBuilderTestBatch, "test batch file", "another name", 1)
	a, _ := Checksum([]byte(txBuilderTestBatch))
	for _, f := range []string{reordered, renamed} {
		if b, err := Checksum([]byte(f)); err != nil || b != a {
			t.Errorf("Checksum = %s, %v; want %s", b, err, a)
		}
	}
	// The transactions' order does.
	swapped := strings.Replace(txBuilderTestBatch, `"value": "2000000000000000000"`, `"value": "2000000000000000001"`, 1)
	if b, _ := Checksum([]byte(swapped)); b == a {
		t.Error("a changed transaction kept the checksum")
	}
}

// Batches exported by the Transaction Builder and committed to a public
// repository (see testdata/README.md): their meta.checksum, computed by
// the app, validates.
func TestChecksumValidatesExportedBatches(t *testing.T) {
	entries, err := os.ReadDir("testdata/exported")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile("testdata/exported/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		want := parseTree(t, string(b))["meta"].(map[string]any)["checksum"]
		got, err := Checksum(b)
		if err != nil || got != want {
			t.Errorf("%s: Checksum = %s, %v; the app wrote %v", e.Name(), got, err, want)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no exported batches in testdata/exported")
	}
}

func TestJSNumberAndString(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "1646321521061": "1646321521061", "1.5": "1.5", "-2.50": "-2.5",
		"1e21": "1e+21", "1e20": "100000000000000000000", "12345e21": "1.2345e+25", "-1e-10": "-1e-10",
		"0.000001": "0.000001", "0.0000001": "1e-7", "1.5e-7": "1.5e-7", "1e400": "null", "0.1": "0.1",
		"9007199254740993": "9007199254740992",
	} {
		got, err := jsNumber(in)
		if err != nil || got != want {
			t.Errorf("jsNumber(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	var sb strings.Builder
	jsString(&sb, "a\"b\\c\n\t\x01\x1f<>&\u2028é")
	if got, want := sb.String(), `"a\"b\\c\n\t\u0001\u001f<>&`+"\u2028é\""; got != want {
		t.Errorf("jsString = %s; want %s", got, want)
	}
	// U+FFFF sorts after U+1F600 in UTF-16 (surrogate 0xD83D < 0xFFFF),
	// before it in UTF-8 byte order.
	if utf16Less("\uffff", "\U0001F600") {
		t.Error("utf16Less(U+FFFF, U+1F600) = true; JavaScript sorts U+1F600 first")
	}
}
