// Package install registers every source and sink type attune ships:
// it blank-imports each adapter subpackage, whose init registers its
// type with package adapters. Import it for its side effect where the
// sources and sinks are built (the loop, the command line):
//
//	import _ "github.com/attune-dao/attune/adapters/install"
package install

import (
	_ "github.com/attune-dao/attune/adapters/snapshot" // type snapshot: a Snapshot hub's GraphQL API
)
