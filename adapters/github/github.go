// Package github is the sink that opens an issue for a proposal in a
// GitHub repository through the REST API (POST
// /repos/{owner}/{repo}/issues, API version 2022-11-28).
//
// Config (its entry of sinks):
//
//	sinks:
//	  - type: github
//	    repo: example-dao/governance           # owner/name
//	    token: {env: GITHUB_TOKEN}             # or {file: PATH}
//	    labels: [governance, attune]           # optional; set only with push access
//	    api_url: https://api.github.com        # GitHub Enterprise: https://HOST/api/v3
//	    max_retries: 4                         # 429, 5xx, rate limits, network failures
//
// The token needs to create issues: a fine-grained token with Issues:
// read and write on the repository, or a classic token with repo (or
// public_repo) scope. The issue's body is the whole proposal and ends
// with the publication's key in an HTML comment; Find looks for it among
// the repository's newest issues, so that a publish interrupted between
// GitHub's answer and attune's record never opens a second issue.
// GitHub's rate limits (a 403 or 429 with retry-after, or with
// x-ratelimit-remaining 0 until x-ratelimit-reset) are waited out as the
// REST API's documentation asks, up to httpx's MaxRetryAfter.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/adapters/internal/sinkutil"
	"github.com/attune-dao/attune/oracle"
)

// Type is the sink's type name in the config.
const Type = "github"

// DefaultAPIURL is GitHub's REST API; APIVersion the version asked for.
const (
	DefaultAPIURL = "https://api.github.com"
	APIVersion    = "2022-11-28"
)

// FindWindow is how many of a repository's newest issues Find reads.
const FindWindow = 100

func init() { adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} }) }

// Config is the github sink's section.
type Config struct {
	// Repo is the repository, owner/name.
	Repo string `yaml:"repo"`
	// Token authorises the requests, from the environment or a file.
	Token adapters.Secret `yaml:"token"`
	// Labels are set on the issue (GitHub drops them silently when the
	// token's user lacks push access).
	Labels []string `yaml:"labels"`
	// APIURL is the REST API's root; DefaultAPIURL when empty.
	APIURL string `yaml:"api_url"`
	// MaxRetries bounds the retries of 429, 5xx, rate limits and
	// network failures; 0 means none, absent httpx's default.
	MaxRetries *int `yaml:"max_retries"`
}

var repoRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

func (c *Config) api() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(c.APIURL, "/")
}

// Check reports a malformed repo, a missing token, a bad api_url, empty
// labels and bad retries.
func (c *Config) Check() []adapters.FieldError {
	var errs []adapters.FieldError
	if !repoRE.MatchString(c.Repo) || strings.HasSuffix(c.Repo, "/.") || strings.HasSuffix(c.Repo, "/..") {
		errs = append(errs, adapters.FieldError{Field: "repo", Msg: fmt.Sprintf("%q: want owner/name, e.g. repo: example-dao/governance", c.Repo)})
	}
	if c.Token.IsZero() {
		errs = append(errs, adapters.FieldError{Field: "token", Msg: "is missing; give token: {env: GITHUB_TOKEN} or {file: PATH}, a token that may create issues in the repository"})
	}
	errs = append(errs, c.Token.Check("token")...)
	if c.APIURL != "" {
		errs = append(errs, sinkutil.CheckURL("api_url", c.APIURL, DefaultAPIURL)...)
	}
	for i, l := range c.Labels {
		if strings.TrimSpace(l) == "" {
			errs = append(errs, adapters.FieldError{Field: "labels[" + strconv.Itoa(i) + "]", Msg: "is empty; name the label"})
		}
	}
	return append(errs, sinkutil.CheckRetries(c.MaxRetries)...)
}

// NewSink resolves the token and returns the sink.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	return c.build(env, httpx.Options{})
}

