package evm

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"
)

// Encode returns the ABI encoding of values as the tuple types
// (Solidity's abi.encode). Each value may be:
//   - uintN, intN: *big.Int, big.Int, any Go integer, a json.Number or a
//     string in decimal (or 0x hex), within the type's range;
//   - address: Address or a string ParseAddress accepts;
//   - bool: bool;
//   - bytesN: []byte of exactly N bytes, Hash for bytes32, or 0x hex;
//   - bytes: []byte or 0x hex; string: string;
//   - T[] and T[k]: a slice or array (k elements for T[k]) of values of T.
//
// An error names the value (its index and, within arrays, the element).
func Encode(types []Type, values []any) ([]byte, error) {
	if len(types) != len(values) {
		return nil, invalidf("%d values for %d types", len(values), len(types))
	}
	elems := make([]encoded, len(types))
	for i, t := range types {
		e, err := encodeValue(t, values[i], fmt.Sprintf("value %d (%s)", i, t))
		if err != nil {
			return nil, err
		}
		elems[i] = e
	}
	return joinTuple(elems), nil
}

// EncodeCall returns calldata: the selector of the function signature
// followed by the encoding of args as its parameters.
func EncodeCall(signature string, args ...any) ([]byte, error) {
	sig, err := ParseSignature(signature)
	if err != nil {
		return nil, err
	}
	return sig.EncodeCall(args...)
}

// EncodeCall returns the selector followed by the encoding of args as the
// signature's parameters.
func (s Signature) EncodeCall(args ...any) ([]byte, error) {
	body, err := Encode(s.Types(), args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Canonical(), err)
	}
	sel := s.Selector()
	return append(sel[:], body...), nil
}

// encoded is one value's encoding: its bytes, and whether it is dynamic
// (placed in the tail with an offset in the head).
type encoded struct {
	data    []byte
	dynamic bool
}

// joinTuple lays out a tuple: static encodings in the head, dynamic ones
// in the tail with their offsets, from the tuple's start, in the head.
func joinTuple(elems []encoded) []byte {
	head := 0
	for _, e := range elems {
		if e.dynamic {
			head += 32
		} else {
			head += len(e.data)
		}
	}
	out := make([]byte, 0, head)
	var tail []byte
	for _, e := range elems {
		if e.dynamic {
			out = append(out, uintWord(uint64(head+len(tail)))...)
			tail = append(tail, e.data...)
		} else {
			out = append(out, e.data...)
		}
	}
	return append(out, tail...)
}

// uintWord returns n as a 32-byte big-endian word.
func uintWord(n uint64) []byte {
	w := make([]byte, 32)
	for i := 0; i < 8; i++ {
		w[31-i] = byte(n >> (8 * i))
	}
	return w
}

// padRight returns b followed by zeros to a multiple of 32 bytes.
func padRight(b []byte) []byte {
	n := (len(b) + 31) / 32 * 32
	out := make([]byte, n)
	copy(out, b)
	return out
}

func encodeValue(t Type, v any, where string) (encoded, error) {
	switch t.Kind {
	case KindUint, KindInt, KindAddress, KindBool, KindFixedBytes:
		w, err := encodeWord(t, v, where)
		return encoded{data: w}, err
	case KindBytes:
		b, err := toBytes(v, where)
		if err != nil {
			return encoded{}, err
		}
		return encoded{data: append(uintWord(uint64(len(b))), padRight(b)...), dynamic: true}, nil
	case KindString:
		s, ok := v.(string)
		if !ok {
			return encoded{}, invalidf("%s: %T is not a string", where, v)
		}
		return encoded{data: append(uintWord(uint64(len(s))), padRight([]byte(s))...), dynamic: true}, nil
	case KindSlice, KindArray:
		rv := reflect.ValueOf(v)
		if !rv.IsValid() || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) {
			return encoded{}, invalidf("%s: %T is not a list", where, v)
		}
		n := rv.Len()
		if t.Kind == KindArray && n != t.Size {
			return encoded{}, invalidf("%s: %d elements; want %d", where, n, t.Size)
		}
		elems := make([]encoded, n)
		for i := 0; i < n; i++ {
			e, err := encodeValue(*t.Elem, rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return encoded{}, err
			}
			elems[i] = e
		}
		body := joinTuple(elems)
		if t.Kind == KindSlice {
			return encoded{data: append(uintWord(uint64(n)), body...), dynamic: true}, nil
		}
		return encoded{data: body, dynamic: t.Dynamic()}, nil
	}
	return encoded{}, invalidf("%s: cannot encode type %s", where, t)
}

