package config

import (
	"strings"
	"testing"
)

func TestOnchainLoads(t *testing.T) {
	c := mustLoad(t, "dao:\n  onchain: {address: \"0xc0Da02939E1441F497fd74F78cE7Decb17B66529\", clock: blocks, block_seconds: 12, token_decimals: 0, quorum_denominator: 1000}\n")
	o := c.DAO.Onchain
	if o.Address != "0xc0Da02939E1441F497fd74F78cE7Decb17B66529" || o.Clock != "blocks" || o.BlockSeconds != 12 ||
		o.TokenDecimals == nil || *o.TokenDecimals != 0 || o.QuorumDenominator != 1000 {
		t.Errorf("onchain %+v", o)
	}
}

// Each bad onchain setting is reported at its line with what to give.
func TestOnchainProblemsNameLine(t *testing.T) {
	_, _, err := loadFile(t, "dao:\n  onchain:\n    address: 0xabc\n    clock: slots\n    block_seconds: -1\n    token_decimals: 40\n    quorum_denominator: -5\n")
	e := asError(t, err)
	for key, want := range map[string]struct {
		line int
		msg  string
	}{
		"dao.onchain.address":            {3, "is not an address"},
		"dao.onchain.clock":              {4, `"slots" is not a clock; use blocks or timestamp`},
		"dao.onchain.block_seconds":      {5, "give the seconds per block"},
		"dao.onchain.token_decimals":     {6, "want 0 to 36"},
		"dao.onchain.quorum_denominator": {7, "is negative"},
	} {
		p := problemFor(t, e, key)
		if p.Line != want.line || !strings.Contains(p.Msg, want.msg) {
			t.Errorf("%s: %+v; want line %d and %q", key, p, want.line, want.msg)
		}
	}
}
