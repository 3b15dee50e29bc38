package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attune-dao/attune/store"
)

// exampleDAO copies the example config and its metrics
// (configs/examples) into dir, with the replacements of edit (old, new,
// old, new...) made in the config, and returns the config's path.
func exampleDAO(t *testing.T, dir string, edit ...string) string {
	t.Helper()
	for _, name := range []string{"attune.yaml", "metrics.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "attune.yaml" {
			text := string(b)
			for i := 0; i+1 < len(edit); i += 2 {
				if !strings.Contains(text, edit[i]) {
					t.Fatalf("the example config has no %q", edit[i])
				}
				text = strings.Replace(text, edit[i], edit[i+1], 1)
			}
			b = []byte(text)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "attune.yaml")
}

// attune serve refuses, as user errors, configs it cannot run: a key no
// part of attune reads, a bad schedule, one DAO configured twice, configs
// with no common store, a directory without configs.
func TestServeRefusesWhatItCannotRun(t *testing.T) {
	dir := t.TempDir()
	good := exampleDAO(t, dir)
	mk := func(name string, edit ...string) string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return exampleDAO(t, d, edit...)
	}
	unknown := mk("unknown", "out: attune-out", "out: attune-out\nretries: 3")
	badSchedule := mk("sched", `schedule: "@every 24h"`, `schedule: "every day"`)
	otherOut := mk("out", "out: attune-out", "out: elsewhere")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "no --config"},
		{[]string{"serve", "--config", unknown}, `unknown key "retries"`},
		{[]string{"serve", "--config", badSchedule}, `"every day" is not a schedule`},
		{[]string{"serve", "--config", good, "--config", otherOut, "--store", "sqlite:" + filepath.Join(dir, "a.db")}, `both configure DAO "Example DAO"`},
		{[]string{"serve", "--config", good, "--config", mk("two", "name: Example DAO", "name: Other DAO", "out: attune-out", "out: elsewhere")}, "give --store"},
		{[]string{"serve", "--config", empty}, "holds no *.yaml"},
		{[]string{"serve", "--config", good, "--store", "mysql://x@y/z"}, "--store"},
		{[]string{"serve", "--config", good, "--store", "sqlite:" + filepath.Join(dir, "b.db"), "--listen", "nowhere"}, "--listen nowhere"},
		{[]string{"serve", "--config", good, "--workers", "0"}, "--workers 0: want 1 or more"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != exitUser || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args[1:], code, stderr, c.want)
		}
	}
}

// A real attune serve process answers /healthz, /readyz and /metrics
// while a cycle runs, and on SIGTERM stops the cycle where it is (to be
// resumed at the next start) and exits 0.
func TestServeStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cfg := exampleDAO(t, dir)
	db := filepath.Join(dir, "attune.db")
	cmd := exec.Command(os.Args[0], "serve", "--config", cfg, "--store", "sqlite:"+db, "--listen", "127.0.0.1:0", "--no-track-record")
	// A search long enough to be found in progress: 4,000 trials.
	cmd.Env = append(os.Environ(), "ATTUNE_TEST_AS_MAIN=1", "ATTUNE_OPTIMIZER_TRIALS=4000", "ATTUNE_OUT="+filepath.Join(dir, "out"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	logged := make(chan string, 4096)
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logged <- sc.Text()
		}
	}()
	var log strings.Builder
	await := func(re *regexp.Regexp) []string {
		t.Helper()
		for l := range logged {
			log.WriteString(l + "\n")
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		}
		t.Fatalf("attune serve ended before logging %s:\n%s", re, log.String())
		return nil
	}
	addr := await(regexp.MustCompile(`msg=serving addr=(\S+)`))[1]
	await(regexp.MustCompile(`msg="cycle optimizing"`))

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`attune_cycles{dao="Example DAO",state="optimizing"} 1`,
		`attune_cycle_transitions_total{dao="Example DAO",state="optimizing"} 1`,
		`process_start_time_seconds`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	await(regexp.MustCompile(`msg=stopped`))
	for l := range logged {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("attune serve after SIGTERM: %v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "interrupted") {
		t.Errorf("a service stopped by SIGTERM reports an interruption:\n%s", log.String())
	}
	st, err := store.Open(context.Background(), "sqlite:"+db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Cycles(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].State != store.Optimizing {
		t.Errorf("after SIGTERM: %+v; want the cycle left optimizing, to be resumed", cs)
	}
}

// docs/DEPLOY.md shows the systemd unit that deploy/attune.service holds,
// less the file's opening comment.
func TestDeployDocShowsTheUnit(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/attune.service")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/DEPLOY.md")
	if err != nil {
		t.Fatal(err)
	}
	body := string(unit)
	for strings.HasPrefix(body, "#") {
		body = body[strings.Index(body, "\n")+1:]
	}
	m := regexp.MustCompile("(?s)```ini\n(.*?)```").FindStringSubmatch(string(doc))
	if m == nil || m[1] != body {
		t.Errorf("docs/DEPLOY.md's unit differs from deploy/attune.service (less its opening comment); copy the file into the doc")
	}
}

