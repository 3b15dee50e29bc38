// Package adapters connects attune to where a DAO's governance lives:
// sources read its history in, sinks publish approved proposals out.
//
// Each source or sink type is a subpackage that owns its config section
// and registers itself by type name in init, the way database/sql drivers
// and Prometheus service discovery do; adapters/install imports them all.
// The loop knows them only through the small interfaces here: Source (with
// the optional Incremental beside it) and Sink (with Previewer and Finder).
//
// A source's section is its entry in the config's sources list minus the
// keys common to every source (type, window_days, dao); a sink's is its
// entry in sinks minus type and name. The caller decodes a section
// strictly into the struct the type registered (an unknown key is an
// error naming its line) and then calls Check when the struct has one.
package adapters