// encodeWord encodes a value of an elementary static type as one word.
func encodeWord(t Type, v any, where string) ([]byte, error) {
	switch t.Kind {
	case KindUint, KindInt:
		n, err := ToBig(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := checkRange(t, n); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return intWord(n), nil
	case KindAddress:
		var a Address
		switch x := v.(type) {
		case Address:
			a = x
		case string:
			p, err := ParseAddress(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			a = p
		default:
			return nil, invalidf("%s: %T is not an address", where, v)
		}
		w := make([]byte, 32)
		copy(w[12:], a[:])
		return w, nil
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, invalidf("%s: %T is not a bool", where, v)
		}
		w := make([]byte, 32)
		if b {
			w[31] = 1
		}
		return w, nil
	case KindFixedBytes:
		var b []byte
		if h, ok := v.(Hash); ok {
			b = h[:]
		} else {
			var err error
			if b, err = toBytes(v, where); err != nil {
				return nil, err
			}
		}
		if len(b) != t.Size {
			return nil, invalidf("%s: %d bytes; want exactly %d", where, len(b), t.Size)
		}
		return padRight(b), nil
	}
	return nil, invalidf("%s: %s is not an elementary type", where, t)
}

// toBytes reads a byte string: []byte or 0x hex.
func toBytes(v any, where string) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		b, err := DecodeHex(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return b, nil
	}
	return nil, invalidf("%s: %T is not bytes; want []byte or 0x hex", where, v)
}

// ToBig reads an integer: *big.Int, big.Int, any Go integer type, a
// float64 holding a whole number up to 2^53, a json.Number or a string in
// decimal or 0x hex, with an optional minus sign. A fraction or an
// exponent is refused.
func ToBig(v any) (*big.Int, error) {
	switch x := v.(type) {
	case *big.Int:
		if x == nil {
			return nil, invalidf("integer is nil")
		}
		return new(big.Int).Set(x), nil
	case big.Int:
		return new(big.Int).Set(&x), nil
	case int:
		return big.NewInt(int64(x)), nil
	case int8:
		return big.NewInt(int64(x)), nil
	case int16:
		return big.NewInt(int64(x)), nil
	case int32:
		return big.NewInt(int64(x)), nil
	case int64:
		return big.NewInt(x), nil
	case uint:
		return new(big.Int).SetUint64(uint64(x)), nil
	case uint8:
		return new(big.Int).SetUint64(uint64(x)), nil
	case uint16:
		return new(big.Int).SetUint64(uint64(x)), nil
	case uint32:
		return new(big.Int).SetUint64(uint64(x)), nil
	case uint64:
		return new(big.Int).SetUint64(x), nil
	case float64:
		return floatInt(x)
	case json.Number:
		return parseInteger(string(x))
	case string:
		return parseInteger(x)
	}
	return nil, invalidf("%T is not an integer; want a whole number, in decimal or 0x hex", v)
}

// maxIntegerDigits bounds an integer's text: 2^256 has 78 decimal digits
// and 64 hex digits; a longer string cannot fit and is refused before it
// is parsed.
const maxIntegerDigits = 80

func parseInteger(s string) (*big.Int, error) {
	digits, neg := strings.CutPrefix(s, "-")
	if len(digits) == 0 || len(digits) > maxIntegerDigits+2 {
		return nil, invalidf("integer %q: want a whole number of at most %d digits", truncate(s), maxIntegerDigits)
	}
	base := 10
	if len(digits) > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') {
		base, digits = 16, digits[2:]
	}
	for _, c := range digits {
		ok := c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
		if !ok {
			return nil, invalidf("integer %q: want a whole number in decimal or 0x hex, without fraction, exponent or spaces", truncate(s))
		}
	}
	n, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return nil, invalidf("integer %q: not a whole number", truncate(s))
	}
	if neg {
		n.Neg(n)
	}
	return n, nil
}

// checkRange fails when n does not fit t (uintN: 0 to 2^N−1; intN:
// −2^(N−1) to 2^(N−1)−1).
func checkRange(t Type, n *big.Int) error {
	if t.Kind == KindUint {
		if n.Sign() < 0 || n.BitLen() > t.Size {
			return invalidf("%s does not fit %s (0 to 2^%d-1)", truncate(n.String()), t, t.Size)
		}
		return nil
	}
	lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), uint(t.Size-1)))
	hi := new(big.Int).Sub(new(big.Int).Neg(lo), big.NewInt(1))
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return invalidf("%s does not fit %s (-2^%d to 2^%d-1)", truncate(n.String()), t, t.Size-1, t.Size-1)
	}
	return nil
}

// intWord returns n, already in range, as a 32-byte two's-complement word.
func intWord(n *big.Int) []byte {
	x := n
	if n.Sign() < 0 {
		x = new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 256), n)
	}
	w := make([]byte, 32)
	x.FillBytes(w)
	return w
}
