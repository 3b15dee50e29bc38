package safe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/attune-dao/attune/internal/evm"
	"github.com/attune-dao/attune/internal/jsonx"
)

// Checksum returns the meta.checksum the Transaction Builder computes for
// a batch file, and checks on import, from the file's JSON: the batch is
// read as JavaScript's JSON.parse reads it, meta.checksum is left out and
// meta.name set to null (so a renamed batch keeps its checksum), and the
// result is serialised as safe-react-apps apps/tx-builder/src/lib/
// checksum.ts serializeJSONObject does (each object as "{" + its sorted
// keys as a JSON array + each value followed by "," + "}", arrays as "[" +
// values joined by "," + "]", scalars as JSON.stringify writes them)
// and hashed with Keccak-256 (web3.utils.sha3 of the string's UTF-8).
func Checksum(file []byte) (string, error) {
	file, err := jsonx.Prepare(file)
	if err != nil {
		return "", fmt.Errorf("batch file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("batch file is not JSON: %w", err)
	}
	batch, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("batch file is not a JSON object")
	}
	meta, ok := batch["meta"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("batch file has no meta object")
	}
	// Copy meta rather than change the caller's tree.
	m := make(map[string]any, len(meta))
	for k, x := range meta {
		m[k] = x
	}
	delete(m, "checksum")
	m["name"] = nil
	b := make(map[string]any, len(batch))
	for k, x := range batch {
		b[k] = x
	}
	b["meta"] = m
	var sb strings.Builder
	if err := serialize(&sb, b, 0); err != nil {
		return "", err
	}
	return evm.Keccak256([]byte(sb.String())).Hex(), nil
}

// maxDepth bounds the nesting serialize follows; encoding/json refuses
// deeper input anyway (10,000 levels).
const maxDepth = 10000

// serialize writes v as the Transaction Builder's serializeJSONObject.
func serialize(sb *strings.Builder, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("batch file nests deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case []any:
		sb.WriteByte('[')
		for i, el := range x {
			if i > 0 {
				sb.WriteByte(',')
			}
			if err := serialize(sb, el, depth+1); err != nil {
				return err
			}
		}
		sb.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// Array.prototype.sort compares UTF-16 code units.
		sort.Slice(keys, func(i, j int) bool { return utf16Less(keys[i], keys[j]) })
		sb.WriteString("{[")
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			jsString(sb, k)
		}
		sb.WriteByte(']')
		for _, k := range keys {
			if err := serialize(sb, x[k], depth+1); err != nil {
				return err
			}
			sb.WriteByte(',')
		}
		sb.WriteByte('}')
	case string:
		jsString(sb, x)
	case json.Number:
		s, err := jsNumber(string(x))
		if err != nil {
			return err
		}
		sb.WriteString(s)
	case bool:
		sb.WriteString(strconv.FormatBool(x))
	case nil:
		sb.WriteString("null")
	default:
		return fmt.Errorf("batch file: unexpected %T", v)
	}
	return nil
}

func utf16Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// jsString writes s as JavaScript's JSON.stringify does: quotes,
// backslash and the C0 controls escaped (\b \f \n \r \t by name, the rest
// as \u00xx), everything else as it is (unlike encoding/json, which also
// escapes <, >, & and U+2028/2029).
func jsString(sb *strings.Builder, s string) {
	const hexdigits = "0123456789abcdef"
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if r < 0x20 {
				sb.WriteString(`\u00`)
				sb.WriteByte(hexdigits[r>>4])
				sb.WriteByte(hexdigits[r&0xf])
				continue
			}
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
}

// jsNumber writes a JSON number as JavaScript does after JSON.parse: the
// nearest double, in the shortest digits that read back to it, in
// Number.prototype.toString's layout (plain from 1e-7 up to 1e21,
// exponential with an explicit sign beyond); a number beyond the double
// range is Infinity, which JSON.stringify writes as null.
func jsNumber(lit string) (string, error) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !math.IsInf(f, 0) {
		return "", fmt.Errorf("batch file: number %q: %w", lit, err)
	}
	if math.IsInf(f, 0) {
		return "null", nil
	}
	if f == 0 {
		return "0", nil
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest round-trip digits and exponent: d.ddde±x.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1 // value = 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k), nil
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:], nil
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits, nil
	}
	es := "+"
	if n-1 < 0 {
		es = "-"
	}
	ex := strconv.Itoa(abs(n - 1))
	if k == 1 {
		return sign + digits + "e" + es + ex, nil
	}
	return sign + digits[:1] + "." + digits[1:] + "e" + es + ex, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
