package evm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.Join(strings.Fields(s), "")
	b, err := DecodeHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeccak256KnownDigests(t *testing.T) {
	// Keccak-256 as Ethereum uses it (not FIPS-202 SHA3-256, whose digest
	// of "" is a7ffc6f8…): the empty-input digest is the well-known
	// empty-code hash of every account without code.
	for in, want := range map[string]string{
		"":    "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
		"abc": "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
	} {
		if got := Keccak256([]byte(in)).Hex(); got != want {
			t.Errorf("Keccak256(%q) = %s; want %s", in, got, want)
		}
	}
	// Concatenation: the pieces hash as one.
	if Keccak256([]byte("a"), []byte("bc")) != Keccak256([]byte("abc")) {
		t.Error("Keccak256 of pieces differs from Keccak256 of their concatenation")
	}
}

// Published selectors, each computed here from its signature:
//   - transfer: ERC-20 (EIP-20), 0xa9059cbb everywhere;
//   - GovernorBravo: compound-finance/compound-protocol networks/mainnet-abi.json
//     ("signature" fields of _setProposalThreshold, _setVotingDelay,
//     _setVotingPeriod and propose);
//   - OpenZeppelin Governor 4.x (uint256 settings, uint64 extension):
//     thirdweb-dev/js packages/thirdweb/src/extensions/vote/__generated__/
//     Vote/write/*.ts (FN_SELECTOR) and generated ABIs listing
//     setLateQuorumVoteExtension 0xd07f91e9;
//   - OpenZeppelin Governor 5.x (setVotingDelay(uint48),
//     setVotingPeriod(uint32)), the signatures read in OpenZeppelin/
//     openzeppelin-contracts contracts/governance/extensions/
//     GovernorSettings.sol at v5: a Governor's exported selector list
//     ("`setVotingPeriod(uint32)` 0xe540d01d", "`setVotingDelay(uint48)`
//     0x79051887", "`propose(address[],uint256[],bytes[],string)`
//     0x7d5e81e2", "`hashProposal(…)` 0xc59057e4").
func TestSelectorsMatchPublished(t *testing.T) {
	for sig, want := range map[string]string{
		"transfer(address,uint256)":                            "0xa9059cbb",
		"_setProposalThreshold(uint256)":                       "0x17ba1b8b",
		"_setVotingDelay(uint256)":                             "0x1dfb1b5a",
		"_setVotingPeriod(uint256)":                            "0x0ea2d98c",
		"_setVotingPeriod(uint)":                               "0x0ea2d98c", // uint is uint256
		"propose(address[],uint256[],string[],bytes[],string)": "0xda95691a",
		"setVotingDelay(uint256)":                              "0x70b0f660",
		"setVotingPeriod(uint256)":                             "0xea0217cf",
		"setProposalThreshold(uint256)":                        "0xece40cc1",
		"updateQuorumNumerator(uint256)":                       "0x06f3f9e6",
		"setLateQuorumVoteExtension(uint64)":                   "0xd07f91e9",
		"setVotingDelay(uint48)":                               "0x79051887",
		"setVotingPeriod(uint32)":                              "0xe540d01d",
		"propose(address[],uint256[],bytes[],string)":          "0x7d5e81e2",
		"hashProposal(address[],uint256[],bytes[],bytes32)":    "0xc59057e4",
	} {
		sel, err := Selector(sig)
		if err != nil {
			t.Fatalf("Selector(%q): %v", sig, err)
		}
		if got := EncodeHex(sel[:]); got != want {
			t.Errorf("Selector(%q) = %s; want %s", sig, got, want)
		}
	}
}

