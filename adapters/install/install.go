// Package install registers every source and sink type attune ships:
// import it for its side effects, as the loop and cmd/attune do, and each
// type is available by name in a config's sources and sinks.
//
//	import _ "github.com/attune-dao/attune/adapters/install"
package install

import (
	_ "github.com/attune-dao/attune/adapters/exec"        // sources exec
	_ "github.com/attune-dao/attune/adapters/file"        // sources history, file
	_ "github.com/attune-dao/attune/adapters/safe"        // sink safe
	_ "github.com/attune-dao/attune/adapters/snapshotsig" // sink snapshot
)
