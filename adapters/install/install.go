// Package install registers every source and sink type attune ships, for
// a binary (or the loop) to import for its side effects:
//
//	import _ "github.com/attune-dao/attune/adapters/install"
package install

import (
	// The sinks.
	_ "github.com/attune-dao/attune/adapters/discourse"
	_ "github.com/attune-dao/attune/adapters/github"
	_ "github.com/attune-dao/attune/adapters/markdown"
	_ "github.com/attune-dao/attune/adapters/webhook"
)