func (c *Config) build(env adapters.Env, o httpx.Options) (*Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("github: %w", errs[0])
	}
	token, err := c.Token.Resolve(env)
	if err != nil {
		return nil, fmt.Errorf("github: token: %w", err)
	}
	hc := *env.Client()
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = rateLimits{next: next, now: env.Clock}
	env.HTTP = &hc
	from := "$" + c.Token.Env
	if c.Token.Env == "" {
		from = "the file " + c.Token.File
	}
	return &Sink{cfg: *c, token: token, tokenFrom: from, env: env, client: sinkutil.NewClient(env, c.MaxRetries, o)}, nil
}

// Sink opens issues in one repository.
type Sink struct {
	cfg              Config
	token, tokenFrom string
	env              adapters.Env
	client           *httpx.Client
}

func (s *Sink) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + s.token}, "Accept": {"application/vnd.github+json"}, "X-Github-Api-Version": {APIVersion}}
}

func (s *Sink) issues() string { return s.cfg.api() + "/repos/" + s.cfg.Repo + "/issues" }

// newIssue is the body of POST /repos/{owner}/{repo}/issues.
type newIssue struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels,omitempty"`
}

// issue is the part of an issue the sink reads.
type issue struct {
	Number      int             `json:"number"`
	HTMLURL     string          `json:"html_url"`
	Body        *string         `json:"body"`
	PullRequest json.RawMessage `json:"pull_request"`
}

func (s *Sink) body(p *adapters.Publication) ([]byte, error) {
	if p.Proposal == nil || strings.TrimSpace(p.Proposal.Title) == "" {
		return nil, adapters.NotSent(fmt.Errorf("github: the publication has no proposal title"))
	}
	md := p.Proposal.Markdown
	if md == "" {
		md = p.Proposal.Post + oracle.Separator + p.Proposal.Appendix
	}
	b, err := json.Marshal(newIssue{Title: p.Proposal.Title, Body: strings.TrimRight(md, "\n") + "\n\n" + p.Marker() + "\n", Labels: s.cfg.Labels})
	if err != nil {
		return nil, adapters.NotSent(fmt.Errorf("github: encode the issue: %w", err))
	}
	return b, nil
}

// Publish opens the issue. The receipt's ID is the issue's number and its
// URL the issue's page.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	body, err := s.body(p)
	if err != nil {
		return adapters.Receipt{}, err
	}
	resp, err := sinkutil.Send(ctx, s.client, http.MethodPost, s.issues(), body, "application/json", s.header())
	if err != nil {
		return adapters.Receipt{}, s.explain(err)
	}
	var is issue
	if err := json.Unmarshal(resp.Body, &is); err != nil || is.Number <= 0 {
		return adapters.Receipt{}, fmt.Errorf("github: POST %s answered %d without an issue number (%.200s); the issue may exist: look in %s", s.issues(), resp.Status, resp.Body, s.cfg.Repo)
	}
	r := adapters.Receipt{ID: strconv.Itoa(is.Number), URL: is.HTMLURL}
	s.env.Log().Info("published", "sink", Type, "repo", s.cfg.Repo, "issue", is.Number, "url", is.HTMLURL)
	return r, nil
}

// Preview is the issue Publish would open.
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	body, err := s.body(p)
	if err != nil {
		return nil, err
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, body, "", "  ")
	return []adapters.Outgoing{{Target: "POST " + s.issues(), ContentType: "application/json", Body: pretty.Bytes()}}, nil
}

// Find looks for p's issue among the repository's FindWindow newest
// issues (pull requests skipped) by the key at the end of its body.
func (s *Sink) Find(ctx context.Context, p *adapters.Publication) (adapters.Receipt, bool, error) {
	q := "?state=all&sort=created&direction=desc&per_page=" + strconv.Itoa(FindWindow)
	resp, err := sinkutil.Send(ctx, s.client, http.MethodGet, s.issues()+q, nil, "", s.header())
	if err != nil {
		return adapters.Receipt{}, false, s.explain(err)
	}
	is, found, err := findMarked(resp.Body, p.Marker())
	if err != nil || !found {
		return adapters.Receipt{}, false, err
	}
	return adapters.Receipt{ID: strconv.Itoa(is.Number), URL: is.HTMLURL}, true, nil
}

