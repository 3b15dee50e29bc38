package evm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/internal/jsonx"
)

// TypedField is one member of an EIP-712 struct type.
type TypedField struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// TypedData is an EIP-712 typed-data document in the JSON shape wallets
// sign (eth_signTypedData_v4): the struct types, the primary type, the
// domain and the message.
//
// Values in Domain and Message may be what ParseTypedData reads from JSON
// (strings, json.Number, bool, []any, map[string]any) or Go values Encode
// accepts for the same types; a struct value is a map[string]any.
type TypedData struct {
	Types       map[string][]TypedField `json:"types"`
	PrimaryType string                  `json:"primaryType"`
	Domain      map[string]any          `json:"domain"`
	Message     map[string]any          `json:"message"`
}

// domainFields are the EIP712Domain members EIP-712 defines, in the order
// the domain type lists them when the document does not give it (the
// order ethers' TypedDataEncoder uses).
var domainFields = []TypedField{
	{Name: "name", Type: "string"},
	{Name: "version", Type: "string"},
	{Name: "chainId", Type: "uint256"},
	{Name: "verifyingContract", Type: "address"},
	{Name: "salt", Type: "bytes32"},
}

// maxTypedDataSize bounds the JSON ParseTypedData reads.
const maxTypedDataSize = 1 << 20

