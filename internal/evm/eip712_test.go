package evm

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func parseTD(t *testing.T, js string) *TypedData {
	t.Helper()
	td, err := ParseTypedData([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return td
}

func digestHex(t *testing.T, td *TypedData) string {
	t.Helper()
	d, err := td.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.Hex()
}

// EIP-712's own example (ethereum/EIPs assets/eip-712/Example.js, its
// first revision; the digest every implementation tests against).
const mailJSON = `{
  "types": {
    "EIP712Domain": [
      {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
    ],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
    "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"}, {"name": "contents", "type": "string"}]
  },
  "primaryType": "Mail",
  "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
  "message": {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!"
  }
}`

func TestEIP712MailExample(t *testing.T) {
	td := parseTD(t, mailJSON)
	enc, err := td.EncodeType("Mail")
	if err != nil || enc != "Mail(Person from,Person to,string contents)Person(string name,address wallet)" {
		t.Errorf("EncodeType(Mail) = %q, %v", enc, err)
	}
	if th, _ := td.TypeHash("Mail"); th.Hex() != "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2" {
		t.Errorf("TypeHash(Mail) = %s", th)
	}
	if ds, err := td.DomainSeparator(); err != nil || ds.Hex() != "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f" {
		t.Errorf("DomainSeparator = %s, %v", ds, err)
	}
	if h, err := td.HashStruct("Mail", td.Message); err != nil || h.Hex() != "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e" {
		t.Errorf("HashStruct(Mail) = %s, %v", h, err)
	}
	if got := digestHex(t, td); got != "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2" {
		t.Errorf("Digest = %s", got)
	}

	// The later revision of Example.js adds an httpOrigin member to the
	// domain: the domain type is the document's own, in its order.
	withOrigin := strings.Replace(mailJSON, `{"name": "chainId", "type": "uint256"},`, `{"name": "chainId", "type": "uint256"}, {"name": "httpOrigin", "type": "string"},`, 1)
	withOrigin = strings.Replace(withOrigin, `"chainId": 1,`, `"chainId": 1, "httpOrigin": "https://ether-mail.eth",`, 1)
	if got := digestHex(t, parseTD(t, withOrigin)); got != "0xa5f5fa6b05af38f2e9d2889ac36f5a4ba31e20646781d23739de458d86d6593e" {
		t.Errorf("Digest with httpOrigin = %s", got)
	}

	// The revision with an array of structs (Mail.to is Person[]) lists
	// its type hash; its data hashing (the items' encodeData joined as
	// strings) is not the standard's, so only the type hash is compared,
	// and arrays of structs are checked against eth-sig-util below.
	arr := strings.Replace(mailJSON, `{"name": "to", "type": "Person"}`, `{"name": "to", "type": "Person[]"}`, 1)
	arr = strings.Replace(arr, `"to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"}`, `"to": [{"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"}]`, 1)
	atd := parseTD(t, arr)
	if th, _ := atd.TypeHash("Mail"); th.Hex() != "0xdd57d9596af52b430ced3d5b52d4e3d5dccfdf3e0572db1dcf526baad311fbd1" {
		t.Errorf("TypeHash(Mail with Person[]) = %s", th)
	}
}

// eth-sig-util's V4 vector (MetaMask/eth-sig-util, sign-typed-data tests):
// arrays of addresses inside an array of structs.
func TestEIP712NestedArrays(t *testing.T) {
	td := parseTD(t, `{
  "types": {
    "EIP712Domain": [
      {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
    ],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
    "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person[]"}, {"name": "contents", "type": "string"}],
    "Group": [{"name": "name", "type": "string"}, {"name": "members", "type": "Person[]"}]
  },
  "primaryType": "Mail",
  "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
  "message": {
    "from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},
    "to": [{"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", "0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57", "0xB0B0b0b0b0b0B000000000000000000000000000"]}],
    "contents": "Hello, Bob!"
  }
}`)
	if enc, _ := td.EncodeType("Mail"); enc != "Mail(Person from,Person[] to,string contents)Person(string name,address[] wallets)" {
		t.Errorf("EncodeType = %q", enc)
	}
	from := td.Message["from"].(map[string]any)
	if h, _ := td.HashStruct("Person", from); h.Hex() != "0x9b4846dd48b866f0ac54d61b9b21a9e746f921cefa4ee94c4c0a1c49c774f67f" {
		t.Errorf("HashStruct(Cow) = %s", h)
	}
	if h, _ := td.HashStruct("Mail", td.Message); h.Hex() != "0xeb4221181ff3f1a83ea7313993ca9218496e424604ba9492bb4052c03d5c3df8" {
		t.Errorf("HashStruct(Mail) = %s", h)
	}
}

// Snapshot's own fixtures (snapshot-labs/snapshot.js): typed data as
// snapshot.js signs it, without EIP712Domain in types and without a
// primaryType; getHash (ethers' TypedDataEncoder.hash) of the alias
// message is asserted in src/verify/evm.spec.ts.
func TestEIP712SnapshotFixtures(t *testing.T) {
	alias := parseTD(t, `{
    "domain": {"name": "snapshot", "version": "0.1.4"},
    "types": {"Alias": [{"name": "from", "type": "address"}, {"name": "alias", "type": "address"}, {"name": "timestamp", "type": "uint64"}]},
    "message": {"from": "0xf1f09AdC06aAB740AA16004D62Dbd89484d3Be90", "timestamp": 1719884056, "alias": "0xDD983E11Cf84746f3b7589ee1Dc2081c08c40Cb3"}
  }`)
	if alias.PrimaryType != "Alias" {
		t.Errorf("inferred primaryType = %q; want Alias", alias.PrimaryType)
	}
	if got := digestHex(t, alias); got != "0x82ed8be33f43c86f9b83d14736e5762c89108fbc9b8b54f6e993818fc8a53525" {
		t.Errorf("alias digest = %s", got)
	}
}

func TestEIP712Refusals(t *testing.T) {
	for name, js := range map[string]string{
		"unknown member type": `{"types": {"M": [{"name": "a", "type": "Thing"}]}, "primaryType": "M", "domain": {}, "message": {"a": 1}}`,
		"no such primary":     `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "N", "domain": {}, "message": {"a": 1}}`,
		"member twice":        `{"types": {"M": [{"name": "a", "type": "uint8"}, {"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {}, "message": {"a": 1}}`,
		"bad name":            `{"types": {"M M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M M", "domain": {}, "message": {"a": 1}}`,
		"key twice":           `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "primaryType": "M", "domain": {}, "message": {"a": 1}}`,
		"unknown field":       `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {}, "message": {"a": 1}, "extra": 1}`,
		"two primaries":       `{"types": {"M": [{"name": "a", "type": "uint8"}], "N": [{"name": "a", "type": "uint8"}]}, "domain": {}, "message": {"a": 1}}`,
		"primary is domain":   `{"types": {"EIP712Domain": [{"name": "name", "type": "string"}]}, "primaryType": "EIP712Domain", "domain": {"name": "x"}, "message": {}}`,
		"array length":        `{"types": {"M": [{"name": "a", "type": "uint8[0]"}]}, "primaryType": "M", "domain": {}, "message": {"a": []}}`,
		"not JSON":            `{"types":`,
		"two values":          `{"types": {"M": []}, "primaryType": "M", "domain": {}, "message": {}} {}`,
	} {
		if _, err := ParseTypedData([]byte(js)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ParseTypedData = %v; want ErrInvalid", name, err)
		}
	}
	for name, js := range map[string]string{
		"missing member":     `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {}, "message": {}}`,
		"out of range":       `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {}, "message": {"a": 256}}`,
		"fraction":           `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {}, "message": {"a": 1.5}}`,
		"fixed array length": `{"types": {"M": [{"name": "a", "type": "uint8[2]"}]}, "primaryType": "M", "domain": {}, "message": {"a": [1]}}`,
		"not a list":         `{"types": {"M": [{"name": "a", "type": "uint8[]"}]}, "primaryType": "M", "domain": {}, "message": {"a": 1}}`,
		"not an object":      `{"types": {"M": [{"name": "p", "type": "P"}], "P": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {}, "message": {"p": 1}}`,
		"string as number":   `{"types": {"M": [{"name": "a", "type": "string"}]}, "primaryType": "M", "domain": {}, "message": {"a": 1}}`,
		"bad bytes":          `{"types": {"M": [{"name": "a", "type": "bytes"}]}, "primaryType": "M", "domain": {}, "message": {"a": "zz"}}`,
		"unknown domain key": `{"types": {"M": [{"name": "a", "type": "uint8"}]}, "primaryType": "M", "domain": {"colour": "red"}, "message": {"a": 1}}`,
		"bad address":        `{"types": {"M": [{"name": "a", "type": "address"}]}, "primaryType": "M", "domain": {}, "message": {"a": "0x12"}}`,
	} {
		td, err := ParseTypedData([]byte(js))
		if err != nil {
			t.Fatalf("%s: ParseTypedData: %v", name, err)
		}
		if _, err := td.Digest(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Digest = %v; want ErrInvalid", name, err)
		}
	}
	// A recursive type is allowed: encodeType lists it once.
	td := parseTD(t, `{"types": {"Mail": [{"name": "contents", "type": "string"}, {"name": "replyTo", "type": "Mail[]"}]}, "primaryType": "Mail", "domain": {}, "message": {"contents": "a", "replyTo": [{"contents": "b", "replyTo": []}]}}`)
	if enc, _ := td.EncodeType("Mail"); enc != "Mail(string contents,Mail[] replyTo)" {
		t.Errorf("EncodeType(recursive) = %q", enc)
	}
	if _, err := td.Digest(); err != nil {
		t.Errorf("Digest(recursive): %v", err)
	}
}

// A real Snapshot proposal signed through a Safe (EIP-1271): its typed
// data and the hash the Safe approved, from snapshot.js's fixtures (see
// testdata/README.md).
func TestEIP712SnapshotProposalApprovedOnchain(t *testing.T) {
	b, err := os.ReadFile("testdata/snapshot-proposal-jpegd-pip92.json")
	if err != nil {
		t.Fatal(err)
	}
	td, err := ParseTypedData(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := digestHex(t, td); got != "0x5bb1dabff7dd20555101d712b36de6f60728d6ebb9cb96f96c4d5ec8a9b77391" {
		t.Errorf("digest = %s", got)
	}
}
