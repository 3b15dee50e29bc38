// Package install registers every sampler attune ships. Import it for its
// side effects.
package install

import (
	// Each registers itself by name.
	_ "github.com/attune-dao/attune/optimizer/sampling/auto"
	_ "github.com/attune-dao/attune/optimizer/sampling/cmaes"
	_ "github.com/attune-dao/attune/optimizer/sampling/gp"
	_ "github.com/attune-dao/attune/optimizer/sampling/qmc"
	_ "github.com/attune-dao/attune/optimizer/sampling/random"
	_ "github.com/attune-dao/attune/optimizer/sampling/tpe"
)
