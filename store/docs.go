package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

// Bounds on what the store accepts.
const (
	maxName     = 200      // a DAO, actor, reviewer or sink name
	maxHash     = 128      // a config or inputs hash
	maxDir      = 4096     // a cycle directory
	maxComment  = 10_000   // a review comment
	maxError    = 8 << 10  // a failure message (clipped, not refused)
	maxReceipt  = 64 << 10 // a publication receipt
	maxDocument = 16 << 20 // a recommendation or proposal document
)

// DecodeRecommendation reads a stored recommendation document
// (attune.recommendation/v1). Unknown fields and trailing data are
// errors wrapping ErrInvalid.
func DecodeRecommendation(b []byte) (schema.RecommendationDoc, error) {
	var d schema.RecommendationDoc
	if err := decodeStrict(b, &d); err != nil {
		return schema.RecommendationDoc{}, fmt.Errorf("%w: stored recommendation: %w", ErrInvalid, err)
	}
	if d.Schema != schema.Recommendation {
		return schema.RecommendationDoc{}, fmt.Errorf("%w: stored recommendation: schema %q, want %q", ErrInvalid, clip(d.Schema, 40), schema.Recommendation)
	}
	return d, nil
}

// DecodeProposal reads a stored proposal document (attune.proposal/v1).
// Unknown fields and trailing data are errors wrapping ErrInvalid.
func DecodeProposal(b []byte) (oracle.ProposalDocument, error) {
	var d oracle.ProposalDocument
	if err := decodeStrict(b, &d); err != nil {
		return oracle.ProposalDocument{}, fmt.Errorf("%w: stored proposal: %w", ErrInvalid, err)
	}
	if d.Schema != schema.Proposal {
		return oracle.ProposalDocument{}, fmt.Errorf("%w: stored proposal: schema %q, want %q", ErrInvalid, clip(d.Schema, 40), schema.Proposal)
	}
	return d, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// checkDocument checks a document before it is stored: valid UTF-8 JSON
// of the kind wanted (its "schema" field) that decodes strictly into its
// Go type, as DecodeRecommendation and DecodeProposal will read it back.
func checkDocument(what, kind string, b []byte) error {
	if len(b) > maxDocument {
		return fmt.Errorf("%w: %s is %d bytes; at most %d are stored", ErrInvalid, what, len(b), maxDocument)
	}
	if !utf8.Valid(b) || !json.Valid(b) {
		return fmt.Errorf("%w: %s is not valid UTF-8 JSON", ErrInvalid, what)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Schema != kind {
		return fmt.Errorf("%w: %s: want a %s document (its \"schema\" field), got %q", ErrInvalid, what, kind, clip(head.Schema, 40))
	}
	var err error
	switch kind {
	case schema.Recommendation:
		_, err = DecodeRecommendation(b)
	case schema.Proposal:
		_, err = DecodeProposal(b)
	}
	return err
}

// checkReceipt checks a publication receipt: a JSON object of valid UTF-8.
func checkReceipt(b []byte) error {
	if len(b) > maxReceipt {
		return fmt.Errorf("%w: receipt is %d bytes; at most %d are stored", ErrInvalid, len(b), maxReceipt)
	}
	var m map[string]json.RawMessage
	if !utf8.Valid(b) || json.Unmarshal(b, &m) != nil || m == nil {
		return fmt.Errorf("%w: receipt is not a JSON object of valid UTF-8, e.g. {\"id\": \"...\", \"url\": \"...\"}", ErrInvalid)
	}
	return nil
}

// checkName checks a required one-line name (DAO, actor, reviewer, sink).
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalid, what)
	}
	return checkText(what, s, maxName, false)
}

// checkText checks text for the database: valid UTF-8 of at most max
// bytes, without control characters (tabs and newlines allowed when
// multiline).
func checkText(what, s string, max int, multiline bool) error {
	if len(s) > max {
		return fmt.Errorf("%w: %s is %d bytes; at most %d are allowed", ErrInvalid, what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalid, what, clip(s, 40))
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return fmt.Errorf("%w: %s %q contains the control character %U", ErrInvalid, what, clip(s, 40), r)
		}
	}
	return nil
}

// clipError shortens a failure message to maxError bytes, on a rune
// boundary, and makes it valid UTF-8 without NUL (PostgreSQL's text
// refuses both).
func clipError(s string) string {
	s = string(bytes.ToValidUTF8(bytes.ReplaceAll([]byte(s), []byte{0}, nil), []byte("\uFFFD")))
	if len(s) <= maxError {
		return s
	}
	const tail = " … (clipped)"
	cut := maxError - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

// clip shortens s for quoting in a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