// findMarked reads a list of issues and returns the first, not a pull
// request, whose body holds marker.
func findMarked(list []byte, marker string) (issue, bool, error) {
	var issues []issue
	if err := json.Unmarshal(list, &issues); err != nil {
		return issue{}, false, fmt.Errorf("github: the list of issues does not read as one (%.200s)", list)
	}
	for _, is := range issues {
		if len(is.PullRequest) == 0 && is.Number > 0 && is.Body != nil && strings.Contains(*is.Body, marker) {
			return is, true, nil
		}
	}
	return issue{}, false, nil
}

// apiError is GitHub's error body.
type apiError struct {
	Message string `json:"message"`
	Errors  []struct {
		Resource string `json:"resource"`
		Field    string `json:"field"`
		Code     string `json:"code"`
		Message  string `json:"message"`
	} `json:"errors"`
	DocumentationURL string `json:"documentation_url"`
}

// decodeError reads GitHub's error body: its message and each error.
func decodeError(body string) (string, bool) {
	var e apiError
	if json.Unmarshal([]byte(body), &e) != nil || e.Message == "" {
		return "", false
	}
	parts := []string{e.Message}
	for _, x := range e.Errors {
		switch {
		case x.Message != "":
			parts = append(parts, x.Message)
		case x.Field != "":
			parts = append(parts, x.Field+" "+strings.ReplaceAll(x.Code, "_", " "))
		}
	}
	return strings.Join(parts, ": "), true
}

// explain turns a failed request into an error saying what GitHub
// answered and what to do; never the token.
func (s *Sink) explain(err error) error {
	he := sinkutil.HTTPError(err)
	if he == nil || he.Status == 0 {
		return fmt.Errorf("github %s: %w", s.cfg.Repo, err)
	}
	said, ok := decodeError(he.Body)
	if !ok {
		said = sinkutil.Said(he)
	}
	var hint string
	switch he.Status {
	case http.StatusUnauthorized:
		hint = "check the token in " + s.tokenFrom + " (expired or revoked?)"
	case http.StatusForbidden:
		hint = fmt.Sprintf("the token may not create issues in %s: a fine-grained token needs Issues: read and write on it, a classic one the repo or public_repo scope", s.cfg.Repo)
	case http.StatusNotFound:
		hint = fmt.Sprintf("%s does not exist, or the token cannot see it", s.cfg.Repo)
	case http.StatusGone:
		hint = fmt.Sprintf("issues are turned off in %s (Settings > Features > Issues)", s.cfg.Repo)
	case http.StatusUnprocessableEntity:
		hint = "GitHub refused the issue as it stands"
	case http.StatusTooManyRequests:
		hint = "GitHub's rate limit; publish again later"
		if he.RetryAfter > 0 {
			hint = fmt.Sprintf("GitHub's rate limit: publish again after %s", he.RetryAfter.Round(time.Second))
		}
	default:
		hint = "GitHub failed; publish again later"
	}
	return sinkutil.Explained(err, he, fmt.Sprintf("github: %s %s: HTTP %d: %s; %s", he.Op, s.cfg.Repo, he.Status, strings.TrimSpace(said), hint))
}

// rateLimits is a transport that turns GitHub's rate-limit answers,
// which may be a 403, into a 429 with the wait in Retry-After, so that
// httpx waits as GitHub asks: retry-after when given, else until
// x-ratelimit-reset when x-ratelimit-remaining is 0, else a minute.
type rateLimits struct {
	next http.RoundTripper
	now  func() time.Time
}

func (t rateLimits) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || (resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests) {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	h := resp.Header
	limited := h.Get("Retry-After") != "" || h.Get("X-Ratelimit-Remaining") == "0" || bytes.Contains(bytes.ToLower(body), []byte("rate limit"))
	if !limited {
		return resp, nil
	}
	if h.Get("Retry-After") == "" {
		wait := time.Minute
		if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil && h.Get("X-Ratelimit-Remaining") == "0" {
			wait = max(time.Second, time.Unix(reset, 0).Sub(t.now()))
		}
		h.Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
	}
	resp.StatusCode, resp.Status = http.StatusTooManyRequests, "429 Too Many Requests"
	return resp, nil
}
