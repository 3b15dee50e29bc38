// Package install registers every source and sink type attune ships:
// it blank-imports each adapter subpackage, whose init registers its
// type with package adapters. Import it for its side effects where the
// sources and sinks are built, as the loop does:
//
//	import _ "github.com/attune-dao/attune/adapters/install"
package install

import (
	_ "github.com/attune-dao/attune/adapters/chain"       // source governor
	_ "github.com/attune-dao/attune/adapters/discourse"   // sink discourse: a topic on a Discourse forum
	_ "github.com/attune-dao/attune/adapters/exec"        // source exec
	_ "github.com/attune-dao/attune/adapters/file"        // sources history, file
	_ "github.com/attune-dao/attune/adapters/github"      // sink github: an issue in a repository
	_ "github.com/attune-dao/attune/adapters/markdown"    // sink markdown: post, appendix and charts as files
	_ "github.com/attune-dao/attune/adapters/safe"        // sink safe
	_ "github.com/attune-dao/attune/adapters/snapshot"    // source snapshot: a Snapshot hub's GraphQL API
	_ "github.com/attune-dao/attune/adapters/snapshotsig" // sink snapshot
	_ "github.com/attune-dao/attune/adapters/webhook"     // sink webhook: signed JSON, Slack or Discord
)
