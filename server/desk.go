package server

import (
	"bytes"
	"crypto/hmac"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/store"
)

//go:embed templates/*.html static/desk.css
var assets embed.FS

// desk is the stewards' review desk: server-rendered pages that work
// without JavaScript.
type desk struct {
	s     *Server
	pages map[string]*template.Template
	css   []byte
	cop   *http.CrossOriginProtection
}

// pageNames are the desk's pages, each templates/<name>.html within
// templates/layout.html.
var pageNames = []string{"home", "cycles", "cycle", "signin", "audit", "error"}

func newDesk(s *Server) (*desk, error) {
	d := &desk{s: s, pages: map[string]*template.Template{}, cop: http.NewCrossOriginProtection()}
	funcs := template.FuncMap{"time": fmtTime, "stateLabel": stateLabel, "label": label}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("server: desk template %s: %w", name, err)
		}
		d.pages[name] = t
	}
	css, err := assets.ReadFile("static/desk.css")
	if err != nil {
		return nil, fmt.Errorf("server: desk stylesheet: %w", err)
	}
	d.css = css
	d.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.errorPage(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused. Open the desk and submit it from there.")
	}))
	return d, nil
}

// routes registers the desk's pages.
func (d *desk) routes(m *http.ServeMux) {
	m.HandleFunc("GET /static/desk.css", d.stylesheet)
	m.HandleFunc("GET /signin", d.signinForm)
	m.Handle("POST /signin", d.cop.Handler(http.HandlerFunc(d.signin)))
	m.Handle("POST /signout", d.post(Viewer, d.signout))
	m.HandleFunc("GET /{$}", d.get(Viewer, d.home))
	m.HandleFunc("GET /cycles", d.get(Viewer, d.cycles))
	m.HandleFunc("GET /cycles/{id}", d.get(Viewer, d.cycle))
	m.HandleFunc("GET /cycles/{id}/charts/{chart}", d.get(Viewer, d.chart))
	m.Handle("POST /cycles/{id}/approve", d.post(Steward, d.reviewAction(store.Approved)))
	m.Handle("POST /cycles/{id}/reject", d.post(Steward, d.reviewAction(store.Rejected)))
	m.Handle("POST /cycles/{id}/publish", d.post(Steward, d.publishAction))
	m.Handle("POST /run", d.post(Steward, d.runAction))
	m.HandleFunc("GET /audit", d.get(Admin, d.audit))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.errorPage(w, r, http.StatusNotFound, "There is no page here. The desk's pages are linked from its top bar.")
	})
}

// visitor is a signed-in request: who, and the session's CSRF token.
type visitor struct {
	Principal
	CSRF string
}

// pageData is what every page's template gets.
type pageData struct {
	Title   string
	User    *visitor
	Version string
	// Notice is a message after an action; Alert an error to show.
	Notice string
	Alert  string
	Body   any
}

