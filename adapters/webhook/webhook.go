// Package webhook is the sink that POSTs a published proposal as JSON to
// a URL: attune's own document, signed so that the receiver can tell it
// came from attune and is not a replay, or a Slack or Discord message.
//
// Config (its entry of sinks):
//
//	sinks:
//	  - type: webhook
//	    url: https://hooks.example.org/attune   # or url_from: {env: SLACK_WEBHOOK_URL}
//	    format: attune                          # attune (default), slack or discord
//	    secret: {env: ATTUNE_WEBHOOK_SECRET}    # the HMAC key; required for attune
//	    max_retries: 4                          # 429, 5xx and network failures
//
// Slack's and Discord's webhook URLs hold their token: give them with
// url_from, from the environment or a file, never in the config. The
// attune format is an Event; its signature (SignatureHeader) is
// HMAC-SHA256 over the time and the body, and Verify is the receiver's
// check of it.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/adapters/internal/sinkutil"
	"github.com/attune-dao/attune/oracle"
)

// Type is the sink's type name in the config.
const Type = "webhook"

// The formats of the body.
const (
	FormatAttune  = "attune"
	FormatSlack   = "slack"
	FormatDiscord = "discord"
)

// Formats lists the values of format.
var Formats = []string{FormatAttune, FormatSlack, FormatDiscord}

// DiscordMaxContent is the most UTF-16 code units Discord accepts in a
// message's content.
const DiscordMaxContent = 2000

func init() { adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} }) }

// Config is the webhook sink's section.
type Config struct {
	// URL is the endpoint, when it holds no secret; URLFrom reads it from
	// the environment or a file instead. Exactly one is set.
	URL     string          `yaml:"url"`
	URLFrom adapters.Secret `yaml:"url_from"`
	// Format is attune (the default), slack or discord.
	Format string `yaml:"format"`
	// Secret is the key of the HMAC-SHA256 signature; required for the
	// attune format, sent with the others when set.
	Secret adapters.Secret `yaml:"secret"`
	// MaxRetries bounds the retries of 429, 5xx and network failures; 0
	// means none, absent httpx's default.
	MaxRetries *int `yaml:"max_retries"`
}

func (c *Config) format() string {
	if c.Format == "" {
		return FormatAttune
	}
	return c.Format
}

// Check reports a missing or doubled URL, an unknown format, an attune
// format without a secret and bad retries.
func (c *Config) Check() []adapters.FieldError {
	var errs []adapters.FieldError
	switch {
	case c.URL != "" && !c.URLFrom.IsZero():
		errs = append(errs, adapters.FieldError{Field: "url", Msg: "is given with url_from; keep one"})
	case c.URL == "" && c.URLFrom.IsZero():
		errs = append(errs, adapters.FieldError{Field: "url", Msg: "is missing; give url: https://..., or url_from: {env: VAR} when the URL holds a token (Slack, Discord)"})
	case c.URL != "":
		errs = append(errs, sinkutil.CheckURL("url", c.URL, "https://hooks.example.org/attune")...)
	}
	errs = append(errs, c.URLFrom.Check("url_from")...)
	if !slices.Contains(Formats, c.format()) {
		errs = append(errs, adapters.FieldError{Field: "format", Msg: fmt.Sprintf("%q: want one of %s", c.Format, strings.Join(Formats, ", "))})
	}
	if c.format() == FormatAttune && c.Secret.IsZero() {
		errs = append(errs, adapters.FieldError{Field: "secret", Msg: "is missing; the attune format is signed: give secret: {env: VAR} or {file: PATH}, the key the receiver verifies with"})
	}
	errs = append(errs, c.Secret.Check("secret")...)
	return append(errs, sinkutil.CheckRetries(c.MaxRetries)...)
}

// NewSink resolves the URL and the secret and returns the sink.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	return c.build(env, httpx.Options{})
}

