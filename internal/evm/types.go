package evm

import (
	"strconv"
	"strings"
)

// Kind is the kind of an ABI type.
type Kind uint8

// The kinds of ABI type this package encodes and decodes.
const (
	KindUint       Kind = iota + 1 // uint8 … uint256
	KindInt                        // int8 … int256
	KindAddress                    // address
	KindBool                       // bool
	KindFixedBytes                 // bytes1 … bytes32
	KindBytes                      // bytes
	KindString                     // string
	KindSlice                      // T[]
	KindArray                      // T[k]
)

// Limits on types read from text, so that a hostile type string cannot
// ask for unbounded work or memory.
const (
	maxTypeDepth  = 8       // array dimensions
	maxArrayLen   = 1 << 16 // k in T[k]
	maxStaticSize = 1 << 20 // bytes of a static type's encoding
)

// Type is an ABI type: an elementary type or an array of one.
type Type struct {
	Kind Kind
	// Size is the width in bits of an integer (8 to 256), the length of
	// bytesN (1 to 32) or of a fixed array T[k].
	Size int
	// Elem is the element type of an array.
	Elem *Type
}

// The types used most, ready made.
var (
	Uint256 = Type{Kind: KindUint, Size: 256}
	Int256  = Type{Kind: KindInt, Size: 256}
	AddrT   = Type{Kind: KindAddress}
	BoolT   = Type{Kind: KindBool}
	Bytes32 = Type{Kind: KindFixedBytes, Size: 32}
	BytesT  = Type{Kind: KindBytes}
	StringT = Type{Kind: KindString}
)

// SliceOf returns the type T[] of elem.
func SliceOf(elem Type) Type { return Type{Kind: KindSlice, Elem: &elem} }

// String writes t canonically, as selectors and topics hash it
// ("uint256", "address[]", "bytes32[2]").
func (t Type) String() string {
	switch t.Kind {
	case KindUint:
		return "uint" + strconv.Itoa(t.Size)
	case KindInt:
		return "int" + strconv.Itoa(t.Size)
	case KindAddress:
		return "address"
	case KindBool:
		return "bool"
	case KindFixedBytes:
		return "bytes" + strconv.Itoa(t.Size)
	case KindBytes:
		return "bytes"
	case KindString:
		return "string"
	case KindSlice:
		if t.Elem != nil {
			return t.Elem.String() + "[]"
		}
	case KindArray:
		if t.Elem != nil {
			return t.Elem.String() + "[" + strconv.Itoa(t.Size) + "]"
		}
	}
	return "invalid"
}

// Dynamic reports whether t's encoding is dynamic (stored after the head,
// which holds its offset): bytes, string, T[] and T[k] of a dynamic T.
func (t Type) Dynamic() bool {
	switch t.Kind {
	case KindBytes, KindString, KindSlice:
		return true
	case KindArray:
		return t.Elem.Dynamic()
	}
	return false
}

// headSize is the number of bytes t takes in the head of a tuple: 32 for
// a dynamic type (its offset) and for an elementary one, k times the
// element's for a static T[k].
func (t Type) headSize() int {
	if t.Kind == KindArray && !t.Dynamic() {
		return t.Size * t.Elem.headSize()
	}
	return 32
}

// ParseType reads an ABI type as Solidity writes it: uintN, intN (N a
// multiple of 8 from 8 to 256; uint and int are uint256 and int256),
// address, bool, bytesN (1 to 32), bytes, string, and arrays T[] and T[k]
// of these. Tuples, fixed-point numbers and function types are refused.
func ParseType(s string) (Type, error) {
	t, err := parseType(s, 0)
	if err != nil {
		return Type{}, err
	}
	return t, nil
}