// render writes a page.
func (d *desk) render(w http.ResponseWriter, status int, page string, data pageData) {
	data.Version = d.s.opt.Version
	var b bytes.Buffer
	if err := d.pages[page].Execute(&b, data); err != nil {
		d.s.log.Error("desk: rendering a page failed", "page", page, "err", err)
		http.Error(w, "the page could not be rendered; the log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// part renders one of the cycle page's parts (a template defined in
// cycle.html) as HTML to place in the page.
func (d *desk) part(name string, data any) (template.HTML, error) {
	var b bytes.Buffer
	if err := d.pages["cycle"].ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("server: render the page's %s: %w", name, err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // html/template's own output
}

// errorPage answers with a page that says what went wrong.
func (d *desk) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var v *visitor
	if ses, ok := d.session(r); ok {
		v = &visitor{Principal: Principal{Name: ses.Name, Role: ses.Role}, CSRF: d.s.sessions.csrf(ses)}
	}
	d.render(w, status, "error", pageData{Title: http.StatusText(status), User: v, Body: struct {
		Status int
		Text   string
	}{status, msg}})
}

// session reads the request's session cookie.
func (d *desk) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	return d.s.sessions.read(c.Value)
}

// get wraps a page that needs role need: without a session, the browser
// is sent to sign in and back.
func (d *desk) get(need Role, h func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ses, ok := d.session(r)
		if !ok {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v := &visitor{Principal: Principal{Name: ses.Name, Role: ses.Role}, CSRF: d.s.sessions.csrf(ses)}
		setPrincipal(r, v.Principal)
		if !ses.Role.may(need) {
			d.errorPage(w, r, http.StatusForbidden, fmt.Sprintf("This page needs a %s's token; you signed in as %s, a %s.", need, ses.Name, ses.Role))
			return
		}
		h(w, r, v)
	}
}

// post wraps a form's action: same-origin (CrossOriginProtection), a
// session whose role is need, and the session's CSRF token in the form.
// A form without its token is refused (403).
func (d *desk) post(need Role, h func(http.ResponseWriter, *http.Request, *visitor)) http.Handler {
	return d.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ses, ok := d.session(r)
		if !ok {
			d.errorPage(w, r, http.StatusUnauthorized, "Your session has ended or you have not signed in. Sign in and try again.")
			return
		}
		v := &visitor{Principal: Principal{Name: ses.Name, Role: ses.Role}, CSRF: d.s.sessions.csrf(ses)}
		setPrincipal(r, v.Principal)
		if err := parseForm(w, r); err != nil {
			d.errorPage(w, r, http.StatusBadRequest, err.Error())
			return
		}
		if got := r.PostForm.Get("csrf"); got == "" || !hmac.Equal([]byte(got), []byte(v.CSRF)) {
			d.errorPage(w, r, http.StatusForbidden, "This form has no valid CSRF token, so it was refused. Reload the page and submit the form again.")
			return
		}
		if !ses.Role.may(need) {
			d.errorPage(w, r, http.StatusForbidden, fmt.Sprintf("Only a %s may do this; you signed in as %s, a %s.", need, ses.Name, ses.Role))
			return
		}
		h(w, r, v)
	}))
}

// parseForm reads a urlencoded form body of at most maxFormBody bytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return errors.New("the form was not sent as a web form (application/x-www-form-urlencoded)")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return fmt.Errorf("the form is over %d bytes; shorten the comment", maxFormBody)
		}
		return errors.New("the form could not be read; reload the page and submit it again")
	}
	return nil
}

func (d *desk) stylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(d.css)
}

// signinForm shows the sign-in form. Its CSRF token is bound to a nonce
// in a short-lived cookie, since there is no session yet.
func (d *desk) signinForm(w http.ResponseWriter, r *http.Request) {
	d.renderSignin(w, r, http.StatusOK, "")
}

func (d *desk) renderSignin(w http.ResponseWriter, r *http.Request, status int, alert string) {
	nonce := randomText(16)
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: nonce, Path: "/", MaxAge: 1800,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	next := safeNext(r.FormValue("next"))
	d.render(w, status, "signin", pageData{Title: "Sign in", Alert: alert, Body: struct{ CSRF, Next string }{d.s.sessions.signinCSRF(nonce), next}})
}

