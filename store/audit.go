package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// auditVersion opens every entry's canonical encoding.
const auditVersion = "attune.audit/v1"

// ZeroHash is the PrevHash of the first entry.
var ZeroHash = strings.Repeat("0", 64)

// Entry is one audit log entry.
type Entry struct {
	Seq  int64
	Time time.Time
	// Actor names who made the change, Action what it was
	// ("cycle.create", "cycle.advance", "cycle.review",
	// "publication.record", "cycle.resume", "cycle.stop") and Subject
	// what it was about
	// ("cycle/12").
	Actor   string
	Action  string
	Subject string
	// Detail is a JSON object with the change's particulars.
	Detail   json.RawMessage
	PrevHash string
	Hash     string
}

// The actions the store records.
const (
	ActionCreate  = "cycle.create"
	ActionAdvance = "cycle.advance"
	ActionReview  = "cycle.review"
	ActionPublish = "publication.record"
	ActionResume  = "cycle.resume"
	ActionStop    = "cycle.stop"
)

// ComputeHash returns the hash e should carry: the hex SHA-256 of its
// canonical encoding (see the package documentation), over every field
// but Hash.
func (e Entry) ComputeHash() string {
	sum := sha256.Sum256(e.canonical())
	return hex.EncodeToString(sum[:])
}

// canonical is the encoding ComputeHash hashes: each field as its length
// (8 bytes, big-endian) and its bytes, so that no two different entries
// encode alike.
func (e Entry) canonical() []byte {
	fields := []string{
		auditVersion,
		strconv.FormatInt(e.Seq, 10),
		strconv.FormatInt(e.Time.UnixNano(), 10),
		e.Actor, e.Action, e.Subject, string(e.Detail), e.PrevHash,
	}
	n := 0
	for _, f := range fields {
		n += 8 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = binary.BigEndian.AppendUint64(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// Head is the audit log's last entry: its number and hash. Written down
// elsewhere, it lets a later Verify prove that nothing before it changed.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// String is "SEQ:HASH".
func (h Head) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

// ParseHead reads a Head written as "SEQ:HASH".
func ParseHead(s string) (Head, error) {
	seqText, hash, ok := strings.Cut(s, ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil || seq < 0 || !isHash(hash) {
		return Head{}, fmt.Errorf("%w: head %q: want SEQ:HASH, a number and 64 lowercase hex digits, as attune audit verify prints it", ErrInvalid, clip(s, 100))
	}
	return Head{Seq: seq, Hash: hash}, nil
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// The kinds of Problem.
const (
	Edited   = "edited"
	Deleted  = "deleted"
	Inserted = "inserted"
)

// Problem is the first break Verify found in the chain.
type Problem struct {
	// Seq is the entry edited, inserted or deleted (for a deletion, the
	// first missing number).
	Seq int64 `json:"seq"`
	// Kind is Edited, Inserted or Deleted.
	Kind string `json:"kind"`
	// Detail says what did not match.
	Detail string `json:"detail"`
}

// Verification is the result of walking the audit log.
type Verification struct {
	// Entries is how many entries were read; Head is what the head row
	// records.
	Entries int64 `json:"entries"`
	Head    Head  `json:"head"`
	// Problem is the first break; nil when the chain is whole.
	Problem *Problem `json:"problem,omitempty"`
}

// Err returns nil for a whole chain, or an error wrapping ErrTampered that
// names the entry.
func (v Verification) Err() error {
	if v.Problem == nil {
		return nil
	}
	return fmt.Errorf("%w: entry %d was %s: %s", ErrTampered, v.Problem.Seq, v.Problem.Kind, v.Problem.Detail)
}

// CheckHead checks that the audit log still holds the entry a head
// written down earlier names, with the same hash. After Verify found the
// chain whole, this proves that nothing up to that entry changed, even if
// someone rewrote the chain and its head. It returns an error wrapping
// ErrTampered if not.
func CheckHead(ctx context.Context, s Store, earlier Head) error {
	if earlier.Seq == 0 {
		return nil
	}
	es, err := s.Audit(ctx, AuditFilter{After: earlier.Seq - 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(es) == 0 || es[0].Seq != earlier.Seq {
		return fmt.Errorf("%w: entry %d, recorded earlier as %s, is missing", ErrTampered, earlier.Seq, short(earlier.Hash))
	}
	if es[0].Hash != earlier.Hash {
		return fmt.Errorf("%w: entry %d's hash is %s, not %s as recorded earlier: the chain up to it was rewritten", ErrTampered, earlier.Seq, short(es[0].Hash), short(earlier.Hash))
	}
	return nil
}

// verifier walks entries in order of Seq and remembers the first break.
type verifier struct {
	head     Head
	expected int64 // the next Seq
	prev     string
	n        int64
	problem  *Problem
}

func newVerifier(head Head) *verifier {
	return &verifier{head: head, expected: 1, prev: ZeroHash}
}

// add checks the next entry; it returns false once a break is found.
func (v *verifier) add(e Entry) bool {
	if v.problem != nil {
		return false
	}
	v.n++
	switch {
	case e.Seq < v.expected:
		v.fail(e.Seq, Inserted, fmt.Sprintf("entry %d is out of the sequence, which continues at %d", e.Seq, v.expected))
	case e.Seq > v.head.Seq:
		v.fail(e.Seq, Inserted, fmt.Sprintf("the head records entries up to %d, but entry %d follows", v.head.Seq, e.Seq))
	case e.Seq > v.expected:
		v.fail(v.expected, Deleted, fmt.Sprintf("entries %d to %d are missing (the next entry is %d)", v.expected, e.Seq-1, e.Seq))
	case e.ComputeHash() != e.Hash:
		v.fail(e.Seq, Edited, "its contents do not match its hash")
	case e.PrevHash != v.prev:
		// e is intact but does not follow the entry before it: that one
		// was replaced by an entry with a recomputed hash.
		v.fail(e.Seq-1, Edited, fmt.Sprintf("entry %d was replaced: entry %d records the hash %s for it, not %s", e.Seq-1, e.Seq, short(e.PrevHash), short(v.prev)))
	default:
		v.expected++
		v.prev = e.Hash
		return true
	}
	return false
}

// finish checks the end of the chain against the head.
func (v *verifier) finish() Verification {
	if v.problem == nil {
		switch last := v.expected - 1; {
		case last < v.head.Seq:
			v.fail(v.expected, Deleted, fmt.Sprintf("the log ends at entry %d but the head records entries up to %d", last, v.head.Seq))
		case v.head.Hash != v.prev:
			v.fail(last, Edited, fmt.Sprintf("the head records the hash %s for it, not %s", short(v.head.Hash), short(v.prev)))
		}
	}
	return Verification{Entries: v.n, Head: v.head, Problem: v.problem}
}

func (v *verifier) fail(seq int64, kind, detail string) {
	v.problem = &Problem{Seq: seq, Kind: kind, Detail: detail}
}

// short abbreviates a hash for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
