package chain

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
)

func TestRegistered(t *testing.T) {
	c, ok := adapters.NewSourceConfig(Type)
	if _, isOurs := c.(*Config); !ok || !isOurs {
		t.Fatalf("source type %q is not registered to *Config", Type)
	}
}

func TestConfigCheck(t *testing.T) {
	good := Config{RPCURLEnv: "ETH_RPC_URL", Family: Bravo, Address: compoundBravo.Hex()}
	if errs := good.Check(); len(errs) != 0 {
		t.Fatalf("a good config: %v", errs)
	}
	lower := good
	lower.Address = strings.ToLower(good.Address)
	if errs := lower.Check(); len(errs) != 0 {
		t.Errorf("an all-lower-case address carries no checksum and is accepted: %v", errs)
	}
	cases := []struct {
		name  string
		edit  func(c *Config)
		field string
	}{
		{"no endpoint", func(c *Config) { c.RPCURLEnv = "" }, "rpc_url_env"},
		{"both endpoints", func(c *Config) { c.RPCURL = "http://localhost:8545" }, "rpc_url"},
		{"not a URL", func(c *Config) { c.RPCURLEnv, c.RPCURL = "", "localhost:8545" }, "rpc_url"},
		{"family", func(c *Config) { c.Family = "aragon" }, "family"},
		{"no family", func(c *Config) { c.Family = "" }, "family"},
		{"bad checksum", func(c *Config) { c.Address = "0xc0da02939E1441F497fd74F78cE7Decb17B66529" }, "address"},
		{"short address", func(c *Config) { c.Address = "0xc0Da02939E1441F497fd74F78cE7Decb17B6652" }, "address"},
		{"token", func(c *Config) { c.Token = "comp" }, "token"},
		{"to before from", func(c *Config) { c.FromBlock, c.ToBlock = 10, 5 }, "to_block"},
		{"min over max", func(c *Config) { c.MinRange, c.MaxRange = 10, 5 }, "min_range"},
		{"block time", func(c *Config) { c.BlockSeconds = -1 }, "block_seconds"},
		{"rate", func(c *Config) { c.PerMinute = -1 }, "per_minute"},
		{"batch", func(c *Config) { c.Batch = MaxBatch + 1 }, "batch"},
		{"timeout", func(c *Config) { c.TimeoutSeconds = -1 }, "timeout_seconds"},
	}
	for _, tc := range cases {
		c := good
		tc.edit(&c)
		errs := c.Check()
		if len(errs) != 1 || errs[0].Field != tc.field {
			t.Errorf("%s: %v; want one problem with %s", tc.name, errs, tc.field)
		}
	}
	// A URL with a key is never repeated in a message.
	c := good
	c.RPCURLEnv, c.RPCURL = "", "mainnet.infura.io/v3/"+testKey
	for _, e := range c.Check() {
		if strings.Contains(e.Msg, testKey) {
			t.Errorf("the key is in the message %q", e.Msg)
		}
	}
}

func TestNewSourceEndpointFromEnv(t *testing.T) {
	c := Config{RPCURLEnv: "ETH_RPC_URL", Family: OZ, Address: ozGovernor.Hex()}
	env := adapters.Env{Getenv: func(k string) string {
		if k == "ETH_RPC_URL" {
			return " https://eth-mainnet.g.alchemy.com/v2/" + testKey + "\n"
		}
		return ""
	}}
	src, err := c.NewSource(env)
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*Source)
	if s.rpc.url != "https://eth-mainnet.g.alchemy.com/v2/"+testKey || strings.Contains(s.rpc.where, testKey) {
		t.Errorf("url %q where %q", s.rpc.url, s.rpc.where)
	}
	if s.cfg.MaxRange != DefaultMaxRange || s.cfg.Batch != DefaultBatch || s.cfg.BlockSeconds != DefaultBlockSeconds {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}
	if _, err := c.NewSource(adapters.Env{}); err == nil || !strings.Contains(err.Error(), "ETH_RPC_URL") {
		t.Errorf("an unset variable: %v; want it named", err)
	}
	bad := adapters.Env{Getenv: func(string) string { return "wss://x/" + testKey }}
	if _, err := c.NewSource(bad); err == nil || strings.Contains(err.Error(), testKey) {
		t.Errorf("a non-http URL in the variable: %v; want an error without the key", err)
	}
}

// timeout_seconds bounds each request, whatever its length: without a
// client of the environment's, the HTTP client has no timeout of its own
// that would cut a longer one short.
func TestTimeoutSecondsIsNotCappedByTheClient(t *testing.T) {
	c := Config{TimeoutSeconds: 300}
	o := c.httpOptions(adapters.Env{})
	if o.Timeout != 300*time.Second || o.HTTP == nil || (o.HTTP.Timeout != 0 && o.HTTP.Timeout < o.Timeout) {
		t.Errorf("timeout %v, client %+v; want 300s per attempt and no shorter client timeout", o.Timeout, o.HTTP)
	}
	mine := &http.Client{}
	if o := c.httpOptions(adapters.Env{HTTP: mine}); o.HTTP != mine {
		t.Error("the environment's client was not used")
	}
}