// ParseTypedData reads a typed-data document from JSON. Numbers are kept
// exactly (as json.Number), an object naming a key twice is refused, and
// the types are checked (see Check). Without a primaryType, the one type
// no other references is the primary type, as in the {domain, types,
// message} shape Snapshot and ethers use.
func ParseTypedData(data []byte) (*TypedData, error) {
	if len(data) > maxTypedDataSize {
		return nil, invalidf("typed data of %d bytes; at most %d", len(data), maxTypedDataSize)
	}
	data, err := jsonx.Prepare(data)
	if err != nil {
		return nil, invalidf("typed data: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var td TypedData
	if err := dec.Decode(&td); err != nil {
		return nil, invalidf("typed data: %v; want {\"types\", \"primaryType\", \"domain\", \"message\"}", err)
	}
	if dec.More() {
		return nil, invalidf("typed data: more than one JSON value")
	}
	if td.PrimaryType == "" {
		td.PrimaryType = td.inferPrimary()
	}
	if err := td.Check(); err != nil {
		return nil, err
	}
	return &td, nil
}

// inferPrimary returns the one struct type no other type references (as
// ethers' TypedDataEncoder finds it when no primaryType is given), or ""
// when there is not exactly one.
func (td *TypedData) inferPrimary() string {
	referenced := map[string]bool{}
	for _, fields := range td.Types {
		for _, f := range fields {
			if base, isStruct, err := td.fieldKind(f.Type); err == nil && isStruct {
				referenced[base] = true
			}
		}
	}
	found := ""
	for name := range td.Types {
		if name == "EIP712Domain" || referenced[name] {
			continue
		}
		if found != "" {
			return ""
		}
		found = name
	}
	return found
}

// Check validates the types: identifiers for names, no member named twice,
// every member's type an elementary ABI type, a struct in Types or an
// array of either, and the primary type among Types.
func (td *TypedData) Check() error {
	names := make([]string, 0, len(td.Types))
	for name := range td.Types {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !isIdent(name) {
			return invalidf("typed data: type name %q is not an identifier", truncate(name))
		}
		seen := map[string]bool{}
		for i, f := range td.Types[name] {
			if !isIdent(f.Name) {
				return invalidf("typed data: %s member %d: name %q is not an identifier", name, i, truncate(f.Name))
			}
			if seen[f.Name] {
				return invalidf("typed data: %s names member %q twice", name, f.Name)
			}
			seen[f.Name] = true
			if _, _, err := td.fieldKind(f.Type); err != nil {
				return fmt.Errorf("typed data: %s.%s: %w", name, f.Name, err)
			}
		}
	}
	if _, ok := td.Types[td.PrimaryType]; !ok {
		return invalidf("typed data: primaryType %q is not among the types; name the message's type", truncate(td.PrimaryType))
	}
	if td.PrimaryType == "EIP712Domain" {
		return invalidf("typed data: primaryType is EIP712Domain; want the message's type")
	}
	return nil
}

func isIdent(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// fieldKind reads a member type: its base name (array suffixes removed),
// whether that is a struct, and fails for an unknown type.
func (td *TypedData) fieldKind(typ string) (base string, isStruct bool, err error) {
	base = typ
	for depth := 0; strings.HasSuffix(base, "]"); depth++ {
		open := strings.LastIndexByte(base, '[')
		if open <= 0 || depth >= maxTypeDepth {
			return "", false, invalidf("type %q: unbalanced brackets or arrays nested too deep", truncate(typ))
		}
		if dim := base[open+1 : len(base)-1]; dim != "" {
			if k, err := strconv.Atoi(dim); err != nil || k < 1 || k > maxArrayLen || dim[0] == '0' || dim[0] == '+' {
				return "", false, invalidf("type %q: array length %q; want 1 to %d", truncate(typ), truncate(dim), maxArrayLen)
			}
		}
		base = base[:open]
	}
	if _, ok := td.Types[base]; ok {
		return base, true, nil
	}
	if _, err := ParseType(base); err != nil {
		return "", false, invalidf("type %q is neither a struct in types nor an ABI type", truncate(typ))
	}
	return base, false, nil
}

// domainType returns the EIP712Domain members: the document's own, or,
// when it gives none, those of domainFields present in Domain.
func (td *TypedData) domainType() ([]TypedField, error) {
	if fs, ok := td.Types["EIP712Domain"]; ok {
		return fs, nil
	}
	var fs []TypedField
	known := map[string]bool{}
	for _, f := range domainFields {
		known[f.Name] = true
		if _, ok := td.Domain[f.Name]; ok {
			fs = append(fs, f)
		}
	}
	for k := range td.Domain {
		if !known[k] {
			return nil, invalidf("typed data: domain member %q is not one EIP-712 defines; list the domain's members in types.EIP712Domain", truncate(k))
		}
	}
	return fs, nil
}

// EncodeType returns the EIP-712 encodeType of the named struct: its own
// signature followed by those of the structs it references, directly or
// not, sorted by name ("Mail(Person from,Person to,string
// contents)Person(string name,address wallet)").
func (td *TypedData) EncodeType(name string) (string, error) {
	fields, ok := td.Types[name]
	if !ok {
		return "", invalidf("typed data: no type %q", truncate(name))
	}
	deps := map[string]bool{}
	if err := td.collect(name, deps); err != nil {
		return "", err
	}
	delete(deps, name)
	others := make([]string, 0, len(deps))
	for d := range deps {
		others = append(others, d)
	}
	sort.Strings(others)
	var b strings.Builder
	writeStruct(&b, name, fields)
	for _, d := range others {
		writeStruct(&b, d, td.Types[d])
	}
	return b.String(), nil
}

func writeStruct(b *strings.Builder, name string, fields []TypedField) {
	b.WriteString(name)
	b.WriteByte('(')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Type)
		b.WriteByte(' ')
		b.WriteString(f.Name)
	}
	b.WriteByte(')')
}

// collect adds name and every struct it references to deps.
func (td *TypedData) collect(name string, deps map[string]bool) error {
	if deps[name] {
		return nil
	}
	deps[name] = true
	for _, f := range td.Types[name] {
		base, isStruct, err := td.fieldKind(f.Type)
		if err != nil {
			return fmt.Errorf("typed data: %s.%s: %w", name, f.Name, err)
		}
		if isStruct {
			if err := td.collect(base, deps); err != nil {
				return err
			}
		}
	}
	return nil
}

// TypeHash returns the Keccak-256 of the named struct's EncodeType.
func (td *TypedData) TypeHash(name string) (Hash, error) {
	enc, err := td.EncodeType(name)
	if err != nil {
		return Hash{}, err
	}
	return Keccak256([]byte(enc)), nil
}

// HashStruct returns the EIP-712 hashStruct of value as the named struct:
// Keccak-256 of its type hash followed by each member's encoded value.
func (td *TypedData) HashStruct(name string, value map[string]any) (Hash, error) {
	h := hasher{td: td, typeHashes: map[string]Hash{}}
	return h.hashStruct(name, td.Types[name], value, name)
}

// DomainSeparator returns hashStruct(EIP712Domain, domain).
func (td *TypedData) DomainSeparator() (Hash, error) {
	fields, err := td.domainType()
	if err != nil {
		return Hash{}, err
	}
	// The domain's type is hashed as written here even when the document
	// leaves it implicit.
	withDomain := td
	if _, ok := td.Types["EIP712Domain"]; !ok {
		types := make(map[string][]TypedField, len(td.Types)+1)
		for k, v := range td.Types {
			types[k] = v
		}
		types["EIP712Domain"] = fields
		withDomain = &TypedData{Types: types}
	}
	h := hasher{td: withDomain, typeHashes: map[string]Hash{}}
	return h.hashStruct("EIP712Domain", fields, td.Domain, "domain")
}

// Digest returns what a wallet signs: Keccak-256 of 0x19 0x01, the
// domain separator and hashStruct of the message as the primary type.
func (td *TypedData) Digest() (Hash, error) {
	if err := td.Check(); err != nil {
		return Hash{}, err
	}
	ds, err := td.DomainSeparator()
	if err != nil {
		return Hash{}, err
	}
	msg, err := td.HashStruct(td.PrimaryType, td.Message)
	if err != nil {
		return Hash{}, err
	}
	return Keccak256([]byte{0x19, 0x01}, ds[:], msg[:]), nil
}

// hasher hashes the values of one document, keeping its type hashes.
type hasher struct {
	td         *TypedData
	typeHashes map[string]Hash
}

func (h *hasher) hashStruct(name string, fields []TypedField, value map[string]any, where string) (Hash, error) {
	if value == nil {
		return Hash{}, invalidf("typed data: %s: no value for struct %s", where, name)
	}
	th, ok := h.typeHashes[name]
	if !ok {
		var err error
		if th, err = h.td.TypeHash(name); err != nil {
			return Hash{}, err
		}
		h.typeHashes[name] = th
	}
	buf := make([]byte, 0, 32*(1+len(fields)))
	buf = append(buf, th[:]...)
	for _, f := range fields {
		v, ok := value[f.Name]
		if !ok {
			return Hash{}, invalidf("typed data: %s.%s (%s) is missing", where, f.Name, f.Type)
		}
		w, err := h.encodeField(f.Type, v, where+"."+f.Name)
		if err != nil {
			return Hash{}, err
		}
		buf = append(buf, w...)
	}
	return Keccak256(buf), nil
}

// encodeField returns encodeData's 32 bytes for one value of typ.
func (h *hasher) encodeField(typ string, v any, where string) ([]byte, error) {
	if strings.HasSuffix(typ, "]") {
		open := strings.LastIndexByte(typ, '[')
		if open <= 0 {
			return nil, invalidf("typed data: %s: type %q: unbalanced brackets", where, truncate(typ))
		}
		elem, dim := typ[:open], typ[open+1:len(typ)-1]
		rv := reflect.ValueOf(v)
		if !rv.IsValid() || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, invalidf("typed data: %s: %T is not a list for %s", where, v, typ)
		}
		if dim != "" {
			if k, err := strconv.Atoi(dim); err != nil || k != rv.Len() {
				return nil, invalidf("typed data: %s: %d elements for %s", where, rv.Len(), typ)
			}
		}
		buf := make([]byte, 0, 32*rv.Len())
		for i := 0; i < rv.Len(); i++ {
			w, err := h.encodeField(elem, rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return nil, err
			}
			buf = append(buf, w...)
		}
		k := Keccak256(buf)
		return k[:], nil
	}
	if fields, ok := h.td.Types[typ]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, invalidf("typed data: %s: %T is not an object for struct %s", where, v, typ)
		}
		s, err := h.hashStruct(typ, fields, m, where)
		return s[:], err
	}
	t, err := ParseType(typ)
	if err != nil {
		return nil, fmt.Errorf("typed data: %s: %w", where, err)
	}
	switch t.Kind {
	case KindString:
		s, ok := v.(string)
		if !ok {
			return nil, invalidf("typed data: %s: %T is not a string", where, v)
		}
		k := Keccak256([]byte(s))
		return k[:], nil
	case KindBytes:
		b, err := toBytes(v, "typed data: "+where)
		if err != nil {
			return nil, err
		}
		k := Keccak256(b)
		return k[:], nil
	}
	return encodeWord(t, v, "typed data: "+where)
}

// maxSafeFloat is 2^53: a float64 integer above it may not be the integer
// the writer meant.
const maxSafeFloat = 1 << 53

// floatInt reads a float64 that holds a whole number up to 2^53, as
// JavaScript numbers in typed data do.
func floatInt(f float64) (*big.Int, error) {
	if f != f || f > maxSafeFloat || f < -maxSafeFloat || f != float64(int64(f)) {
		return nil, invalidf("number %v is not a whole number up to 2^53; write large integers as decimal strings", f)
	}
	return big.NewInt(int64(f)), nil
}