// smallCycles makes the example DAO's cycles small enough for -race and
// still fit (the search the service's tests use), by environment.
func smallCycles(t *testing.T) {
	fast(t)
	for k, v := range map[string]string{
		"ATTUNE_OPTIMIZER_TRIALS": "24", "ATTUNE_OPTIMIZER_BATCH": "4", "ATTUNE_CALIBRATION_REPLICATIONS": "32",
		"ATTUNE_DAO_OPTIONS_HORIZON_DAYS": "90", "ATTUNE_DAO_OPTIONS_MAX_AGENTS": "500",
	} {
		t.Setenv(k, v)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir
// and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attune test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

// served is an attune serve running in this process.
type served struct {
	t      *testing.T
	cancel context.CancelFunc
	code   chan int
	lines  chan string
	log    strings.Builder
}

// startServe runs attune serve with args in this process, its log read
// line by line.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{t: t, cancel: cancel, code: make(chan int, 1), lines: make(chan string, 4096)}
	go func() {
		code := execute(ctx, append([]string{"serve"}, args...), io.Discard, pw)
		pw.Close()
		s.code <- code
	}()
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range s.lines {
		}
	})
	return s
}

// await reads the log until a line matches re and returns its groups.
func (s *served) await(re *regexp.Regexp) []string {
	s.t.Helper()
	for l := range s.lines {
		s.log.WriteString(l + "\n")
		if m := re.FindStringSubmatch(l); m != nil {
			return m
		}
	}
	s.t.Fatalf("attune serve ended before logging %s:\n%s", re, s.log.String())
	return nil
}

// stop cancels the service and returns its exit code and whole log.
func (s *served) stop() (int, string) {
	s.t.Helper()
	s.cancel()
	for l := range s.lines {
		s.log.WriteString(l + "\n")
	}
	return <-s.code, s.log.String()
}

