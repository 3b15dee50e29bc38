package loop

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"

	// The sources and sinks attune ships, registered by type name.
	_ "github.com/attune-dao/attune/adapters/install"
)

// sinkNameRE is what a sink's name may be: it names a file in the
// cycle's published directory.
var sinkNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// configuredSink is one entry of the config's sinks, decoded.
type configuredSink struct {
	key, name, typ string
	cfg            adapters.SinkConfig
}

// CheckSinks decodes every entry of cfg's sinks into its type's config
// and checks it, without building the sinks (no secret is read). An
// unknown type, an unknown or mistyped key, a bad value, a name used
// twice or one that cannot name a file are reported together as a
// *config.Error with each entry's line.
func CheckSinks(cfg *config.Config) error {
	_, err := decodeSinks(cfg)
	return err
}

// decodeSinks is CheckSinks returning the decoded entries.
func decodeSinks(cfg *config.Config) ([]configuredSink, error) {
	var out []configuredSink
	var problems []error
	names := map[string]string{}
	for i, s := range cfg.Sinks {
		key := "sinks[" + strconv.Itoa(i) + "]"
		name := s.SinkName()
		switch {
		case !sinkNameRE.MatchString(name):
			field := key + ".name"
			if s.Name == "" {
				field = key + ".type"
			}
			problems = append(problems, cfg.Problem(field, fmt.Sprintf("%q cannot name a sink: use letters, digits, '-', '_' and '.', at most 64", name)))
		case names[name] != "":
			problems = append(problems, cfg.Problem(key+".name", fmt.Sprintf("%q also names %s; give each sink its own name (name: ...)", name, names[name])))
		}
		names[name] = key
		sc, ok := adapters.NewSinkConfig(s.Type)
		if !ok {
			problems = append(problems, cfg.Problem(key+".type", fmt.Sprintf("unknown sink type %q; attune knows %s", s.Type, strings.Join(adapters.SinkTypes(), ", "))))
			continue
		}
		if err := cfg.DecodeSection(key, s.Settings, sc); err != nil {
			problems = append(problems, err)
			continue
		}
		if c, ok := sc.(adapters.Checker); ok {
			for _, fe := range c.Check() {
				problems = append(problems, cfg.Problem(key+"."+fe.Field, fe.Msg))
			}
		}
		out = append(out, configuredSink{key: key, name: name, typ: s.Type, cfg: sc})
	}
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}
	return out, nil
}

// CheckConfig checks cfg as every run does before reading data: the
// model and the parameters in force, the objectives, constraints and
// search space against the model, the sources' and the sinks' sections.
// It reads no data and no secret.
func CheckConfig(cfg *config.Config) error {
	e := &Env{Config: cfg}
	if err := e.setup(); err != nil {
		return err
	}
	if e.spaceErr != nil {
		return e.spaceErr
	}
	if _, err := decodeSources(cfg); err != nil {
		return err
	}
	return CheckSinks(cfg)
}