// Published topics: compound-protocol networks/mainnet-abi.json gives
// GovernorBravo's ProposalCreated and VoteCast; OpenZeppelin's IGovernor
// declares the same canonical signatures (OpenZeppelin/openzeppelin-contracts
// contracts/governance/IGovernor.sol), so their topics are the same.
// VoteCastWithParams (OpenZeppelin only) and Transfer (ERC-20) are listed
// in indexers' topic tables.
func TestTopicsMatchPublished(t *testing.T) {
	for sig, want := range map[string]string{
		"ProposalCreated(uint256 id, address proposer, address[] targets, uint[] values, string[] signatures, bytes[] calldatas, uint startBlock, uint endBlock, string description)": "0x7d84a6263ae0d98d3329bd7b46bb4e8d6f98cd35a7adb45c274c8b7fd5ebd5e0",
		"VoteCast(address indexed voter, uint proposalId, uint8 support, uint votes, string reason)":                                                                                  "0xb8e138887d0aa13bab447e82de9d5c1777041ecd21ca36ba824ff1e6c07ddda4",
		"VoteCastWithParams(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason, bytes params)":                                                   "0xe2babfbac5889a709b63bb7f598b324e08bc5a4fb9ec647fb3cbc9ec07eb8712",
		"ProposalExecuted(uint256)":         "0x712ae1383f79ac853f8d882153778e0260ef8f03b504e2866e0593e04d2b291f",
		"ProposalQueued(uint256,uint256)":   "0x9a2e42fd6722813d69113e7d0079d3d940171428df7373df9c7f7617cfda2892",
		"Transfer(address,address,uint256)": "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
	} {
		got, err := Topic(sig)
		if err != nil {
			t.Fatalf("Topic(%q): %v", sig, err)
		}
		if got.Hex() != want {
			t.Errorf("Topic(%q) = %s; want %s", sig, got, want)
		}
	}
}

func TestParseSignature(t *testing.T) {
	s, err := ParseSignature("VoteCast(address indexed voter, uint proposalId, uint8 support, uint votes, string reason)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Canonical(), "VoteCast(address,uint256,uint8,uint256,string)"; got != want {
		t.Errorf("Canonical = %q; want %q", got, want)
	}
	if !s.Params[0].Indexed || s.Params[0].Name != "voter" || s.Params[1].Indexed || s.Params[4].Name != "reason" {
		t.Errorf("params = %+v; want voter indexed, the others not, names kept", s.Params)
	}
	if s, err := ParseSignature("execute()"); err != nil || s.Canonical() != "execute()" || len(s.Params) != 0 {
		t.Errorf("ParseSignature(execute()) = %+v, %v", s, err)
	}
	for _, bad := range []string{"", "transfer", "(uint256)", "transfer(address,uint256", "tr ansfer(uint256)", "f(uint7)", "f(uint264)", "f(bytes33)", "f(bytes0)", "f(uint256,)", "f(uint256 a b c)", "f((uint256,address))", "f(fixed128x18)", "f(uint256[0])", "f(uint256[01])", "f(uint08)", "f(uint256[]]", "1f(uint256)", "f(uint256 indexed a b)"} {
		if _, err := ParseSignature(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSignature(%q) = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestParseTypeCanonicalAndLimits(t *testing.T) {
	for in, want := range map[string]string{
		"uint": "uint256", "int": "int256", "uint8": "uint8", "int256": "int256", "bytes1": "bytes1",
		"bytes32": "bytes32", "address[]": "address[]", "uint[2][]": "uint256[2][]", "string[][3]": "string[][3]",
	} {
		ty, err := ParseType(in)
		if err != nil || ty.String() != want {
			t.Errorf("ParseType(%q) = %v, %v; want %s", in, ty, err, want)
		}
	}
	deep := "uint256" + strings.Repeat("[]", maxTypeDepth+1)
	if _, err := ParseType(deep); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseType(%d dimensions) = %v; want ErrInvalid", maxTypeDepth+1, err)
	}
	if _, err := ParseType("uint256" + strings.Repeat("[]", maxTypeDepth)); err != nil {
		t.Errorf("ParseType(%d dimensions): %v", maxTypeDepth, err)
	}
	if _, err := ParseType("uint256[65536][65536]"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseType of a 2^37-byte static array = %v; want ErrInvalid", err)
	}
	if _, err := ParseType("uint256[65537]"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseType(uint256[65537]) = %v; want ErrInvalid", err)
	}
}

// EIP-55's own test vectors (ethereum/EIPs EIPS/eip-55.md): all caps, all
// lower and normal mixed case.
var eip55Vectors = []string{
	"0x52908400098527886E0F7030069857D2E4169EE7",
	"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
	"0xde709f2102306220921060314715629080e2fb77",
	"0x27b1fdb04752bbc536007a920d24acb045561c26",
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
}

func TestAddressEIP55(t *testing.T) {
	for _, v := range eip55Vectors {
		lower := "0x" + strings.ToLower(v[2:])
		a, err := ParseAddress(lower)
		if err != nil {
			t.Fatalf("ParseAddress(%q): %v", lower, err)
		}
		if got := a.Hex(); got != v {
			t.Errorf("Hex(%s) = %s; want %s", lower, got, v)
		}
		if !IsChecksummed(v) {
			t.Errorf("IsChecksummed(%s) = false", v)
		}
		if b, err := ParseAddress(v); err != nil || b != a {
			t.Errorf("ParseAddress(%s) = %v, %v; want %v", v, b, err, a)
		}
		if b, err := ParseAddress("0x" + strings.ToUpper(v[2:])); err != nil || b != a {
			t.Errorf("ParseAddress(upper %s) = %v, %v", v, b, err)
		}
	}
	// One letter's case flipped in a mixed-case address is a checksum
	// error: the typo EIP-55 exists to catch.
	v := eip55Vectors[4]
	i := strings.IndexAny(v[2:], "abcdef") + 2
	typo := v[:i] + strings.ToUpper(v[i:i+1]) + v[i+1:]
	if _, err := ParseAddress(typo); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), v) {
		t.Errorf("ParseAddress(%s) = %v; want a checksum error naming %s", typo, err, v)
	}
	if IsChecksummed(strings.ToLower(v)) {
		t.Error("IsChecksummed(lower case) = true; want false")
	}
	for _, bad := range []string{"", "0x", "52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886E0F7030069857D2E4169EE", "0x52908400098527886E0F7030069857D2E4169EE77", "0xZ2908400098527886E0F7030069857D2E4169EE7", "1x52908400098527886E0F7030069857D2E4169EE7"} {
		if _, err := ParseAddress(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAddress(%q) = %v; want ErrInvalid", bad, err)
		}
	}
	var a Address
	if err := a.UnmarshalText([]byte(eip55Vectors[5])); err != nil || a.Hex() != eip55Vectors[5] {
		t.Errorf("UnmarshalText = %v, %v", a, err)
	}
	if b, _ := a.MarshalText(); string(b) != eip55Vectors[5] {
		t.Errorf("MarshalText = %s", b)
	}
	if !(Address{}).IsZero() || a.IsZero() {
		t.Error("IsZero wrong")
	}
}