func (c *Config) build(env adapters.Env, o httpx.Options) (*Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("webhook: %w", errs[0])
	}
	s := &Sink{format: c.format(), env: env, client: sinkutil.NewClient(env, c.MaxRetries, o)}
	raw := c.URL
	s.where = raw
	if raw == "" {
		var err error
		if raw, err = c.URLFrom.Resolve(env); err != nil {
			return nil, fmt.Errorf("webhook: url_from: %w", err)
		}
		s.where = secretPlace(c.URLFrom)
		// The value is a secret: say what is wrong with it, never what
		// it is.
		if len(sinkutil.CheckURL("url", raw, "")) > 0 {
			return nil, fmt.Errorf("webhook: the URL in %s is not an http(s) URL", s.where)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook: the URL in %s does not parse", s.where)
	}
	if s.format == FormatDiscord {
		// Discord then answers with the message it created.
		q := u.Query()
		q.Set("wait", "true")
		u.RawQuery = q.Encode()
	}
	s.url = u.String()
	if !c.Secret.IsZero() {
		if s.secret, err = c.Secret.Resolve(env); err != nil {
			return nil, fmt.Errorf("webhook: secret: %w", err)
		}
	}
	return s, nil
}

// secretPlace names where a secret is read from, never its value.
func secretPlace(s adapters.Secret) string {
	if s.Env != "" {
		return "$" + s.Env
	}
	return "file " + s.File
}

// Sink posts publications to one URL.
type Sink struct {
	url, format, secret string
	// where names the URL in messages: the URL itself, or where it was
	// read from when it is a secret.
	where  string
	env    adapters.Env
	client *httpx.Client
}

// Event is the body of the attune format.
type Event struct {
	// Event is "proposal.published".
	Event string `json:"event"`
	// Key identifies the publication: the same on every delivery of it.
	Key     string `json:"key"`
	CycleID string `json:"cycle_id"`
	DAO     string `json:"dao"`
	Title   string `json:"title"`
	// Summary is the post's opening paragraph.
	Summary string `json:"summary"`
	// Links are where sinks before this one published it.
	Links []adapters.Link `json:"links"`
	// Proposal is the proposal as data (attune.proposal/v1).
	Proposal oracle.ProposalDocument `json:"proposal"`
}

// EventPublished is Event.Event.
const EventPublished = "proposal.published"

// Body is the JSON s posts for p.
func (s *Sink) Body(p *adapters.Publication) ([]byte, error) {
	if p.Proposal == nil || p.Recommendation == nil {
		return nil, adapters.NotSent(errors.New("webhook: the publication has no proposal"))
	}
	var v any
	switch s.format {
	case FormatSlack:
		v = slackMessage(p)
	case FormatDiscord:
		v = discordMessage(p)
	default:
		links := p.Links
		if links == nil {
			links = []adapters.Link{}
		}
		v = Event{Event: EventPublished, Key: p.Key, CycleID: p.CycleID, DAO: p.DAO, Title: p.Proposal.Title,
			Summary: sinkutil.Summary(p.Proposal.Post), Links: links, Proposal: oracle.Document(*p.Proposal, *p.Recommendation)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, adapters.NotSent(fmt.Errorf("webhook: encode: %w", err))
	}
	return b, nil
}

// Publish posts p. The receipt's ID is the SHA-256 of the body, or the
// message's id when Discord returns it.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	body, err := s.Body(p)
	if err != nil {
		return adapters.Receipt{}, err
	}
	h := http.Header{KeyHeader: {p.Key}}
	if s.secret != "" {
		h.Set(SignatureHeader, Sign(s.secret, s.env.Clock(), body))
	}
	resp, err := sinkutil.Send(ctx, s.client, http.MethodPost, s.url, body, "application/json", h)
	if err != nil {
		return adapters.Receipt{}, s.explain(err)
	}
	sum := sha256.Sum256(body)
	r := adapters.Receipt{ID: "sha256:" + hex.EncodeToString(sum[:])}
	if s.format == FormatDiscord {
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(resp.Body, &m) == nil && m.ID != "" {
			r.ID = m.ID
		}
	}
	s.env.Log().Info("published", "sink", Type, "format", s.format, "to", s.where, "id", r.ID)
	return r, nil
}

