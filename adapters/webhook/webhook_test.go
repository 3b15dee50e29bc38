package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/adapters/webhook"
	"github.com/attune-dao/attune/adapters/webhook/webhooktest"
)

const secret = "whsec_test_0123456789"

func newSink(t *testing.T, c *webhook.Config, vars map[string]string, o httpx.Options) *webhook.Sink {
	t.Helper()
	s, err := webhook.Build(c, adapters.Env{Getenv: sinktest.Getenv(vars)}, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A signature is HMAC-SHA256 over "<t>.<body>", as Python's hmac module
// computes it:
//
//	hmac.new(b'whsec_test_0123456789', b'1732460000.{"event":"proposal.published"}', hashlib.sha256).hexdigest()
func TestSignMatchesAnIndependentHMAC(t *testing.T) {
	got := webhook.Sign(secret, time.Unix(1732460000, 0), []byte(`{"event":"proposal.published"}`))
	if want := "t=1732460000,v1=2099d90cc7149e21427cef38b9261ec188fcbfff68771f08e457f33b9b1d8af9"; got != want {
		t.Fatalf("Sign = %s\nwant   %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"event":"proposal.published","key":"attune:x"}`)
	at := time.Unix(1732460000, 0)
	h := webhook.Sign(secret, at, body)
	v1 := h[strings.Index(h, "v1="):]
	for _, c := range []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, h, body, at.Add(time.Minute), nil},
		{"rotated secrets, one matching", secret, "t=1732460000,v1=00ff," + v1, body, at, nil},
		{"wrong secret", "whsec_other", h, body, at, webhook.ErrBadSignature},
		{"body changed", secret, h, append([]byte(" "), body...), at, webhook.ErrBadSignature},
		{"time changed", secret, strings.Replace(h, "t=1732460000", "t=1732460001", 1), body, at, webhook.ErrBadSignature},
		{"replayed after the tolerance", secret, h, body, at.Add(webhook.DefaultTolerance + time.Second), webhook.ErrStale},
		{"from the future", secret, h, body, at.Add(-webhook.DefaultTolerance - time.Second), webhook.ErrStale},
		{"no header", secret, "", body, at, webhook.ErrNoSignature},
		{"no v1", secret, "t=1732460000", body, at, webhook.ErrNoSignature},
		{"t not a number", secret, "t=soon," + v1, body, at, webhook.ErrNoSignature},
		{"t twice", secret, "t=1732460000,t=1," + v1, body, at, webhook.ErrNoSignature},
	} {
		err := webhook.Verify(c.secret, c.header, c.body, c.now, 0)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: Verify = %v; want %v", c.name, err, c.want)
		}
	}
	// A tolerance given replaces the default.
	if err := webhook.Verify(secret, h, body, at.Add(2*time.Minute), time.Minute); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("tolerance 1m, 2m late: %v", err)
	}
}

// The attune format reaches a receiver that verifies its signature, with
// the publication's key and the proposal as data.
func TestAttuneFormatIsSignedAndVerified(t *testing.T) {
	rc, srv := webhooktest.NewReceiver(secret)
	defer srv.Close()
	p := sinktest.Publication(t)
	p.Links = []adapters.Link{{Sink: "forum", Type: "discourse", URL: "https://forum.example.org/t/x/7"}}
	s := newSink(t, &webhook.Config{URL: srv.URL + "/hooks/attune", Secret: adapters.Secret{Env: "WEBHOOK_SECRET"}},
		map[string]string{"WEBHOOK_SECRET": secret}, httpx.Options{})
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	evs := rc.Events()
	if rc.Requests() != 1 || len(evs) != 1 {
		t.Fatalf("%d requests, %d events; want one of each", rc.Requests(), len(evs))
	}
	ev := evs[0]
	if ev.Event != webhook.EventPublished || ev.Key != p.Key || ev.CycleID != p.CycleID || ev.Title != p.Proposal.Title ||
		ev.Proposal.CycleID != p.CycleID || len(ev.Proposal.Onchain) != 3 || len(ev.Links) != 1 || !strings.HasPrefix(ev.Summary, "We propose to lower the quorum") {
		t.Errorf("event %+v", ev)
	}
	if !strings.HasPrefix(r.ID, "sha256:") || len(r.ID) != 71 {
		t.Errorf("receipt id %q; want the body's SHA-256", r.ID)
	}
	// The preview is the body sent.
	out, err := s.Preview(context.Background(), p)
	if err != nil || len(out) != 1 {
		t.Fatal(out, err)
	}
	var previewed webhook.Event
	if err := json.Unmarshal(out[0].Body, &previewed); err != nil || previewed.Key != ev.Key || previewed.Proposal.Post != ev.Proposal.Post {
		t.Errorf("preview %v differs from the delivery", err)
	}
}