// safeNext returns a local path to go to after signing in, "/" for
// anything else (another site, a scheme, a protocol-relative address).
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// signin checks the token in the form and starts a session.
func (d *desk) signin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.renderSignin(w, r, http.StatusBadRequest, err.Error())
		return
	}
	c, err := r.Cookie(signinCookie)
	if err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(d.s.sessions.signinCSRF(c.Value))) {
		d.renderSignin(w, r, http.StatusForbidden, "The sign-in form had expired or was not sent from this page. Enter the token again.")
		return
	}
	t, ok := d.s.tokens.lookup(strings.TrimSpace(r.PostForm.Get("token")))
	if !ok {
		d.s.log.Info("desk: sign-in refused: unknown token")
		d.renderSignin(w, r, http.StatusUnauthorized, "That token is not one this server accepts.")
		return
	}
	value, _ := d.s.sessions.issue(t)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: int(d.s.opt.SessionTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	setPrincipal(r, Principal{Name: t.Name, Role: t.Role})
	d.s.log.Info("desk: signed in", "user", t.Name, "role", t.Role)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// signout ends the session in this browser.
func (d *desk) signout(w http.ResponseWriter, r *http.Request, v *visitor) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	d.s.log.Info("desk: signed out", "user", v.Name)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// notices are the messages an action's redirect may ask a page to show;
// only these, so that no address can put words on the page.
var notices = map[string]string{
	"approved":  "Approved.",
	"published": "Approved and published.",
	"rejected":  "Rejected.",
	"started":   "The cycle has started; this page shows its state.",
	"unchanged": "No cycle was started: nothing changed since this cycle, which decided the DAO's current config and data. A new cycle runs once the data or the config change.",
	"queued":    "Approved. The DAO's cycle is running now; the service publishes this proposal when it ends.",
}

// reviewed is the notice after an approval or a publication: published
// when every sink has, queued when the publisher deferred it.
func (d *desk) reviewed(c store.Cycle, verdict store.State) string {
	switch {
	case c.State == store.Published:
		return "published"
	case c.State == store.Approved && d.s.opt.Publish != nil:
		return "queued"
	}
	return string(verdict)
}

// home shows what waits for review and the latest cycles.
func (d *desk) home(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	pending, err := d.s.opt.Store.Cycles(ctx, store.Filter{States: []store.State{store.PendingReview, store.Approved}, Limit: 100})
	if err != nil {
		d.s.failErr(w, r, err)
		return
	}
	recent, err := d.s.opt.Store.Cycles(ctx, store.Filter{Limit: 20})
	if err != nil {
		d.s.failErr(w, r, err)
		return
	}
	d.render(w, http.StatusOK, "home", pageData{Title: "Review desk", User: v, Body: struct {
		Pending, Recent []store.Cycle
		DAOs            []string
		CanRun          bool
	}{pending, recent, daos(recent, pending), v.Role == Steward && d.s.opt.Runner != nil}})
}

// daos lists the DAOs the cycles name, in order of first appearance.
func daos(lists ...[]store.Cycle) []string {
	var out []string
	seen := map[string]bool{}
	for _, cs := range lists {
		for _, c := range cs {
			if !seen[c.DAO] {
				seen[c.DAO] = true
				out = append(out, c.DAO)
			}
		}
	}
	return out
}

// cycles lists cycles with filters, a page at a time.
func (d *desk) cycles(w http.ResponseWriter, r *http.Request, v *visitor) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil {
		// The filter form sends empty fields; they filter nothing.
		for k, vs := range q {
			if len(vs) == 1 && vs[0] == "" {
				delete(q, k)
			}
		}
	}
	var lq listQuery
	if err == nil {
		lq, err = parseList(q)
	}
	if err != nil {
		d.errorPage(w, r, http.StatusBadRequest, "This list cannot be shown: "+err.Error())
		return
	}
	cs, err := d.s.opt.Store.Cycles(r.Context(), lq.filter)
	if err != nil {
		d.s.failErr(w, r, err)
		return
	}
	next := ""
	if len(cs) > lq.limit {
		cs = cs[:lq.limit]
		q.Set("before", strconv.FormatInt(cs[len(cs)-1].ID, 10))
		next = "/cycles?" + q.Encode()
	}
	state := ""
	if len(lq.filter.States) == 1 {
		state = string(lq.filter.States[0])
	}
	d.render(w, http.StatusOK, "cycles", pageData{Title: "Cycles", User: v, Body: struct {
		Cycles     []store.Cycle
		DAO, State string
		States     []store.State
		Next       string
	}{cs, lq.filter.DAO, state, store.States, next}})
}

// cycle shows one cycle: for one with a proposal, the review page.
func (d *desk) cycle(w http.ResponseWriter, r *http.Request, v *visitor) {
	d.showCycle(w, r, v, http.StatusOK, "")
}

func (d *desk) showCycle(w http.ResponseWriter, r *http.Request, v *visitor, status int, alert string) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		d.errorPage(w, r, http.StatusNotFound, "There is no such cycle: cycle IDs are whole numbers.")
		return
	}
	view, err := d.s.cycleView(r.Context(), id, v)
	if errors.Is(err, store.ErrNotFound) {
		d.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("There is no cycle %d.", id))
		return
	}
	if err != nil {
		d.s.failErr(w, r, err)
		return
	}
	title := view.Cycle.Title
	if title == "" {
		title = fmt.Sprintf("Cycle %d", id)
	}
	d.render(w, status, "cycle", pageData{Title: title, User: v, Notice: notices[r.URL.Query().Get("done")], Alert: alert, Body: view})
}

