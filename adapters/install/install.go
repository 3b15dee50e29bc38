// Package install registers every source and sink type attune ships:
// import it for its side effects, as the loop does, and each type is
// available by name in a config's sources and sinks.
//
//	import _ "github.com/attune-dao/attune/adapters/install"
package install

import (
	// Sources.
	_ "github.com/attune-dao/attune/adapters/exec"
	_ "github.com/attune-dao/attune/adapters/file"
)