// A receiver whose clock is ahead by more than the tolerance refuses the
// delivery as a replay; the error says what the receiver answered.
func TestAStaleSignatureIsRefused(t *testing.T) {
	rc, srv := webhooktest.NewReceiver(secret)
	defer srv.Close()
	rc.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	s := newSink(t, &webhook.Config{URL: srv.URL, Secret: adapters.Secret{Env: "S"}}, map[string]string{"S": secret}, httpx.Options{})
	_, err := s.Publish(context.Background(), sinktest.Publication(t))
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "stale signature") {
		t.Fatalf("err %v", err)
	}
	if rej := rc.Rejected(); len(rej) != 1 || !errors.Is(rej[0], webhook.ErrStale) || len(rc.Events()) != 0 {
		t.Errorf("rejected %v, events %d", rej, len(rc.Events()))
	}
}

// 503 and 429 are retried (429 after the Retry-After it names); 4xx
// answers are not; a receiver that never answers times out.
func TestRetriesAndFailures(t *testing.T) {
	p := sinktest.Publication(t)
	vars := map[string]string{"S": secret}
	cfg := func(url string) *webhook.Config { return &webhook.Config{URL: url, Secret: adapters.Secret{Env: "S"}} }

	rc, srv := webhooktest.NewReceiver(secret)
	defer srv.Close()
	rc.Push(sinktest.Reply{Status: 503, Body: "upstream busy"}, sinktest.Reply{Status: 429, Header: map[string][]string{"Retry-After": {"7"}}})
	var sl sinktest.Sleeps
	if _, err := newSink(t, cfg(srv.URL), vars, httpx.Options{Sleep: sl.Sleep}).Publish(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if rc.Requests() != 3 || len(rc.Events()) != 1 || len(sl.Waits()) != 2 || sl.Waits()[1] != 7*time.Second {
		t.Errorf("%d requests, %d events, waits %v; want 3, 1 and the 7s asked", rc.Requests(), len(rc.Events()), sl.Waits())
	}

	for _, status := range []int{401, 403, 404, 410} {
		rc, srv := webhooktest.NewReceiver(secret)
		rc.Push(sinktest.Reply{Status: status, Body: `{"error":"no"}`})
		_, err := newSink(t, cfg(srv.URL), vars, httpx.Options{Sleep: sl.Sleep}).Publish(context.Background(), p)
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != status || rc.Requests() != 1 || !adapters.IsNotSent(err) {
			t.Errorf("HTTP %d: err %v after %d requests; want the status, not retried, marked not sent", status, err, rc.Requests())
		}
		srv.Close()
	}

	rc, srv2 := webhooktest.NewReceiver(secret)
	defer srv2.Close()
	rc.Push(sinktest.Reply{Hang: true})
	c := cfg(srv2.URL)
	none := 0
	c.MaxRetries = &none
	_, err := newSink(t, c, vars, httpx.Options{Timeout: 50 * time.Millisecond}).Publish(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "no whole answer within 50ms") || !adapters.IsTransient(err) || rc.Requests() != 1 || adapters.IsNotSent(err) {
		t.Errorf("timeout: %v after %d requests; want a transient failure that may have been delivered", err, rc.Requests())
	}
	// A 5xx may follow a delivery; 429s refuse it every time.
	rc.Push(sinktest.Reply{Status: 502}, sinktest.Reply{Status: 429}, sinktest.Reply{Status: 429}, sinktest.Reply{Status: 429})
	one := 1
	c.MaxRetries = &one
	for i, wantNotSent := range []bool{false, true} {
		_, err := newSink(t, c, vars, httpx.Options{Sleep: sl.Sleep}).Publish(context.Background(), p)
		if err == nil || adapters.IsNotSent(err) != wantNotSent {
			t.Errorf("round %d: %v, not sent %v; want %v", i, err, adapters.IsNotSent(err), wantNotSent)
		}
	}
}

// Slack gets text and blocks in its mrkdwn; the URL, read from the
// environment, never shows in an error or a preview.
func TestSlackFormat(t *testing.T) {
	sl, srv := webhooktest.NewSlack()
	defer srv.Close()
	hook := srv.URL + webhooktest.SlackPath
	p := sinktest.Publication(t)
	p.Links = []adapters.Link{{Sink: "forum", Type: "discourse", URL: "https://forum.example.org/t/a-b/7?u=x&y=1"}}
	s := newSink(t, &webhook.Config{URLFrom: adapters.Secret{Env: "SLACK_WEBHOOK_URL"}, Format: webhook.FormatSlack},
		map[string]string{"SLACK_WEBHOOK_URL": hook}, httpx.Options{})
	if _, err := s.Publish(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	msgs := sl.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(msgs[0])
	b := buf.String()
	for _, want := range []string{`"type":"header"`, `"text":"Example DAO: Adjust the quorum`, `• *Quorum*: 4% (4,000,000 COMP) → 3% (3,000,000 COMP)`,
		`<https://forum.example.org/t/a-b/7?u=x&amp;y=1|Read it on forum>`, "attune cycle `" + p.CycleID + "`"} {
		if !strings.Contains(b, want) {
			t.Errorf("message lacks %s:\n%s", want, b)
		}
	}
	out, _ := s.Preview(context.Background(), p)
	if len(out) != 1 || strings.Contains(out[0].Target, "hooks") || out[0].Target != "POST $SLACK_WEBHOOK_URL" {
		t.Errorf("preview target %q", out[0].Target)
	}
	for _, r := range []sinktest.Reply{webhooktest.SlackInvalidToken, webhooktest.SlackArchived} {
		sl.Push(r)
		_, err := s.Publish(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), r.Body) || strings.Contains(err.Error(), webhooktest.SlackPath) || !strings.Contains(err.Error(), "$SLACK_WEBHOOK_URL") {
			t.Errorf("%s: %v; want Slack's word and the variable, never the URL", r.Body, err)
		}
	}
}

// Discord gets at most 2,000 UTF-16 units, the links kept whole, and
// nobody pinged; with wait=true the receipt is the message's id.
func TestDiscordFormat(t *testing.T) {
	d, srv := webhooktest.NewDiscord()
	defer srv.Close()
	vars := map[string]string{"DISCORD_WEBHOOK_URL": srv.URL + d.Path()}
	s := newSink(t, &webhook.Config{URLFrom: adapters.Secret{Env: "DISCORD_WEBHOOK_URL"}, Format: webhook.FormatDiscord}, vars, httpx.Options{})
	p := sinktest.Publication(t)
	link := "https://forum.example.org/t/example-dao-adjust-the-quorum/4821"
	p.Links = []adapters.Link{{Sink: "forum", Type: "discourse", URL: link}}
	// An opening far longer than a message, in characters that take two
	// UTF-16 units, and a ping that must not ping.
	long := *p.Proposal
	long.Post = "# T\n\n@everyone " + strings.Repeat("𝔊overnance ", 400) + "\n\n| a |"
	p.Proposal = &long
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	msgs := d.Messages()
	if len(msgs) != 1 || r.ID != "1184570000000000001" {
		t.Fatalf("%d messages, receipt %+v", len(msgs), r)
	}
	content := msgs[0]["content"].(string)
	if n := len(utf16.Encode([]rune(content))); n > webhook.DiscordMaxContent || n < webhook.DiscordMaxContent-10 {
		t.Errorf("content is %d UTF-16 units; want close to but not over 2000", n)
	}
	if !strings.HasSuffix(content, "forum: <"+link+">") || !strings.Contains(content, "…") || !strings.HasPrefix(content, "**Example DAO: Adjust") {
		t.Errorf("content:\n%s", content)
	}
	if am, _ := json.Marshal(msgs[0]["allowed_mentions"]); string(am) != `{"parse":[]}` {
		t.Errorf("allowed_mentions %s", am)
	}
	// A wrong token: Discord's error, the URL never named.
	vars["DISCORD_WEBHOOK_URL"] = srv.URL + "/api/webhooks/" + d.ID + "/wrong-token"
	bad := newSink(t, &webhook.Config{URLFrom: adapters.Secret{Env: "DISCORD_WEBHOOK_URL"}, Format: webhook.FormatDiscord}, vars, httpx.Options{})
	_, err = bad.Publish(context.Background(), sinktest.Publication(t))
	if err == nil || !strings.Contains(err.Error(), "Invalid Webhook Token") || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("wrong token: %v", err)
	}
}

