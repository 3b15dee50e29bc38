// Package install imports every source and sink type, so that they
// register themselves with package adapters: import it for its side
// effects where configs are decoded.
package install

import (
	_ "github.com/attune-dao/attune/adapters/chain" // type governor
)