// explain turns a failed POST into an error that names the endpoint as
// s.where (never a secret URL) and says what the receiver answered.
func (s *Sink) explain(err error) error {
	he := sinkutil.HTTPError(err)
	if he == nil {
		return fmt.Errorf("webhook %s: %w", s.where, err)
	}
	he.Op, he.URL = http.MethodPost, s.where
	hint := ""
	switch {
	case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
		hint = "; the receiver refused the credentials: check the secret, or the token in the URL"
	case he.Status == http.StatusNotFound || he.Status == http.StatusGone:
		hint = "; the webhook is gone: create a new one and update the URL"
	case he.Status == http.StatusBadRequest:
		hint = "; the receiver rejected the body (a stale signature if its clock is off, or a payload it does not take)"
	}
	return fmt.Errorf("webhook: %w%s", err, hint)
}

// Preview is the body Publish would post; a URL read from a secret is
// named by where it comes from.
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	body, err := s.Body(p)
	if err != nil {
		return nil, err
	}
	return []adapters.Outgoing{{Target: "POST " + s.where, ContentType: "application/json", Body: body}}, nil
}

// slackMessage is a Slack incoming-webhook message: text for
// notifications, blocks for the channel.
func slackMessage(p *adapters.Publication) map[string]any {
	title := sinkutil.Truncate(p.Proposal.Title, 150) // a header block's limit
	summary := slackEscape(sinkutil.Summary(p.Proposal.Post))
	blocks := []map[string]any{
		{"type": "header", "text": map[string]any{"type": "plain_text", "text": title}},
		{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": sinkutil.Truncate(summary, 3000)}},
	}
	if ch := sinkutil.Changes(p); len(ch) > 0 {
		var b strings.Builder
		for _, c := range ch {
			fmt.Fprintf(&b, "• *%s*: %s → %s\n", slackEscape(c.Name), slackEscape(c.From), slackEscape(c.To))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": sinkutil.Truncate(strings.TrimSpace(b.String()), 3000)}})
	}
	var ctx []map[string]any
	for _, l := range p.Links {
		ctx = append(ctx, map[string]any{"type": "mrkdwn", "text": fmt.Sprintf("<%s|Read it on %s>", slackEscape(l.URL), slackEscape(l.Sink))})
	}
	ctx = append(ctx, map[string]any{"type": "mrkdwn", "text": "attune cycle `" + slackEscape(p.CycleID) + "`"})
	blocks = append(blocks, map[string]any{"type": "context", "elements": ctx})
	return map[string]any{"text": title + ": " + summary, "blocks": blocks}
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// discordMessage is a Discord webhook message: the title, the links, and
// as much of the summary and the changes as fits in DiscordMaxContent,
// pinging nobody whatever the text holds.
func discordMessage(p *adapters.Publication) map[string]any {
	head := "**" + strings.ReplaceAll(sinkutil.Truncate(p.Proposal.Title, 200), "*", "\\*") + "**\n"
	var foot strings.Builder
	for _, l := range p.Links {
		fmt.Fprintf(&foot, "\n%s: <%s>", l.Sink, l.URL)
	}
	var mid strings.Builder
	mid.WriteString(sinkutil.Summary(p.Proposal.Post))
	if ch := sinkutil.Changes(p); len(ch) > 0 {
		mid.WriteString("\n")
		for _, c := range ch {
			fmt.Fprintf(&mid, "\n• %s: %s → %s", c.Name, c.From, c.To)
		}
	}
	body := fitUTF16(mid.String(), DiscordMaxContent-utf16Len(head)-utf16Len(foot.String()))
	// Links too long to leave room are cut last.
	content := fitUTF16(head+body+foot.String(), DiscordMaxContent)
	return map[string]any{"content": content, "allowed_mentions": map[string]any{"parse": []string{}}}
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// fitUTF16 is s cut (ending in "…") to at most n UTF-16 code units, as
// Discord counts; "" when not even the ellipsis fits.
func fitUTF16(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	// The longest cut that fits: a cut's length grows with k.
	k := sort.Search(utf8.RuneCountInString(s)+1, func(k int) bool { return utf16Len(sinkutil.Truncate(s, k)) > n }) - 1
	if k <= 0 {
		return ""
	}
	return sinkutil.Truncate(s, k)
}
