// Package install registers every source and sink type attune ships:
// import it for its side effects, as cmd/attune does.
package install

import (
	_ "github.com/attune-dao/attune/adapters/chain"       // source governor
	_ "github.com/attune-dao/attune/adapters/safe"        // sink safe
	_ "github.com/attune-dao/attune/adapters/snapshotsig" // sink snapshot
)
