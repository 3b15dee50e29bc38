// Package evm encodes and hashes what Ethereum contracts and wallets read,
// in pure Go: Keccak-256, function selectors and event topics, EIP-55
// checksummed addresses, the contract ABI's encoding and decoding of the
// elementary types and arrays of them, and EIP-712 typed-data hashing.
//
// It holds no keys and signs nothing: it prepares calldata and digests for
// a wallet to sign, and reads what a node returns (event data, eth_call
// results). Decoding never panics on hostile input; every error says what
// was wrong and where.
package evm

import (
	"encoding/hex"
	"errors"

	"golang.org/x/crypto/sha3"
)

// ErrInvalid is wrapped by every error about bad input: a malformed
// address, signature, type, value, ABI encoding or typed-data document.
var ErrInvalid = errors.New("invalid")

// Hash is a 32-byte Keccak-256 digest (also an event topic or an EIP-712
// digest).
type Hash [32]byte

// Hex returns h as 0x followed by 64 lower-case hex digits.
func (h Hash) Hex() string { return "0x" + hex.EncodeToString(h[:]) }

// String returns h.Hex().
func (h Hash) String() string { return h.Hex() }

// MarshalText writes h as Hex does, so a Hash is a JSON string.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.Hex()), nil }

// UnmarshalText reads 0x followed by 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	raw, err := DecodeHex(string(b))
	if err != nil {
		return err
	}
	if len(raw) != len(h) {
		return invalidf("hash %q has %d bytes; want 32", truncate(string(b)), len(raw))
	}
	copy(h[:], raw)
	return nil
}

// Keccak256 returns the Keccak-256 digest of the concatenation of data:
// Ethereum's hash, the original Keccak padding, not FIPS-202 SHA3-256.
func Keccak256(data ...[]byte) Hash {
	k := sha3.NewLegacyKeccak256()
	for _, d := range data {
		k.Write(d)
	}
	var h Hash
	k.Sum(h[:0])
	return h
}

// EncodeHex returns b as 0x followed by lower-case hex digits ("0x" for
// no bytes).
func EncodeHex(b []byte) string { return "0x" + hex.EncodeToString(b) }

// DecodeHex reads a byte string written as 0x followed by an even number
// of hex digits, in either case ("0x" is no bytes).
func DecodeHex(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return nil, invalidf("hex %q does not start with 0x; write bytes as 0x followed by hex digits", truncate(s))
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, invalidf("hex %q: %v; want an even number of hex digits after 0x", truncate(s), err)
	}
	return b, nil
}
