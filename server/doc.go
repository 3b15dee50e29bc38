// Package server is attune's HTTP side: a JSON API under /api/v1 for
// cycles, proposals and reviews; the stewards' review desk, pages
// rendered on the server that work without JavaScript; /healthz,
// /readyz, /metrics and /openapi.json. New builds it over a store.Store;
// the service (attune serve) mounts it with its runner and its publish
// hook.
//
// # Auth
//
// Every API request carries a bearer token; a token's Role decides what
// it may do (viewer: read; steward: also approve, reject, publish and run
// cycles; admin: also verify the audit log). Tokens are kept as SHA-256
// hashes and compared in constant time. The desk signs a browser in with
// a token and gives it a session cookie (Secure, HttpOnly,
// SameSite=Strict, __Host- prefixed) signed with HMAC-SHA256; the session
// names the token's holder and a fingerprint of the token, so a token
// removed or replaced ends its sessions. Every form carries a CSRF token
// derived from the session and is also checked by
// net/http.CrossOriginProtection; a form without its token is refused
// with 403. Every response has a Content-Security-Policy that allows no
// script and no framing, and nosniff, no-referrer and DENY framing
// headers. Neither tokens nor cookies nor form contents are logged.
//
// # Documents
//
// The API answers with the schema package's documents: attune.cycles/v1
// for lists, attune.cycle/v1 for one cycle (with its attune.recommendation/v1
// and attune.proposal/v1 documents), attune.diff/v1, attune.trials/v1 and
// attune.verification/v1; errors are {"error": code, "detail": sentence}.
// Request bodies are JSON objects of at most 64 KiB whose unknown fields
// are refused.
package server