func parseType(s string, depth int) (Type, error) {
	if strings.HasSuffix(s, "]") {
		open := strings.LastIndexByte(s, '[')
		if open <= 0 {
			return Type{}, invalidf("type %q: unbalanced brackets", truncate(s))
		}
		if depth >= maxTypeDepth {
			return Type{}, invalidf("type %q nests arrays more than %d deep", truncate(s), maxTypeDepth)
		}
		elem, err := parseType(s[:open], depth+1)
		if err != nil {
			return Type{}, err
		}
		dim := s[open+1 : len(s)-1]
		if dim == "" {
			return SliceOf(elem), nil
		}
		k, err := strconv.Atoi(dim)
		if err != nil || k < 1 || k > maxArrayLen || dim[0] == '0' || dim[0] == '+' {
			return Type{}, invalidf("type %q: array length %q; want a whole number from 1 to %d", truncate(s), truncate(dim), maxArrayLen)
		}
		t := Type{Kind: KindArray, Size: k, Elem: &elem}
		if !t.Dynamic() && k*elem.headSize() > maxStaticSize {
			return Type{}, invalidf("type %q takes more than %d bytes", truncate(s), maxStaticSize)
		}
		return t, nil
	}
	switch s {
	case "address":
		return AddrT, nil
	case "bool":
		return BoolT, nil
	case "bytes":
		return BytesT, nil
	case "string":
		return StringT, nil
	case "uint":
		return Uint256, nil
	case "int":
		return Int256, nil
	}
	for _, p := range []struct {
		prefix   string
		kind     Kind
		min, max int
		step     int
	}{{"uint", KindUint, 8, 256, 8}, {"int", KindInt, 8, 256, 8}, {"bytes", KindFixedBytes, 1, 32, 1}} {
		rest, ok := strings.CutPrefix(s, p.prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < p.min || n > p.max || n%p.step != 0 || rest[0] == '0' || rest[0] == '+' {
			break
		}
		return Type{Kind: p.kind, Size: n}, nil
	}
	return Type{}, invalidf("unknown ABI type %q; want uintN, intN, address, bool, bytesN, bytes, string or an array of these", truncate(s))
}

// Param is one parameter of a function or event signature.
type Param struct {
	Type Type
	// Name is the parameter's name, when the signature gave one.
	Name string
	// Indexed marks an event parameter stored in a topic.
	Indexed bool
}

// Signature is a function's or event's name and parameters.
type Signature struct {
	Name   string
	Params []Param
}

// ParseSignature reads a signature such as "transfer(address,uint256)"
// or, with names and event markers, "VoteCast(address indexed voter,
// uint256 proposalId, uint8 support, uint256 weight, string reason)".
// Types are read as ParseType reads them, so "uint" becomes uint256.
func ParseSignature(s string) (Signature, error) {
	open := strings.IndexByte(s, '(')
	if open < 1 || !strings.HasSuffix(s, ")") {
		return Signature{}, invalidf("signature %q: want name(type,type,…)", truncate(s))
	}
	name := s[:open]
	for i, c := range name {
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return Signature{}, invalidf("signature %q: %q is not a Solidity identifier", truncate(s), truncate(name))
		}
	}
	sig := Signature{Name: name}
	inner := strings.TrimSpace(s[open+1 : len(s)-1])
	if inner == "" {
		return sig, nil
	}
	for i, part := range strings.Split(inner, ",") {
		words := strings.Fields(part)
		if len(words) == 0 || len(words) > 3 {
			return Signature{}, invalidf("signature %q: parameter %d %q; want a type, optionally \"indexed\" and a name", truncate(s), i+1, truncate(part))
		}
		t, err := ParseType(words[0])
		if err != nil {
			return Signature{}, invalidf("signature %q: parameter %d: %v", truncate(s), i+1, err)
		}
		p := Param{Type: t}
		rest := words[1:]
		if len(rest) > 0 && rest[0] == "indexed" {
			p.Indexed = true
			rest = rest[1:]
		}
		if len(rest) == 1 {
			p.Name = rest[0]
		} else if len(rest) > 1 {
			return Signature{}, invalidf("signature %q: parameter %d %q; want a type, optionally \"indexed\" and a name", truncate(s), i+1, truncate(part))
		}
		sig.Params = append(sig.Params, p)
	}
	return sig, nil
}

// Canonical writes the signature as selectors and topics hash it: the
// name and the canonical types, without names, spaces or "indexed".
func (s Signature) Canonical() string {
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('(')
	for i, p := range s.Params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Type.String())
	}
	b.WriteByte(')')
	return b.String()
}

// Types returns the parameters' types in order.
func (s Signature) Types() []Type {
	ts := make([]Type, len(s.Params))
	for i, p := range s.Params {
		ts[i] = p.Type
	}
	return ts
}

// Selector returns the function selector: the first four bytes of the
// Keccak-256 of the canonical signature.
func (s Signature) Selector() [4]byte {
	h := Keccak256([]byte(s.Canonical()))
	return [4]byte(h[:4])
}

// Topic returns the event topic: the Keccak-256 of the canonical
// signature (topic 0 of a non-anonymous event's logs).
func (s Signature) Topic() Hash { return Keccak256([]byte(s.Canonical())) }

// Selector returns the selector of the function signature sig, e.g.
// 0xa9059cbb for "transfer(address,uint256)".
func Selector(sig string) ([4]byte, error) {
	s, err := ParseSignature(sig)
	if err != nil {
		return [4]byte{}, err
	}
	return s.Selector(), nil
}

// Topic returns the topic of the event signature sig.
func Topic(sig string) (Hash, error) {
	s, err := ParseSignature(sig)
	if err != nil {
		return Hash{}, err
	}
	return s.Topic(), nil
}