// The Solidity ABI specification's two worked examples (ethereum/solidity
// docs/abi-spec.rst, "Use of Dynamic Types").
func TestEncodeSolidityDocExamples(t *testing.T) {
	got, err := EncodeCall("f(uint256,uint32[],bytes10,bytes)", big.NewInt(0x123), []any{0x456, 0x789}, []byte("1234567890"), []byte("Hello, world!"))
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, `0x8be65246
      0000000000000000000000000000000000000000000000000000000000000123
      0000000000000000000000000000000000000000000000000000000000000080
      3132333435363738393000000000000000000000000000000000000000000000
      00000000000000000000000000000000000000000000000000000000000000e0
      0000000000000000000000000000000000000000000000000000000000000002
      0000000000000000000000000000000000000000000000000000000000000456
      0000000000000000000000000000000000000000000000000000000000000789
      000000000000000000000000000000000000000000000000000000000000000d
      48656c6c6f2c20776f726c642100000000000000000000000000000000000000`)
	if !bytes.Equal(got, want) {
		t.Errorf("f(...) =\n%x\nwant\n%x", got, want)
	}

	got, err = EncodeCall("g(uint[][],string[])", [][]int{{1, 2}, {3}}, []string{"one", "two", "three"})
	if err != nil {
		t.Fatal(err)
	}
	want = mustHex(t, `0x2289b18c
      0000000000000000000000000000000000000000000000000000000000000040
      0000000000000000000000000000000000000000000000000000000000000140
      0000000000000000000000000000000000000000000000000000000000000002
      0000000000000000000000000000000000000000000000000000000000000040
      00000000000000000000000000000000000000000000000000000000000000a0
      0000000000000000000000000000000000000000000000000000000000000002
      0000000000000000000000000000000000000000000000000000000000000001
      0000000000000000000000000000000000000000000000000000000000000002
      0000000000000000000000000000000000000000000000000000000000000001
      0000000000000000000000000000000000000000000000000000000000000003
      0000000000000000000000000000000000000000000000000000000000000003
      0000000000000000000000000000000000000000000000000000000000000060
      00000000000000000000000000000000000000000000000000000000000000a0
      00000000000000000000000000000000000000000000000000000000000000e0
      0000000000000000000000000000000000000000000000000000000000000003
      6f6e650000000000000000000000000000000000000000000000000000000000
      0000000000000000000000000000000000000000000000000000000000000003
      74776f0000000000000000000000000000000000000000000000000000000000
      0000000000000000000000000000000000000000000000000000000000000005
      7468726565000000000000000000000000000000000000000000000000000000`)
	if !bytes.Equal(got, want) {
		t.Errorf("g(...) =\n%x\nwant\n%x", got, want)
	}
	// And they decode back.
	sig, _ := ParseSignature("g(uint[][],string[])")
	vals, err := sig.DecodeCall(got)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vals) != "[[[1 2] [3]] [one two three]]" {
		t.Errorf("DecodeCall = %v", vals)
	}
}

