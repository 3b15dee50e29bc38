package adapters

import (
	"context"

	"github.com/attune-dao/attune/oracle"
)

// Sink publishes an approved proposal where the DAO works: files, a forum,
// an issue tracker, a message a steward signs. A sink never holds a
// private key. Publish is called at most once per successful publication:
// the caller records the Receipt and does not call again for the same
// cycle.
type Sink interface {
	Publish(ctx context.Context, p *Publication) (Receipt, error)
}

// Publication is what a sink publishes: one cycle's approved proposal.
type Publication struct {
	// CycleID identifies the cycle; DAO is the DAO's name.
	CycleID, DAO string
	// Key identifies this publication at any destination and is the same
	// on every retry ("attune:<cycle-id>"); sinks that can, embed it so
	// that Finder can recognise an earlier publication.
	Key string
	// Recommendation is what the cycle concluded; Proposal is its
	// drafted post and appendix.
	Recommendation *oracle.Recommendation
	Proposal       *oracle.Proposal
	// Files are attachments: the charts the post refers to by name.
	Files []File
	// Links are where sinks before this one put the same publication,
	// in the config's order (a forum topic that a chat message or a
	// Snapshot proposal links to); empty when none has a URL.
	Links []Link
}

// Link is where one sink published a publication.
type Link struct {
	// Sink is the sink's name in the config, Type its type.
	Sink string `json:"sink"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Marker is the HTML comment that carries p.Key in a Markdown text a
// sink publishes, invisible when rendered, so that a Finder recognises
// the text as this publication.
func (p *Publication) Marker() string { return "<!-- " + p.Key + " -->" }

// File is an attachment.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Receipt is what a sink published: the destination's id for it (topic
// id, issue number, file path, message hash), a URL when there is one,
// and the local files written, if any.
type Receipt struct {
	ID    string   `json:"id"`
	URL   string   `json:"url,omitempty"`
	Files []string `json:"files,omitempty"`
}

// Outgoing is one thing a sink would send or write: where, as what, and
// the bytes (secrets left out).
type Outgoing struct {
	Target      string `json:"target"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// Previewer is implemented by sinks that can say what Publish would send
// without sending it (publish --dry-run).
type Previewer interface {
	Preview(ctx context.Context, p *Publication) ([]Outgoing, error)
}

// Finder is implemented by sinks that can find a publication made
// earlier, by p.Key, when the record of it was lost (a crash between the
// destination's answer and the record). found is false when there is
// none.
type Finder interface {
	Find(ctx context.Context, p *Publication) (r Receipt, found bool, err error)
}
