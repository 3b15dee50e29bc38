package chain

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/internal/evm"
)

// Type is the source type name this package registers.
const Type = "governor"

func init() {
	adapters.RegisterSource(Type, func() adapters.SourceConfig { return &Config{} })
}

// Families this source reads.
const (
	// OZ is OpenZeppelin Governor, v4 and v5.
	OZ = "oz"
	// Bravo is Compound's GovernorBravo and its forks.
	Bravo = "bravo"
)

// Defaults of the zero Config.
const (
	DefaultMaxRange     = 100_000
	DefaultMinRange     = 1
	DefaultBlockSeconds = 12
	DefaultBatch        = 100
	// MaxBatch bounds batch: providers refuse larger batches (Alchemy
	// takes at most 1000 calls, many others 100).
	MaxBatch = 1000
)

// Config is a governor source's section.
//
//	sources:
//	  - type: governor
//	    rpc_url_env: ETH_RPC_URL   # or rpc_url: http://localhost:8545
//	    family: bravo              # oz or bravo
//	    address: "0xc0Da02939E1441F497fd74F78cE7Decb17B66529"
//	    from_block: 12006099
type Config struct {
	// RPCURL is the node's JSON-RPC endpoint. Providers put the API key
	// in it; prefer RPCURLEnv, which keeps it out of the config.
	RPCURL string `yaml:"rpc_url"`
	// RPCURLEnv names the environment variable holding the endpoint.
	RPCURLEnv string `yaml:"rpc_url_env"`
	// Family is oz or bravo.
	Family string `yaml:"family"`
	// Address is the governor's address (for Bravo, the delegator proxy).
	Address string `yaml:"address"`
	// Token is the governance token; "" reads it from the governor
	// (token() on OpenZeppelin, comp() on Compound's Bravo).
	Token string `yaml:"token"`
	// FromBlock is the first block read, usually the governor's
	// deployment block; ToBlock the last, 0 for the latest.
	FromBlock uint64 `yaml:"from_block"`
	ToBlock   uint64 `yaml:"to_block"`
	// MaxRange is the block span of the first eth_getLogs request and
	// the largest the source grows back to; MinRange the smallest it
	// shrinks to before giving up.
	MaxRange uint64 `yaml:"max_range"`
	MinRange uint64 `yaml:"min_range"`
	// BlockSeconds is the chain's seconds per block, for periods counted
	// in blocks and for blocks not mined yet.
	BlockSeconds float64 `yaml:"block_seconds"`
	// PerMinute limits requests a minute (0: no limit).
	PerMinute float64 `yaml:"per_minute"`
	// Batch is the number of calls sent in one JSON-RPC batch.
	Batch int `yaml:"batch"`
	// TimeoutSeconds bounds each request (0: 30 s).
	TimeoutSeconds float64 `yaml:"timeout_seconds"`
}