func TestCheck(t *testing.T) {
	two := -1
	for _, c := range []struct {
		cfg   webhook.Config
		field string
	}{
		{webhook.Config{Secret: adapters.Secret{Env: "S"}}, "url"},
		{webhook.Config{URL: "https://a.example", URLFrom: adapters.Secret{Env: "U"}, Secret: adapters.Secret{Env: "S"}}, "url"},
		{webhook.Config{URL: "https://a.example/h?token=x", Secret: adapters.Secret{Env: "S"}}, "url"},
		{webhook.Config{URL: "ftp://a.example", Secret: adapters.Secret{Env: "S"}}, "url"},
		{webhook.Config{URL: "https://a.example"}, "secret"},
		{webhook.Config{URL: "https://a.example", Format: "teams", Secret: adapters.Secret{Env: "S"}}, "format"},
		{webhook.Config{URL: "https://a.example", Secret: adapters.Secret{Env: "S", File: "f"}}, "secret"},
		{webhook.Config{URL: "https://a.example", Secret: adapters.Secret{Env: "S"}, MaxRetries: &two}, "max_retries"},
	} {
		errs := c.cfg.Check()
		if len(errs) != 1 || errs[0].Field != c.field {
			t.Errorf("%+v: Check() = %v; want one problem with %s", c.cfg, errs, c.field)
		}
	}
	if errs := (&webhook.Config{URLFrom: adapters.Secret{Env: "U"}, Format: webhook.FormatSlack}).Check(); len(errs) != 0 {
		t.Errorf("a Slack webhook needs no secret: %v", errs)
	}
	// A URL from the environment that is not a URL is refused without
	// printing it.
	_, err := webhook.Build(&webhook.Config{URLFrom: adapters.Secret{Env: "U"}, Format: webhook.FormatSlack},
		adapters.Env{Getenv: sinktest.Getenv(map[string]string{"U": "not-a-url-but-a-secret"})}, httpx.Options{})
	if err == nil || strings.Contains(err.Error(), "not-a-url-but-a-secret") || !strings.Contains(err.Error(), "$U") {
		t.Errorf("bad URL from env: %v", err)
	}
	if _, ok := adapters.NewSinkConfig(webhook.Type); !ok {
		t.Error("webhook is not registered")
	}
}

// Verify never panics, and accepts only headers holding the body's
// HMAC for their time.
func FuzzVerify(f *testing.F) {
	body := []byte(`{"event":"proposal.published"}`)
	f.Add(webhook.Sign(secret, time.Unix(1732460000, 0), body), body)
	f.Add("t=1732460000,v1=zz,v0=abc", body)
	f.Add("t=,v1=", []byte{})
	f.Add(",,,=,t=99999999999999999999", []byte("x"))
	now := time.Unix(1732460000, 0)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if webhook.Verify(secret, header, body, now, time.Hour) != nil {
			return
		}
		// Accepted: the MAC of the header's own t (as written) and the
		// body must be among its v1 values.
		var ts string
		var sigs []string
		for _, part := range strings.Split(header, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				sigs = append(sigs, strings.ToLower(v))
			}
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "."))
		m.Write(body)
		if !slices.Contains(sigs, hex.EncodeToString(m.Sum(nil))) {
			t.Fatalf("Verify accepted %q for a body it was not signed for", header)
		}
	})
}
