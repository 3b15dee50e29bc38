package evm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode decodes arbitrary bytes as arbitrary types: never a panic,
// an error that wraps ErrInvalid, and what decodes re-encodes to the same
// head and tail bytes it was read from (for canonical input) or at least
// decodes again to the same values.
func FuzzDecode(f *testing.F) {
	seed, _ := hex.DecodeString("0000000000000000000000000000000000000000000000000000000000000123" +
		"0000000000000000000000000000000000000000000000000000000000000080" +
		"3132333435363738393000000000000000000000000000000000000000000000" +
		"00000000000000000000000000000000000000000000000000000000000000e0" +
		"0000000000000000000000000000000000000000000000000000000000000002" +
		"0000000000000000000000000000000000000000000000000000000000000456" +
		"0000000000000000000000000000000000000000000000000000000000000789" +
		"000000000000000000000000000000000000000000000000000000000000000d" +
		"48656c6c6f2c20776f726c642100000000000000000000000000000000000000")
	f.Add("uint256,uint32[],bytes10,bytes", seed)
	f.Add("address[],uint256[],bytes[],string", seed)
	f.Add("string[][2],int8,bool,bytes32", seed)
	f.Add("uint256[3][]", []byte{})
	f.Fuzz(func(t *testing.T, typeList string, data []byte) {
		var types []Type
		for _, s := range strings.Split(typeList, ",") {
			ty, err := ParseType(s)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseType(%q) error does not wrap ErrInvalid: %v", s, err)
				}
				return
			}
			types = append(types, ty)
		}
		vals, err := Decode(types, data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		enc, err := Encode(types, vals)
		if err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
		again, err := Decode(types, enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		enc2, err := Encode(types, again)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encode/decode not stable: %v", err)
		}
	})
}

// FuzzParseAddress: never a panic; an accepted address prints with a
// checksum that parses back to it.
func FuzzParseAddress(f *testing.F) {
	for _, v := range eip55Vectors {
		f.Add(v)
	}
	f.Add("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	f.Add("0x")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		b, err := ParseAddress(a.Hex())
		if err != nil || b != a || !IsChecksummed(a.Hex()) {
			t.Fatalf("Hex %s does not parse back: %v", a.Hex(), err)
		}
		if !strings.EqualFold(a.Hex(), s) {
			t.Fatalf("Hex %s is not %s up to case", a.Hex(), s)
		}
	})
}

// FuzzParseSignature: never a panic; a parsed signature's canonical form
// parses to itself.
func FuzzParseSignature(f *testing.F) {
	f.Add("transfer(address,uint256)")
	f.Add("VoteCast(address indexed voter, uint proposalId, uint8 support, uint votes, string reason)")
	f.Add("g(uint[][],string[3])")
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignature(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		c := sig.Canonical()
		again, err := ParseSignature(c)
		if err != nil || again.Canonical() != c {
			t.Fatalf("canonical %q does not parse to itself: %v", c, err)
		}
	})
}

// FuzzTypedData: never a panic on any JSON; errors wrap ErrInvalid; a
// digest is the same when computed twice.
func FuzzTypedData(f *testing.F) {
	f.Add([]byte(mailJSON))
	f.Add([]byte(`{"domain": {"name": "snapshot", "version": "0.1.4"}, "types": {"Alias": [{"name": "from", "type": "address"}, {"name": "alias", "type": "address"}, {"name": "timestamp", "type": "uint64"}]}, "message": {"from": "0xf1f09AdC06aAB740AA16004D62Dbd89484d3Be90", "timestamp": 1719884056, "alias": "0xDD983E11Cf84746f3b7589ee1Dc2081c08c40Cb3"}}`))
	f.Add([]byte(`{"types": {"Mail": [{"name": "contents", "type": "string"}, {"name": "replyTo", "type": "Mail[]"}]}, "primaryType": "Mail", "domain": {}, "message": {"contents": "a", "replyTo": [{"contents": "b", "replyTo": []}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := ParseTypedData(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseTypedData error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		d1, err1 := td.Digest()
		d2, err2 := td.Digest()
		if (err1 == nil) != (err2 == nil) || d1 != d2 {
			t.Fatalf("Digest not deterministic: %v %v", err1, err2)
		}
		if err1 != nil && !errors.Is(err1, ErrInvalid) {
			t.Fatalf("Digest error does not wrap ErrInvalid: %v", err1)
		}
	})
}