// withDefaults returns c with zero fields at their defaults.
func (c Config) withDefaults() Config {
	if c.MaxRange == 0 {
		c.MaxRange = DefaultMaxRange
	}
	if c.MinRange == 0 {
		c.MinRange = DefaultMinRange
	}
	if c.BlockSeconds == 0 {
		c.BlockSeconds = DefaultBlockSeconds
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	return c
}

// Check reports every key that cannot work: the endpoint (exactly one of
// rpc_url and rpc_url_env, an http or https URL), the family, the
// addresses (0x and 40 hex digits; mixed case must be a valid EIP-55
// checksum), the block range, spans, block time, rate and batch.
func (c *Config) Check() []adapters.FieldError {
	var errs []adapters.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, adapters.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.RPCURL != "" && c.RPCURLEnv != "":
		add("rpc_url", "is set along with rpc_url_env; keep one (rpc_url_env keeps a key out of the config)")
	case c.RPCURL == "" && c.RPCURLEnv == "":
		add("rpc_url_env", "is empty; name the environment variable holding the node's JSON-RPC URL (or set rpc_url)")
	case c.RPCURL != "":
		if msg := checkURL(c.RPCURL); msg != "" {
			add("rpc_url", "%s", msg)
		}
	}
	switch c.Family {
	case OZ, Bravo:
	case "":
		add("family", "is empty; want oz (OpenZeppelin Governor) or bravo (GovernorBravo)")
	default:
		add("family", "is %q; want oz (OpenZeppelin Governor) or bravo (GovernorBravo)", c.Family)
	}
	if c.Address == "" {
		add("address", "is empty; want the governor's address (0x and 40 hex digits)")
	} else if _, err := evm.ParseAddress(c.Address); err != nil {
		add("address", "%v", err)
	}
	if c.Token != "" {
		if _, err := evm.ParseAddress(c.Token); err != nil {
			add("token", "%v", err)
		}
	}
	if c.ToBlock != 0 && c.ToBlock < c.FromBlock {
		add("to_block", "is %d, before from_block %d; want a later block, or 0 for the latest", c.ToBlock, c.FromBlock)
	}
	if c.MinRange != 0 && c.MaxRange != 0 && c.MinRange > c.MaxRange {
		add("min_range", "is %d, more than max_range %d", c.MinRange, c.MaxRange)
	}
	if !(c.BlockSeconds >= 0 && c.BlockSeconds <= 3600) {
		add("block_seconds", "is %v; want the chain's seconds per block (12 on Ethereum), above 0 and at most 3600", c.BlockSeconds)
	}
	if !(c.PerMinute >= 0 && c.PerMinute <= 1e6) {
		add("per_minute", "is %v; want requests a minute, 0 for no limit", c.PerMinute)
	}
	if c.Batch < 0 || c.Batch > MaxBatch {
		add("batch", "is %d; want 1 to %d calls a batch (0 for %d)", c.Batch, MaxBatch, DefaultBatch)
	}
	if !(c.TimeoutSeconds >= 0 && c.TimeoutSeconds <= 3600) {
		add("timeout_seconds", "is %v; want seconds a request may take, 0 for 30", c.TimeoutSeconds)
	}
	return errs
}

// checkURL says what is wrong with an endpoint, "" when nothing is.
// The message never repeats the URL: it may hold a key.
func checkURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "is not an http(s) URL; want the node's JSON-RPC endpoint, such as http://localhost:8545"
	}
	return ""
}

// NewSource checks c, resolves the endpoint (from rpc_url_env when set)
// and returns the source.
func (c *Config) NewSource(env adapters.Env) (adapters.Source, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("governor source: %w", errs[0])
	}
	cfg := c.withDefaults()
	endpoint := strings.TrimSpace(cfg.RPCURL)
	if cfg.RPCURLEnv != "" {
		v, err := adapters.Secret{Env: cfg.RPCURLEnv}.Resolve(env)
		if err != nil {
			return nil, fmt.Errorf("governor source: rpc_url_env: %w", err)
		}
		if msg := checkURL(v); msg != "" {
			return nil, fmt.Errorf("governor source: the value of %s %s", cfg.RPCURLEnv, msg)
		}
		endpoint = v
	}
	gov, _ := evm.ParseAddress(cfg.Address)
	s := &Source{cfg: cfg, governor: gov, env: env}
	s.name = fmt.Sprintf("governor %s", gov.Hex())
	s.rpc = &rpcClient{
		http:      httpx.New(cfg.httpOptions(env)),
		url:       endpoint,
		where:     redactEndpoint(endpoint),
		source:    s.name,
		batchSize: cfg.Batch,
	}
	return s, nil
}

// httpOptions are the options of the source's HTTP caller: timeout_seconds
// bounds each attempt, so the client has no timeout of its own (the
// adapters.Env default, a minute for the whole exchange, would cut a
// longer timeout_seconds short), unless env brings its client.
func (c Config) httpOptions(env adapters.Env) httpx.Options {
	hc := env.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	return httpx.Options{HTTP: hc, PerMinute: c.PerMinute, Timeout: time.Duration(c.TimeoutSeconds * float64(time.Second)), Now: env.Now}
}