// Governor setter calldata, derived by hand (the selector then the
// argument as a 32-byte big-endian word) and compared with published
// encodings.
func TestEncodeGovernorSetters(t *testing.T) {
	handDerived := func(selector string, arg *big.Int) []byte {
		return mustHex(t, selector+fmt.Sprintf("%064x", arg))
	}
	threshold, _ := new(big.Int).SetString("13000000000000000000000", 10) // 13,000 tokens of 18 decimals
	for _, c := range []struct {
		sig, arg  string
		selector  string
		published string // a literal from a public source, "" when none was found
	}{
		{"_setProposalThreshold(uint256)", threshold.String(), "0x17ba1b8b", ""},
		// A GovernorBravo deployment's log (a hardhat run proposing
		// _setProposalThreshold with calldatas [0x…0dc3a8351f3d86a00000]
		// and reporting "Proposal Threshold : 65000000000000000000000").
		{"_setProposalThreshold(uint256)", "65000000000000000000000", "0x17ba1b8b", "0x17ba1b8b000000000000000000000000000000000000000000000dc3a8351f3d86a00000"},
		// A Foundry test of an OpenZeppelin 5 Governor: "Calldata:
		// 0xe540d01d…1c20, Description: Set voting period to 7200 blocks".
		{"setVotingPeriod(uint32)", "7200", "0xe540d01d", "0xe540d01d0000000000000000000000000000000000000000000000000000000000001c20"},
		// The Sepolia OpenZeppelin 5 governor's executed proposal
		// (ProposalCreated tx 0x806ea125…d874) calls setVotingDelay(15).
		{"setVotingDelay(uint48)", "15", "0x79051887", "0x79051887000000000000000000000000000000000000000000000000000000000000000f"},
		{"_setVotingPeriod(uint256)", "21600", "0x0ea2d98c", ""},
		{"updateQuorumNumerator(uint256)", "450", "0x06f3f9e6", ""},
	} {
		got, err := EncodeCall(c.sig, c.arg)
		if err != nil {
			t.Fatalf("%s(%s): %v", c.sig, c.arg, err)
		}
		n, _ := new(big.Int).SetString(c.arg, 10)
		if want := handDerived(c.selector, n); !bytes.Equal(got, want) {
			t.Errorf("%s(%s) = %x; want %x", c.sig, c.arg, got, want)
		}
		if c.published != "" && EncodeHex(got) != c.published {
			t.Errorf("%s(%s) = %s; published %s", c.sig, c.arg, EncodeHex(got), c.published)
		}
	}
	// A value that does not fit the setter's type is refused.
	if _, err := EncodeCall("setVotingPeriod(uint32)", "4294967296"); !errors.Is(err, ErrInvalid) {
		t.Errorf("setVotingPeriod(2^32) = %v; want ErrInvalid", err)
	}
}

