package evm

import (
	"encoding/hex"
	"strings"
)

// Address is a 20-byte Ethereum account or contract address.
type Address [20]byte

// ParseAddress reads 0x followed by 40 hex digits. An address in mixed
// case must carry a valid EIP-55 checksum (a typo in one is then caught);
// one written all in lower or all in upper case carries none and is
// accepted as it is.
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return a, invalidf("address %q: want 0x followed by 40 hex digits", truncate(s))
	}
	digits := s[2:]
	if _, err := hex.Decode(a[:], []byte(digits)); err != nil {
		return Address{}, invalidf("address %q: %v; want 0x followed by 40 hex digits", s, err)
	}
	if digits != strings.ToLower(digits) && digits != strings.ToUpper(digits) {
		if want := a.Hex(); want[2:] != digits {
			return Address{}, invalidf("address %q has a wrong EIP-55 checksum (mixed case that does not match %s); check it for a typo", s, want)
		}
	}
	return a, nil
}

// IsChecksummed reports whether s is an address written with its EIP-55
// checksum: exactly as Hex writes it.
func IsChecksummed(s string) bool {
	a, err := ParseAddress(s)
	return err == nil && a.Hex() == s
}

// Hex returns a as EIP-55 writes it: 0x and 40 hex digits, a letter
// upper-cased where the matching nibble of the Keccak-256 of the
// lower-case hex digits is 8 or more.
func (a Address) Hex() string {
	lower := hex.EncodeToString(a[:])
	h := Keccak256([]byte(lower))
	out := []byte("0x" + lower)
	for i := 0; i < 40; i++ {
		c := lower[i]
		if c < 'a' {
			continue
		}
		nibble := h[i/2] >> 4
		if i%2 == 1 {
			nibble = h[i/2] & 0x0f
		}
		if nibble >= 8 {
			out[2+i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// String returns a.Hex().
func (a Address) String() string { return a.Hex() }

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// MarshalText writes a with its checksum, so an Address is a JSON string.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.Hex()), nil }

// UnmarshalText reads an address as ParseAddress does.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
