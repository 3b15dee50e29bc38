// Package discourse is the sink that opens a topic for a proposal on a
// Discourse forum through its API: the charts are uploaded first
// (POST /uploads.json) and shown in the post, then the topic is created
// (POST /posts.json) in the configured category, the appendix folded
// under a [details] block.
//
// Config (its entry of sinks):
//
//	sinks:
//	  - type: discourse
//	    base_url: https://forum.example.org
//	    category: 7                              # the category's id
//	    api_username: attune-bot                 # the user the topic is posted as
//	    api_key: {env: DISCOURSE_API_KEY}        # or {file: PATH}
//	    tags: [governance]                       # optional
//	    max_retries: 4                           # 429, 5xx and network failures
//
// The topic carries the publication's key twice: as its external_id
// ("attune-<cycle-id>", which Discourse keeps unique) and in an HTML
// comment at the end of the post. Find looks the topic up by the first
// and, on forums older than external ids, by the second among the
// category's topics of the same title, so that a publish interrupted
// between the forum's answer and attune's record never posts twice.
package discourse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/adapters/internal/sinkutil"
)

// Type is the sink's type name in the config.
const Type = "discourse"

// MaxExternalID is the longest external_id Discourse stores
// (Topic::EXTERNAL_ID_MAX_LENGTH).
const MaxExternalID = 50

func init() { adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} }) }

// Config is the discourse sink's section.
type Config struct {
	// BaseURL is the forum's address, https://forum.example.org.
	BaseURL string `yaml:"base_url"`
	// Category is the id of the category the topic opens in.
	Category int `yaml:"category"`
	// APIUsername is the user the topic is posted as; APIKey is an API
	// key for that user (or an All Users key), from the environment or
	// a file.
	APIUsername string          `yaml:"api_username"`
	APIKey      adapters.Secret `yaml:"api_key"`
	// Tags are added to the topic, when the forum has tagging on.
	Tags []string `yaml:"tags"`
	// MaxRetries bounds the retries of 429, 5xx and network failures;
	// 0 means none, absent httpx's default.
	MaxRetries *int `yaml:"max_retries"`
}

// Check reports missing or malformed keys.
func (c *Config) Check() []adapters.FieldError {
	errs := sinkutil.CheckURL("base_url", c.BaseURL, "https://forum.example.org")
	if c.Category <= 0 {
		errs = append(errs, adapters.FieldError{Field: "category", Msg: "is missing; give the id of the category the topic opens in (the number in the category's URL, /c/governance/7)"})
	}
	if strings.TrimSpace(c.APIUsername) == "" {
		errs = append(errs, adapters.FieldError{Field: "api_username", Msg: "is empty; give the forum user the topic is posted as"})
	}
	if c.APIKey.IsZero() {
		errs = append(errs, adapters.FieldError{Field: "api_key", Msg: "is missing; give api_key: {env: DISCOURSE_API_KEY} or {file: PATH} (Admin > API > New API Key)"})
	}
	errs = append(errs, c.APIKey.Check("api_key")...)
	for i, t := range c.Tags {
		if strings.TrimSpace(t) == "" || strings.ContainsFunc(t, unicode.IsSpace) {
			errs = append(errs, adapters.FieldError{Field: "tags[" + strconv.Itoa(i) + "]", Msg: fmt.Sprintf("%q: a tag is one word without spaces", t)})
		}
	}
	return append(errs, sinkutil.CheckRetries(c.MaxRetries)...)
}

// NewSink resolves the API key and returns the sink.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	return c.build(env, httpx.Options{})
}

func (c *Config) build(env adapters.Env, o httpx.Options) (*Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("discourse: %w", errs[0])
	}
	key, err := c.APIKey.Resolve(env)
	if err != nil {
		return nil, fmt.Errorf("discourse: api_key: %w", err)
	}
	return &Sink{cfg: *c, base: strings.TrimRight(c.BaseURL, "/"), key: key, keyFrom: place(c.APIKey),
		env: env, client: sinkutil.NewClient(env, c.MaxRetries, o)}, nil
}

func place(s adapters.Secret) string {
	if s.Env != "" {
		return "$" + s.Env
	}
	return "the file " + s.File
}