// chart serves one of a cycle's SVG charts. The SVG's own styles are
// allowed (gonum writes them as attributes); nothing in it can run.
func (d *desk) chart(w http.ResponseWriter, r *http.Request, _ *visitor) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		d.errorPage(w, r, http.StatusNotFound, "There is no such chart.")
		return
	}
	svg, err := d.s.chartSVG(r.Context(), id, strings.TrimSuffix(r.PathValue("chart"), ".svg"))
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, errNoData), errors.Is(err, errNoChart):
		d.errorPage(w, r, http.StatusNotFound, "There is no such chart for this cycle.")
		return
	case err != nil:
		d.s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(svg)
}

// reviewAction approves or rejects a proposal from its page.
func (d *desk) reviewAction(verdict store.State) func(http.ResponseWriter, *http.Request, *visitor) {
	return func(w http.ResponseWriter, r *http.Request, v *visitor) {
		id, err := parseID(r.PathValue("id"))
		if err != nil {
			d.errorPage(w, r, http.StatusNotFound, "There is no such cycle.")
			return
		}
		c, pubErr, err := d.s.review(r.Context(), id, verdict, v.Principal, r.PostForm.Get("comment"))
		if err != nil {
			status, _, detail := d.s.classify(r, err)
			if status == http.StatusInternalServerError {
				d.errorPage(w, r, status, detail)
				return
			}
			d.showCycle(w, r, v, status, "Not recorded: "+detail)
			return
		}
		if pubErr != nil {
			d.showCycle(w, r, v, http.StatusBadGateway, fmt.Sprintf("Approved, but publishing failed: %s. Use \"Publish again\" once the cause is fixed.", clip(pubErr.Error(), 500)))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/cycles/%d?done=%s", c.ID, d.reviewed(c, verdict)), http.StatusSeeOther)
	}
}

// publishAction publishes an approved cycle again.
func (d *desk) publishAction(w http.ResponseWriter, r *http.Request, v *visitor) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		d.errorPage(w, r, http.StatusNotFound, "There is no such cycle.")
		return
	}
	c, err := d.s.opt.Store.Cycle(r.Context(), id)
	if err == nil {
		err = d.s.canPublish(c)
	}
	if err != nil {
		status, _, detail := d.s.classify(r, err)
		d.errorPage(w, r, status, detail)
		return
	}
	c, pubErr, err := d.s.publish(r.Context(), c, v.Principal)
	if err != nil {
		d.s.failErr(w, r, err)
		return
	}
	if pubErr != nil {
		d.showCycle(w, r, v, http.StatusBadGateway, fmt.Sprintf("Publishing failed again: %s.", clip(pubErr.Error(), 500)))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/cycles/%d?done=%s", c.ID, d.reviewed(c, store.Approved)), http.StatusSeeOther)
}

// runAction starts a DAO's cycle now and shows it.
func (d *desk) runAction(w http.ResponseWriter, r *http.Request, v *visitor) {
	c, unchanged, err := d.s.runNow(r.Context(), r.PostForm.Get("dao"), v.Principal)
	if err != nil {
		status, _, detail := d.s.classify(r, err)
		d.errorPage(w, r, status, "The cycle was not started: "+detail)
		return
	}
	done := "started"
	if unchanged {
		done = "unchanged"
	}
	http.Redirect(w, r, fmt.Sprintf("/cycles/%d?done=%s", c.ID, done), http.StatusSeeOther)
}

// audit shows the audit log's verification.
func (d *desk) audit(w http.ResponseWriter, r *http.Request, v *visitor) {
	doc, err := store.AuditDocument(r.Context(), d.s.opt.Store, nil)
	if err != nil && !errors.Is(err, store.ErrTampered) {
		d.s.failErr(w, r, err)
		return
	}
	d.render(w, http.StatusOK, "audit", pageData{Title: "Audit log", User: v, Body: doc})
}

// stateLabel is a state as the desk writes it.
func stateLabel(s store.State) string { return strings.ReplaceAll(string(s), "_", " ") }
