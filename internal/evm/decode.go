package evm

import (
	"fmt"
	"math/big"
)

// Decode reads data as the ABI encoding of a tuple of types, the inverse
// of Encode: event data, an eth_call result, or calldata after its
// selector. Values come back as *big.Int (integers), Address, bool,
// []byte (bytesN and bytes), string, and []any (arrays).
//
// Every offset and length is checked against data, so hostile input gives
// an error, never a panic or an allocation larger than data; value words
// must be clean (an address or uint8 with high bits set, or a bool other
// than 0 or 1, is refused, as Solidity's decoder refuses them). Bytes
// after the encoding are ignored, as Solidity ignores them.
func Decode(types []Type, data []byte) ([]any, error) {
	d := decoder{budget: len(data)}
	vals, err := d.tuple(types, data, "")
	if err != nil {
		return nil, err
	}
	return vals, nil
}

// DecodeCall reads calldata for the function signature: it checks the
// selector and decodes the arguments.
func (s Signature) DecodeCall(calldata []byte) ([]any, error) {
	if len(calldata) < 4 {
		return nil, invalidf("calldata of %d bytes has no selector", len(calldata))
	}
	sel := s.Selector()
	if [4]byte(calldata[:4]) != sel {
		return nil, invalidf("calldata selector %s is not %s's %s", EncodeHex(calldata[:4]), s.Canonical(), EncodeHex(sel[:]))
	}
	vals, err := Decode(s.Types(), calldata[4:])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Canonical(), err)
	}
	return vals, nil
}

// DecodeLog reads an event log for the event signature: topic 0 must be
// the signature's topic, indexed parameters come from the following
// topics and the others from data. Values are in the signature's order;
// an indexed parameter of a dynamic type (string, bytes, an array) is
// stored only as the Keccak-256 of its encoding and comes back as a Hash.
func (s Signature) DecodeLog(topics []Hash, data []byte) ([]any, error) {
	if len(topics) == 0 || topics[0] != s.Topic() {
		return nil, invalidf("log is not a %s event (topic 0 is not %s)", s.Canonical(), s.Topic())
	}
	var indexed, plain []Type
	for _, p := range s.Params {
		if p.Indexed {
			indexed = append(indexed, p.Type)
		} else {
			plain = append(plain, p.Type)
		}
	}
	if len(topics) != 1+len(indexed) {
		return nil, invalidf("%s log has %d topics; want %d", s.Canonical(), len(topics), 1+len(indexed))
	}
	rest, err := Decode(plain, data)
	if err != nil {
		return nil, fmt.Errorf("%s data: %w", s.Canonical(), err)
	}
	out := make([]any, 0, len(s.Params))
	ti, di := 1, 0
	for i, p := range s.Params {
		if !p.Indexed {
			out = append(out, rest[di])
			di++
			continue
		}
		topic := topics[ti]
		ti++
		if p.Type.Dynamic() || p.Type.Kind == KindArray {
			out = append(out, topic)
			continue
		}
		v, err := Decode([]Type{p.Type}, topic[:])
		if err != nil {
			return nil, fmt.Errorf("%s topic %d (parameter %d): %w", s.Canonical(), ti-1, i, err)
		}
		out = append(out, v[0])
	}
	return out, nil
}

// decoder decodes with a budget: each elementary value decoded costs the
// 32 bytes of its word, a byte string or list the 32 of its length word
// and a byte string its bytes too, and the total may not exceed the
// input's size. An honest encoding never needs more (each of these words
// and bytes is its own in the input), while offsets that point several
// values at the same bytes, which could otherwise multiply a small input
// into a huge result, run out of budget.
type decoder struct {
	budget int
}

func (d *decoder) spend(n int, where string) error {
	if n > d.budget {
		return invalidf("%s: the encoding decodes to more than its own size (offsets that share data?)", at(where))
	}
	d.budget -= n
	return nil
}

func at(where string) string {
	if where == "" {
		return "value"
	}
	return where
}

// word returns the 32 bytes at off in buf.
func word(buf []byte, off int, where string) ([]byte, error) {
	if off < 0 || off > len(buf)-32 {
		return nil, invalidf("%s: a word at byte %d runs past the end of %d bytes", at(where), off, len(buf))
	}
	return buf[off : off+32], nil
}