// Sink opens topics on one forum.
type Sink struct {
	cfg          Config
	base         string
	key, keyFrom string
	env          adapters.Env
	client       *httpx.Client
}

// upload is what POST /uploads.json answers (the fields used).
type upload struct {
	ID               int    `json:"id"`
	URL              string `json:"url"`
	OriginalFilename string `json:"original_filename"`
	ShortURL         string `json:"short_url"`
	Extension        string `json:"extension"`
}

// createdPost is what POST /posts.json answers (the fields used).
type createdPost struct {
	ID        int    `json:"id"`
	TopicID   int    `json:"topic_id"`
	TopicSlug string `json:"topic_slug"`
}

// newTopic is the body of POST /posts.json.
type newTopic struct {
	Title      string   `json:"title"`
	Raw        string   `json:"raw"`
	Category   int      `json:"category"`
	ExternalID string   `json:"external_id"`
	Tags       []string `json:"tags,omitempty"`
}

func (s *Sink) header() http.Header {
	return http.Header{"Api-Key": {s.key}, "Api-Username": {s.cfg.APIUsername}, "Accept": {"application/json"}}
}

// ExternalID is the topic's external_id for a publication key: the key
// with every character other than a letter, a digit, - and _ replaced by "-", or a hash
// of it when longer than MaxExternalID.
func ExternalID(key string) string {
	id := strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return r
		}
		return '-'
	}, key)
	if len(id) > MaxExternalID {
		sum := sha256.Sum256([]byte(key))
		id = "attune-" + hex.EncodeToString(sum[:])[:MaxExternalID-len("attune-")]
	}
	return id
}

// raw is the post's Markdown: the post, the charts as uploaded, the
// appendix folded, and the key.
func raw(p *adapters.Publication, ups []upload) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(p.Proposal.Post, "\n"))
	b.WriteString("\n")
	for _, u := range ups {
		name := strings.NewReplacer("[", "", "]", "", "|", "").Replace(u.OriginalFilename)
		if isImage(u.Extension) {
			fmt.Fprintf(&b, "\n![%s](%s)\n", name, u.ShortURL)
		} else {
			fmt.Fprintf(&b, "\n[%s|attachment](%s)\n", name, u.ShortURL)
		}
	}
	if a := strings.TrimSpace(p.Proposal.Appendix); a != "" {
		b.WriteString("\n[details=\"Appendix\"]\n\n" + a + "\n\n[/details]\n")
	}
	b.WriteString("\n" + p.Marker() + "\n")
	return b.String()
}

func isImage(ext string) bool {
	switch strings.ToLower(ext) {
	case "png", "jpg", "jpeg", "gif", "webp", "svg", "avif":
		return true
	}
	return false
}

func check(p *adapters.Publication) error {
	if p.Proposal == nil || strings.TrimSpace(p.Proposal.Title) == "" {
		return adapters.NotSent(errors.New("discourse: the publication has no proposal title"))
	}
	return nil
}

// Publish uploads p's files, then opens the topic. The receipt's ID is
// the topic's id and its URL the topic's address.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	if err := check(p); err != nil {
		return adapters.Receipt{}, err
	}
	var ups []upload
	for _, f := range p.Files {
		u, err := s.upload(ctx, f)
		if err != nil {
			return adapters.Receipt{}, err
		}
		ups = append(ups, u)
	}
	body, err := json.Marshal(newTopic{Title: p.Proposal.Title, Raw: raw(p, ups), Category: s.cfg.Category,
		ExternalID: ExternalID(p.Key), Tags: s.cfg.Tags})
	if err != nil {
		return adapters.Receipt{}, adapters.NotSent(fmt.Errorf("discourse: encode the topic: %w", err))
	}
	resp, err := sinkutil.Send(ctx, s.client, http.MethodPost, s.base+"/posts.json", body, "application/json", s.header())
	if err != nil {
		return adapters.Receipt{}, s.explain(err)
	}
	var post createdPost
	if err := json.Unmarshal(resp.Body, &post); err != nil || post.TopicID <= 0 {
		return adapters.Receipt{}, fmt.Errorf("discourse: POST %s/posts.json answered 2xx without a topic id (%.200s); the topic may exist: look in category %d", s.base, resp.Body, s.cfg.Category)
	}
	r := s.receipt(post.TopicID, post.TopicSlug)
	s.env.Log().Info("published", "sink", Type, "topic", r.ID, "url", r.URL)
	return r, nil
}