// A client of attune serve's HTTP with a cookie jar, following no
// redirects.
type serveClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newServeClient(t *testing.T, base string, pool *x509.CertPool) *serveClient {
	jar, _ := cookiejar.New(nil)
	return &serveClient{t: t, base: base, c: &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request: a bearer token when token is set, a form when form
// is.
func (c *serveClient) do(method, path, token string, form url.Values, body string) (int, http.Header, string) {
	c.t.Helper()
	var rd io.Reader
	switch {
	case form != nil:
		rd = strings.NewReader(form.Encode())
	case body != "":
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	switch {
	case form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs the client in to the desk with a token.
func (c *serveClient) signIn(token string) {
	c.t.Helper()
	_, _, page := c.do("GET", "/signin", "", nil, "")
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no sign-in form:\n%.400s", page)
	}
	status, h, _ := c.do("POST", "/signin", "", url.Values{"csrf": {m[1]}, "token": {token}, "next": {"/"}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != "/" {
		c.t.Fatalf("sign-in: %d to %q", status, h.Get("Location"))
	}
}

// attune serve with an auth file serves the review desk and the API over
// HTTPS beside its health and metrics: a steward signs in and reads the
// proposal the service drafted, a viewer may read but not approve, and
// the steward's approval publishes to the config's markdown sink. No
// token is logged. Without an auth file there is no desk and no API.
func TestServeMountsTheDesk(t *testing.T) {
	smallCycles(t)
	dir := t.TempDir()
	cfg := exampleDAO(t, dir, "sinks: []", "sinks: [{type: markdown, name: posts, dir: posts}]", "out: attune-out", "out: "+filepath.Join(dir, "out"))
	db := "sqlite:" + filepath.Join(dir, "attune.db")
	const steward, viewer = "st3ward-token-0f9e8d7c6b5a4938", "v1ewer-token-1a2b3c4d5e6f7081"
	t.Setenv("ATTUNE_TEST_STEWARD", steward)
	t.Setenv("ATTUNE_TEST_SESSION_KEY", "a-session-key-of-32-bytes-or-more-0123")
	auth := filepath.Join(dir, "auth.yaml")
	if err := os.WriteFile(filepath.Join(dir, "viewer.token"), []byte(viewer+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(auth, []byte(`tokens:
  - {name: sam, role: steward, env: ATTUNE_TEST_STEWARD}
  - {name: vera, role: viewer, file: viewer.token}
session_key: {env: ATTUNE_TEST_SESSION_KEY}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key, pool := selfSigned(t, dir)

	s := startServe(t, "--config", cfg, "--store", db, "--listen", "127.0.0.1:0", "--no-track-record", "--auth", auth, "--tls-cert", cert, "--tls-key", key)
	addr := s.await(regexp.MustCompile(`msg=serving addr=(\S+) scheme=https desk=true`))[1]
	s.await(regexp.MustCompile(`msg="cycle pending_review"`))
	base := "https://" + addr

	api := newServeClient(t, base, pool)
	status, _, body := api.do("GET", "/api/v1/proposals", viewer, nil, "")
	var list struct {
		Cycles []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
			Title string `json:"title"`
		} `json:"cycles"`
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil || len(list.Cycles) != 1 || list.Cycles[0].State != "pending_review" {
		t.Fatalf("the viewer's list of proposals: %d %v\n%s", status, err, body)
	}
	id, title := list.Cycles[0].ID, list.Cycles[0].Title
	if status, _, _ := api.do("GET", "/api/v1/proposals", "", nil, ""); status != http.StatusUnauthorized {
		t.Errorf("the API without a token: %d", status)
	}

	// A viewer reads but may not approve, by the API or the desk.
	approve := fmt.Sprintf("/api/v1/proposals/%d/approve", id)
	if status, _, body := api.do("POST", approve, viewer, nil, `{"comment":"fine by me"}`); status != http.StatusForbidden || !strings.Contains(body, "needs a steward's token") {
		t.Errorf("a viewer's approval by the API: %d %s", status, body)
	}
	vera := newServeClient(t, base, pool)
	vera.signIn(viewer)
	_, _, page := vera.do("GET", fmt.Sprintf("/cycles/%d", id), "", nil, "")
	if !strings.Contains(page, title) || strings.Contains(page, "/approve") {
		t.Errorf("the viewer's proposal page lacks the title or offers approval")
	}
	status, _, page = vera.do("POST", fmt.Sprintf("/cycles/%d/approve", id), "", url.Values{"csrf": {csrfInput.FindStringSubmatch(page)[1]}, "comment": {"fine"}}, "")
	if status != http.StatusForbidden || !strings.Contains(page, "Only a steward may do this") {
		t.Errorf("a viewer's approval on the desk: %d", status)
	}

	// The steward signs in, reads the proposal, and approves it: the
	// service publishes it to the markdown sink.
	sam := newServeClient(t, base, pool)
	sam.signIn(steward)
	status, _, page = sam.do("GET", fmt.Sprintf("/cycles/%d", id), "", nil, "")
	if status != 200 || !strings.Contains(page, title) || !strings.Contains(page, `id="approve-comment"`) {
		t.Fatalf("the steward's proposal page: %d", status)
	}
	status, h, _ := sam.do("POST", fmt.Sprintf("/cycles/%d/approve", id), "", url.Values{"csrf": {csrfInput.FindStringSubmatch(page)[1]}, "comment": {"The forum agreed."}}, "")
	if status != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=published") {
		t.Fatalf("approval: %d to %q\n%s", status, h.Get("Location"), s.log.String())
	}
	posts, _ := filepath.Glob(filepath.Join(dir, "out", "*", "posts", "*", "post.md"))
	if len(posts) != 1 {
		t.Fatalf("the markdown sink wrote %v", posts)
	}
	if md, _ := os.ReadFile(posts[0]); !strings.Contains(string(md), title) {
		t.Errorf("the post lacks the proposal's title %q", title)
	}
	for path, want := range map[string]string{
		"/healthz": "ok", "/readyz": "ready",
		"/metrics": `attune_publications_total{dao="Example DAO",outcome="published",sink="posts"} 1`,
	} {
		if status, _, body := api.do("GET", path, "", nil, ""); status != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q", path, status, want)
		}
	}
	code, log := s.stop()
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}
	if strings.Contains(log, steward) || strings.Contains(log, viewer) {
		t.Error("a token is in the log")
	}
	if !strings.Contains(log, "user=sam") {
		t.Error("the steward's actions are not logged by name")
	}

	// Without an auth file: health and metrics only.
	s = startServe(t, "--config", cfg, "--store", db, "--listen", "127.0.0.1:0", "--no-track-record")
	addr = s.await(regexp.MustCompile(`msg=serving addr=(\S+) scheme=http desk=false`))[1]
	plain := newServeClient(t, "http://"+addr, nil)
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/api/v1/proposals": 404, "/signin": 404} {
		if status, _, _ := plain.do("GET", path, steward, nil, ""); status != want {
			t.Errorf("without --auth, %s: %d, want %d", path, status, want)
		}
	}
	if code, log := s.stop(); code != exitOK || !strings.Contains(log, "the review desk and the API are off") {
		t.Errorf("without --auth: exit %d\n%s", code, log)
	}
	// An auth file that does not resolve is a usage error, naming it.
	t.Setenv("ATTUNE_TEST_STEWARD", "")
	if code, _, stderr := run(t, "serve", "--config", cfg, "--store", db, "--auth", auth); code != exitUser || !strings.Contains(stderr, auth) || !strings.Contains(stderr, "ATTUNE_TEST_STEWARD is empty or unset") {
		t.Errorf("an unresolved token: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, "serve", "--config", cfg, "--store", db, "--tls-cert", cert); code != exitUser || !strings.Contains(stderr, "--tls-key") {
		t.Errorf("--tls-cert alone: exit %d, %q", code, stderr)
	}
}

// SIGHUP makes attune serve read its config directory again: a DAO added
// is run, a config that does not load changes nothing (the log says
// why), a DAO removed is no longer run; the service keeps serving and
// exits 0 when stopped.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	smallCycles(t)
	dir := t.TempDir()
	daos := filepath.Join(dir, "daos")
	if err := os.Mkdir(daos, 0o755); err != nil {
		t.Fatal(err)
	}
	// addDAO writes NAME's config (the example's, reading its metrics)
	// into the directory as file.
	addDAO := func(name, file string, edit ...string) {
		t.Helper()
		cfg := exampleDAO(t, daos, append([]string{"name: Example DAO", "name: " + name,
			"{type: file, path: metrics.json}", "{type: file, path: metrics.json, dao: Example DAO}",
			"out: attune-out", "out: " + filepath.Join(dir, "out")}, edit...)...)
		if err := os.Rename(cfg, filepath.Join(daos, file)); err != nil {
			t.Fatal(err)
		}
	}
	hangup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	addDAO("Alpha DAO", "alpha.yaml")
	s := startServe(t, "--config", daos, "--store", "sqlite:"+filepath.Join(dir, "attune.db"), "--listen", "127.0.0.1:0", "--no-track-record", "--workers", "2")
	s.await(regexp.MustCompile(`msg=serving addr=\S+ .*daos="Alpha DAO"`))
	s.await(regexp.MustCompile(`msg="cycle pending_review" dao="Alpha DAO"`))

	addDAO("Beta DAO", "beta.yaml")
	hangup()
	s.await(regexp.MustCompile(`msg=reloaded added="Beta DAO" changed="" removed="" kept="Alpha DAO"`))
	s.await(regexp.MustCompile(`msg="cycle pending_review" dao="Beta DAO"`))

	addDAO("Gamma DAO", "gamma.yaml", `schedule: "@every 24h"`, `schedule: "every day"`)
	hangup()
	s.await(regexp.MustCompile(`msg="reload failed; the service runs the configs it ran before" error=.*every day`))

	for _, f := range []string{"gamma.yaml", "alpha.yaml"} {
		if err := os.Remove(filepath.Join(daos, f)); err != nil {
			t.Fatal(err)
		}
	}
	hangup()
	s.await(regexp.MustCompile(`msg=reloaded added="" changed="" removed="Alpha DAO" kept="Beta DAO"`))
	code, log := s.stop()
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}
	if n := strings.Count(log, `msg="cycle pending_review"`); n != 2 {
		t.Errorf("%d cycles went to review; want Alpha's and Beta's\n%s", n, log)
	}
}