// TimelockController.hashOperationBatch is keccak256(abi.encode(targets,
// values, payloads, predecessor, salt)): the same encoding of address[],
// uint256[] and bytes[] as Governor.hashProposal. The operation ids of two
// executed proposals (on-chain CallExecuted events) check the encoding:
// Arbitrum's Core Governor (OpenZeppelin 4: salt = descriptionHash;
// ProposalCreated in Arbitrum tx 0x6962dd50…62dc) and an OpenZeppelin 5
// governor on Sepolia (salt = bytes20(governor) XOR descriptionHash; tx
// 0x806ea125…d874), as a public test suite records them.
func TestEncodeMatchesOnchainTimelockIDs(t *testing.T) {
	types := []Type{SliceOf(AddrT), SliceOf(Uint256), SliceOf(BytesT), Bytes32, Bytes32}
	arbCalldata := "0x928c169a000000000000000000000000e6841d92b0c345144506576ec13ecf5103ac7f49000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000003248f2a0bb000000000000000000000000000000000000000000000000000000000000000c0000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000001400000000000000000000000000000000000000000000000000000000000000000da537a8813f50264f91f9a2f8abcd15373495e15278e7fe7cfa90e0892f8c300000000000000000000000000000000000000000000000000000000000003f4800000000000000000000000000000000000000000000000000000000000000001000000000000000000000000a723c008e76e379c55599d2e4d93879beafda79c000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000001800000000000000000000000004dbd4fc535ac27206064b68ffcf827b0a60bab3f000000000000000000000000cf57572261c7c2bcf21ffd220ea7d1a27d40a82700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c000000000000000000000000000000000000000000000000000000000000000841cff79cd0000000000000000000000005b947d8bf197467be7ef381b7cafee0a7b35737a00000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000004b147f40c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	descHash := mustHex(t, "0x082b2ee1b8009f5206c876176497535acd2b63812224f2d7175442be580e3a8e")
	enc, err := Encode(types, []any{
		[]string{"0x0000000000000000000000000000000000000064"}, []any{0}, []any{arbCalldata}, make([]byte, 32), descHash,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Keccak256(enc).Hex(), "0xa2f9b43f8745f354d88ea380c68d72ac76c8ee59aa20cfa567d51e53b65b179b"; got != want {
		t.Errorf("Arbitrum operation id = %s; want %s", got, want)
	}

	governor, _ := ParseAddress("0xb314fac800bd0f5646e1a230b212ed88936648e0")
	salt := mustHex(t, "0xea59b51ac1e26e02bf9efb5071d13d84010d937c738baa4ed4e4c59b0715c20b")
	for i := range governor {
		salt[i] ^= governor[i]
	}
	enc, err = Encode(types, []any{
		[]string{"0x556B14CbdA79A36dC33FcD461a04A5BCb5dC2A70", "0xB314FAC800bD0F5646e1a230b212Ed88936648e0"},
		[]*big.Int{big.NewInt(1000000000000000), big.NewInt(0)},
		[][]byte{{}, mustHex(t, "0x79051887000000000000000000000000000000000000000000000000000000000000000f")},
		Hash{}, salt,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Keccak256(enc).Hex(), "0xfb85faccde459bd517441d68df19438083d0df3fa984c28c9a2f6548fb29593d"; got != want {
		t.Errorf("Sepolia operation id = %s; want %s", got, want)
	}
}

func TestEncodeValuesAndErrors(t *testing.T) {
	// Negative integers are two's complement; every accepted integer form
	// gives the same word.
	w, err := Encode([]Type{Int256}, []any{-1})
	if err != nil || EncodeHex(w) != "0x"+strings.Repeat("ff", 32) {
		t.Errorf("int256(-1) = %x, %v", w, err)
	}
	for _, v := range []any{big.NewInt(300), *big.NewInt(300), int8(100), int16(300), int32(300), int64(300), uint(300), uint8(200), uint16(300), uint32(300), uint64(300), "300", "0x12c", "0X12C", float64(300)} {
		want := uint64(300)
		if x, ok := v.(int8); ok {
			want = uint64(x)
		}
		if x, ok := v.(uint8); ok {
			want = uint64(x)
		}
		got, err := Encode([]Type{Uint256}, []any{v})
		if err != nil || !bytes.Equal(got, uintWord(want)) {
			t.Errorf("Encode(uint256, %T %v) = %x, %v", v, v, got, err)
		}
	}
	ok := []struct {
		ty Type
		v  any
	}{
		{Type{Kind: KindInt, Size: 8}, -128},
		{Type{Kind: KindInt, Size: 8}, 127},
		{Type{Kind: KindUint, Size: 8}, 255},
		{BoolT, true},
		{Bytes32, Hash{1}},
		{Type{Kind: KindFixedBytes, Size: 2}, "0xabcd"},
	}
	for _, c := range ok {
		if _, err := Encode([]Type{c.ty}, []any{c.v}); err != nil {
			t.Errorf("Encode(%s, %v): %v", c.ty, c.v, err)
		}
	}
	bad := []struct {
		ty Type
		v  any
	}{
		{Type{Kind: KindInt, Size: 8}, -129},
		{Type{Kind: KindInt, Size: 8}, 128},
		{Type{Kind: KindUint, Size: 8}, 256},
		{Uint256, -1},
		{Uint256, "1.5"},
		{Uint256, "1e3"},
		{Uint256, " 1"},
		{Uint256, ""},
		{Uint256, "0x"},
		{Uint256, 1.5},
		{Uint256, float64(1 << 60)},
		{Uint256, strings.Repeat("9", 100)},
		{Uint256, (*big.Int)(nil)},
		{Uint256, true},
		{AddrT, "0x1234"},
		{AddrT, 5},
		{BoolT, "true"},
		{Bytes32, "0xabcd"},
		{Bytes32, "abcd"},
		{BytesT, 5},
		{BytesT, "0xabc"},
		{StringT, []byte("x")},
		{SliceOf(Uint256), 5},
		{SliceOf(Uint256), []any{"x"}},
		{Type{Kind: KindArray, Size: 2, Elem: &Uint256}, []int{1}},
	}
	for _, c := range bad {
		if _, err := Encode([]Type{c.ty}, []any{c.v}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Encode(%s, %T %v) = %v; want ErrInvalid", c.ty, c.v, c.v, err)
		}
	}
	if _, err := Encode([]Type{Uint256}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Encode with too few values = %v", err)
	}
	// An error names the element.
	_, err = Encode([]Type{SliceOf(AddrT)}, []any{[]string{"0x52908400098527886E0F7030069857D2E4169EE7", "0xbad"}})
	if err == nil || !strings.Contains(err.Error(), "value 0 (address[])[1]") {
		t.Errorf("error = %v; want it to name value 0 (address[])[1]", err)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	addr, _ := ParseAddress(eip55Vectors[4])
	minInt := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 255))
	types := []Type{Uint256, Int256, Type{Kind: KindInt, Size: 8}, AddrT, BoolT, Bytes32, BytesT, StringT,
		SliceOf(AddrT), SliceOf(Uint256), SliceOf(BytesT), SliceOf(StringT),
		{Kind: KindArray, Size: 2, Elem: &Uint256}, {Kind: KindArray, Size: 2, Elem: &StringT}, SliceOf(SliceOf(Uint256))}
	vals := []any{big.NewInt(7), minInt, big.NewInt(-5), addr, true, bytes.Repeat([]byte{9}, 32), []byte("hello, a byte string longer than one word of thirty-two"), "ünïcode",
		[]any{addr, Address{}}, []any{big.NewInt(1), big.NewInt(2)}, []any{[]byte{}, []byte{1, 2, 3}}, []any{"", "x"},
		[]any{big.NewInt(3), big.NewInt(4)}, []any{"a", "bc"}, []any{[]any{big.NewInt(1)}, []any{}}}
	enc, err := Encode(types, vals)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(types, enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fmt.Sprint(got), fmt.Sprint(vals)) {
		t.Errorf("Decode(Encode(x)) =\n%v\nwant\n%v", got, vals)
	}
	// Re-encoding the decoded values gives the same bytes.
	again, err := Encode(types, got)
	if err != nil || !bytes.Equal(again, enc) {
		t.Errorf("Encode(Decode(x)) differs: %v", err)
	}
}

func TestDecodeRefusesHostileInput(t *testing.T) {
	word := func(n uint64) string { return fmt.Sprintf("%064x", n) }
	cases := []struct {
		name  string
		types string
		data  string
	}{
		{"empty for a word", "uint256", ""},
		{"short word", "uint256", strings.Repeat("00", 31)},
		{"offset past end", "bytes", word(64)},
		{"huge offset", "bytes", strings.Repeat("ff", 32)},
		{"length past end", "bytes", word(32) + word(33) + strings.Repeat("00", 32)},
		{"huge length", "string", word(32) + strings.Repeat("ff", 32)},
		{"slice longer than data", "uint256[]", word(32) + word(1000)},
		{"dirty address", "address", "01" + strings.Repeat("00", 31)},
		{"dirty uint8", "uint8", word(256)},
		{"bool 2", "bool", word(2)},
		{"bool high bit", "bool", "01" + strings.Repeat("00", 30) + "01"},
		{"int8 not sign-extended", "int8", word(0x80)},
		{"bytes2 dirty padding", "bytes2", "abcd01" + strings.Repeat("00", 29)},
		{"static array past end", "uint256[3]", word(1) + word(2)},
		// Two elements of a bytes[] pointing at one shared 4 KiB string:
		// fine once, refused when it would decode to more than the input.
		{"aliased tails", "bytes[]", word(32) + word(3) + word(96) + word(96) + word(96) + word(4000) + strings.Repeat("00", 4000)},
	}
	for _, c := range cases {
		ty, err := ParseType(c.types)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := hex.DecodeString(c.data)
		if _, err := Decode([]Type{ty}, data); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode(%s) = %v; want ErrInvalid", c.name, c.types, err)
		}
	}
	// The aliased case with one element decodes: the budget refuses only
	// what exceeds the input.
	ty, _ := ParseType("bytes[]")
	data, _ := hex.DecodeString(word(32) + word(1) + word(32) + word(4000) + strings.Repeat("00", 4000))
	if _, err := Decode([]Type{ty}, data); err != nil {
		t.Errorf("one bytes element: %v", err)
	}
}

func TestDecodeLogVoteCast(t *testing.T) {
	sig, err := ParseSignature("VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason)")
	if err != nil {
		t.Fatal(err)
	}
	voter, _ := ParseAddress(eip55Vectors[5])
	var voterTopic Hash
	copy(voterTopic[12:], voter[:])
	data, err := Encode([]Type{Uint256, {Kind: KindUint, Size: 8}, Uint256, StringT}, []any{42, 1, "1000000000000000000", "for the reasons given"})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := sig.DecodeLog([]Hash{sig.Topic(), voterTopic}, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(vals); got != fmt.Sprintf("[%s 42 1 1000000000000000000 for the reasons given]", voter.Hex()) {
		t.Errorf("DecodeLog = %s", got)
	}
	if _, err := sig.DecodeLog([]Hash{{1}, voterTopic}, data); !errors.Is(err, ErrInvalid) {
		t.Errorf("wrong topic 0: %v", err)
	}
	if _, err := sig.DecodeLog([]Hash{sig.Topic()}, data); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing indexed topic: %v", err)
	}
	dyn, _ := ParseSignature("E(string indexed s, uint256 x)")
	h := Keccak256([]byte("s"))
	x, _ := Encode([]Type{Uint256}, []any{1})
	vals, err = dyn.DecodeLog([]Hash{dyn.Topic(), h}, x)
	if err != nil || vals[0] != h {
		t.Errorf("indexed string = %v, %v; want its hash", vals, err)
	}
	if _, err := sig.DecodeCall([]byte{1, 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodeCall(2 bytes) = %v", err)
	}
	if _, err := sig.DecodeCall(append([]byte{1, 2, 3, 4}, data...)); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodeCall(wrong selector) = %v", err)
	}
}

func TestHexHelpers(t *testing.T) {
	var h Hash
	if err := h.UnmarshalText([]byte("0x" + strings.Repeat("ab", 32))); err != nil || h[0] != 0xab {
		t.Errorf("UnmarshalText = %v, %v", h, err)
	}
	for _, bad := range []string{"", "ab", "0xab", "0x" + strings.Repeat("zz", 32)} {
		if err := h.UnmarshalText([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalText(%q) = %v", bad, err)
		}
	}
	if b, _ := h.MarshalText(); string(b) != h.String() {
		t.Error("MarshalText differs from String")
	}
	if EncodeHex(nil) != "0x" {
		t.Error("EncodeHex(nil) != 0x")
	}
	long := strings.Repeat("x", 200)
	if _, err := DecodeHex(long); err == nil || len(err.Error()) > 200 {
		t.Errorf("an error quotes hostile input whole: %v", err)
	}
}