func (s *Sink) receipt(id int, slug string) adapters.Receipt {
	if slug == "" {
		slug = "-"
	}
	return adapters.Receipt{ID: strconv.Itoa(id), URL: s.base + "/t/" + url.PathEscape(slug) + "/" + strconv.Itoa(id)}
}

// upload sends one file as a composer upload.
func (s *Sink) upload(ctx context.Context, f adapters.File) (upload, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// upload_type since Discourse 3.4, type before it: both, so that old
	// and new forums take it.
	_ = mw.WriteField("upload_type", "composer")
	_ = mw.WriteField("type", "composer")
	_ = mw.WriteField("synchronous", "true")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, f.Name))
	ct := f.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	w, err := mw.CreatePart(h)
	if err == nil {
		_, err = w.Write(f.Data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return upload{}, adapters.NotSent(fmt.Errorf("discourse: encode the upload of %s: %w", f.Name, err))
	}
	resp, err := sinkutil.Send(ctx, s.client, http.MethodPost, s.base+"/uploads.json", buf.Bytes(), mw.FormDataContentType(), s.header())
	if err != nil {
		// No topic is made when an upload fails.
		return upload{}, adapters.NotSent(fmt.Errorf("upload %s: %w", f.Name, s.explain(err)))
	}
	var u upload
	if err := json.Unmarshal(resp.Body, &u); err != nil || u.ShortURL == "" {
		return upload{}, adapters.NotSent(fmt.Errorf("discourse: POST %s/uploads.json for %s answered without a short_url (%.200s)", s.base, f.Name, resp.Body))
	}
	if u.OriginalFilename == "" {
		u.OriginalFilename = f.Name
	}
	return u, nil
}

// apiError is Discourse's error body: {"errors": [...], "error_type":
// "...", "extras": {"wait_seconds": N}} (and "action" on a failed post).
type apiError struct {
	Action    string   `json:"action"`
	Errors    []string `json:"errors"`
	ErrorType string   `json:"error_type"`
	Extras    struct {
		WaitSeconds float64 `json:"wait_seconds"`
	} `json:"extras"`
}

// decodeError reads Discourse's error body; ok is false when body is not
// one.
func decodeError(body string) (e apiError, ok bool) {
	if json.Unmarshal([]byte(body), &e) != nil || (len(e.Errors) == 0 && e.ErrorType == "") {
		return apiError{}, false
	}
	return e, true
}

// explain turns a failed request into an error saying what Discourse
// answered and what to do.
func (s *Sink) explain(err error) error {
	he := sinkutil.HTTPError(err)
	if he == nil || he.Status == 0 {
		return fmt.Errorf("discourse %s: %w", s.base, err)
	}
	said := sinkutil.Said(he)
	ae, ok := decodeError(he.Body)
	if ok && len(ae.Errors) > 0 {
		said = strings.Join(ae.Errors, "; ")
	}
	var hint string
	switch he.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		if ae.ErrorType == "invalid_access" || he.Status == http.StatusUnauthorized {
			hint = fmt.Sprintf("check the key in %s and that user %q exists and may post in category %d (an All Users key, or one for that user with topics:write and uploads:create)", s.keyFrom, s.cfg.APIUsername, s.cfg.Category)
		} else {
			hint = fmt.Sprintf("user %q may not do this in category %d", s.cfg.APIUsername, s.cfg.Category)
		}
	case http.StatusNotFound:
		hint = fmt.Sprintf("check base_url %s and category %d", s.base, s.cfg.Category)
	case http.StatusRequestEntityTooLarge:
		hint = "the file is larger than the forum's max_image_size_kb"
	case http.StatusUnprocessableEntity:
		hint = "the forum refused the topic as it stands"
		if strings.Contains(said, "already been used") {
			hint = "a topic of this title exists; if attune opened it, publish again and it is found by its key, else rename that topic"
		}
	case http.StatusTooManyRequests:
		hint = "the forum's rate limit; publish again later"
		if ae.Extras.WaitSeconds > 0 {
			hint = fmt.Sprintf("the forum's rate limit: publish again after %.0f seconds", ae.Extras.WaitSeconds)
		}
	default:
		hint = "the forum failed; publish again later"
	}
	return sinkutil.Explained(err, he, fmt.Sprintf("discourse: %s at %s: HTTP %d: %s; %s", he.Op, s.base, he.Status, strings.TrimSpace(said), hint))
}