// smallInt reads a word holding an offset or a length that must index
// into buf: at most len(buf).
func smallInt(buf []byte, off int, what, where string) (int, error) {
	w, err := word(buf, off, where)
	if err != nil {
		return 0, err
	}
	for _, b := range w[:24] {
		if b != 0 {
			return 0, invalidf("%s: %s too large for %d bytes of data", at(where), what, len(buf))
		}
	}
	var n uint64
	for _, b := range w[24:] {
		n = n<<8 | uint64(b)
	}
	if n > uint64(len(buf)) {
		return 0, invalidf("%s: %s %d is beyond the %d bytes of data", at(where), what, n, len(buf))
	}
	return int(n), nil
}

// tuple decodes types laid out as a tuple starting at buf[0].
func (d *decoder) tuple(types []Type, buf []byte, where string) ([]any, error) {
	out := make([]any, len(types))
	head := 0
	for i, t := range types {
		w := fmt.Sprintf("%s[%d]", where, i)
		if where == "" {
			w = fmt.Sprintf("value %d (%s)", i, t)
		}
		if t.Dynamic() {
			off, err := smallInt(buf, head, "offset", w)
			if err != nil {
				return nil, err
			}
			v, err := d.value(t, buf[off:], w)
			if err != nil {
				return nil, err
			}
			out[i] = v
			head += 32
			continue
		}
		if head > len(buf) {
			return nil, invalidf("%s: runs past the end of %d bytes", w, len(buf))
		}
		v, err := d.value(t, buf[head:], w)
		if err != nil {
			return nil, err
		}
		out[i] = v
		head += t.headSize()
	}
	return out, nil
}

// value decodes one value of t whose encoding starts at buf[0].
func (d *decoder) value(t Type, buf []byte, where string) (any, error) {
	switch t.Kind {
	case KindBytes, KindString:
		n, err := smallInt(buf, 0, "length", where)
		if err != nil {
			return nil, err
		}
		if err := d.spend(32, where); err != nil {
			return nil, err
		}
		if n > len(buf)-32 {
			return nil, invalidf("%s: %d bytes announced, %d left", where, n, len(buf)-32)
		}
		if err := d.spend(n, where); err != nil {
			return nil, err
		}
		b := make([]byte, n)
		copy(b, buf[32:32+n])
		if t.Kind == KindString {
			return string(b), nil
		}
		return b, nil
	case KindSlice:
		n, err := smallInt(buf, 0, "length", where)
		if err != nil {
			return nil, err
		}
		if err := d.spend(32, where); err != nil {
			return nil, err
		}
		return d.list(*t.Elem, n, buf[32:], where)
	case KindArray:
		return d.list(*t.Elem, t.Size, buf, where)
	}
	w, err := word(buf, 0, where)
	if err != nil {
		return nil, err
	}
	if err := d.spend(32, where); err != nil {
		return nil, err
	}
	return decodeWord(t, w, where)
}

// list decodes n elements of elem laid out as a tuple at buf[0].
func (d *decoder) list(elem Type, n int, buf []byte, where string) ([]any, error) {
	// Each element's head takes room in buf: checking that first bounds
	// what is allocated by the input's size.
	if n > len(buf)/elem.headSize() {
		return nil, invalidf("%s: %d elements of %s do not fit in the %d bytes left", at(where), n, elem, len(buf))
	}
	types := make([]Type, n)
	for i := range types {
		types[i] = elem
	}
	if where == "" {
		where = "value"
	}
	return d.tuple(types, buf, where)
}

// decodeWord reads an elementary static value from its word, refusing
// dirty high (or, for bytesN, low) bits.
func decodeWord(t Type, w []byte, where string) (any, error) {
	switch t.Kind {
	case KindUint:
		n := new(big.Int).SetBytes(w)
		if n.BitLen() > t.Size {
			return nil, invalidf("%s: value does not fit %s", where, t)
		}
		return n, nil
	case KindInt:
		n := new(big.Int).SetBytes(w)
		if w[0]&0x80 != 0 {
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 256))
		}
		if err := checkRange(t, n); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return n, nil
	case KindAddress:
		for _, b := range w[:12] {
			if b != 0 {
				return nil, invalidf("%s: address word has non-zero high bytes", where)
			}
		}
		return Address(w[12:]), nil
	case KindBool:
		for _, b := range w[:31] {
			if b != 0 {
				return nil, invalidf("%s: bool word is not 0 or 1", where)
			}
		}
		switch w[31] {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
		return nil, invalidf("%s: bool word is not 0 or 1", where)
	case KindFixedBytes:
		for _, b := range w[t.Size:] {
			if b != 0 {
				return nil, invalidf("%s: %s word has non-zero padding", where, t)
			}
		}
		return append([]byte(nil), w[:t.Size]...), nil
	}
	return nil, invalidf("%s: cannot decode type %s", where, t)
}