// Preview is what Publish would send: each upload, then the topic (whose
// chart links are the upload's once made).
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	var out []adapters.Outgoing
	var ups []upload
	for _, f := range p.Files {
		out = append(out, adapters.Outgoing{Target: "POST " + s.base + "/uploads.json (upload_type=composer, file " + f.Name + ")", ContentType: f.ContentType, Body: f.Data})
		ext := f.Name[strings.LastIndex(f.Name, ".")+1:]
		ups = append(ups, upload{OriginalFilename: f.Name, ShortURL: "upload://(" + f.Name + " once uploaded)", Extension: ext})
	}
	body, err := json.MarshalIndent(newTopic{Title: p.Proposal.Title, Raw: raw(p, ups), Category: s.cfg.Category,
		ExternalID: ExternalID(p.Key), Tags: s.cfg.Tags}, "", "  ")
	if err != nil {
		return nil, adapters.NotSent(err)
	}
	return append(out, adapters.Outgoing{Target: "POST " + s.base + "/posts.json", ContentType: "application/json", Body: body}), nil
}

// topic is the part of GET /t/{id}.json and of a topic list's entries
// used.
type topic struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Slug  string `json:"slug"`
}

// Find looks for a topic of p made earlier: by its external_id, then
// among the category's latest topics of the same title, by the key in
// its first post.
func (s *Sink) Find(ctx context.Context, p *adapters.Publication) (adapters.Receipt, bool, error) {
	if err := check(p); err != nil {
		return adapters.Receipt{}, false, err
	}
	// Discourse redirects to /t/{slug}/{id}.json; the client follows.
	resp, err := sinkutil.Send(ctx, s.client, http.MethodGet, s.base+"/t/external_id/"+url.PathEscape(ExternalID(p.Key))+".json", nil, "", s.header())
	switch he := sinkutil.HTTPError(err); {
	case err == nil:
		var t topic
		if err := json.Unmarshal(resp.Body, &t); err != nil || t.ID <= 0 {
			return adapters.Receipt{}, false, fmt.Errorf("discourse: the topic of external_id %s does not read as a topic (%.200s)", ExternalID(p.Key), resp.Body)
		}
		return s.receipt(t.ID, t.Slug), true, nil
	case he != nil && he.Status == http.StatusNotFound:
	default:
		return adapters.Receipt{}, false, s.explain(err)
	}
	resp, err = sinkutil.Send(ctx, s.client, http.MethodGet, s.base+"/c/"+strconv.Itoa(s.cfg.Category)+".json", nil, "", s.header())
	if err != nil {
		return adapters.Receipt{}, false, s.explain(err)
	}
	cands, err := sameTitle(resp.Body, p.Proposal.Title)
	if err != nil {
		return adapters.Receipt{}, false, fmt.Errorf("discourse: category %d's topics: %w", s.cfg.Category, err)
	}
	for _, t := range cands {
		resp, err := sinkutil.Send(ctx, s.client, http.MethodGet, s.base+"/raw/"+strconv.Itoa(t.ID)+"/1", nil, "", s.header())
		if err != nil {
			return adapters.Receipt{}, false, s.explain(err)
		}
		if bytes.Contains(resp.Body, []byte(p.Marker())) {
			return s.receipt(t.ID, t.Slug), true, nil
		}
	}
	return adapters.Receipt{}, false, nil
}

// sameTitle reads a category's topic list and returns the topics whose
// title is title, ignoring case, spacing and punctuation (Discourse may
// prettify a title).
func sameTitle(list []byte, title string) ([]topic, error) {
	var l struct {
		TopicList *struct {
			Topics []topic `json:"topics"`
		} `json:"topic_list"`
	}
	if err := json.Unmarshal(list, &l); err != nil || l.TopicList == nil {
		return nil, fmt.Errorf("not a topic list (%.200s)", list)
	}
	var out []topic
	for _, t := range l.TopicList.Topics {
		if t.ID > 0 && fold(t.Title) == fold(title) {
			out = append(out, t)
		}
	}
	return out, nil
}

func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}
