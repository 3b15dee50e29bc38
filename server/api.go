package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/service"
	"github.com/attune-dao/attune/store"
)

// apiError is the body of every API error: a short code and a sentence
// saying what was wrong and what to do.
type apiError struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// writeJSON writes v as the response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{Error: "internal", Detail: "the response could not be encoded; the log has the details"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeCycle writes cycle c whole as the response (schema.CycleDoc).
func (s *Server) writeCycle(w http.ResponseWriter, r *http.Request, status int, c store.Cycle) {
	b, err := s.cycleJSON(r.Context(), c)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// fail answers a request with an error: JSON for the API, a page for the
// desk.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	if wantsJSON(r) {
		writeJSON(w, status, apiError{Error: code, Detail: detail})
		return
	}
	s.desk.errorPage(w, r, status, detail)
}

// failErr answers with err: a requestError as it says, a store error by
// its kind, anything else as a 500 whose details go to the log only.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	status, code, detail := s.classify(r, err)
	s.fail(w, r, status, code, detail)
}

// classify gives an error's status, code and the detail the client sees.
func (s *Server) classify(r *http.Request, err error) (int, string, string) {
	var re *requestError
	var te *store.TransitionError
	switch {
	case errors.As(err, &re):
		return re.status, re.code, re.detail
	case errors.As(err, &te):
		return http.StatusConflict, "conflict", te.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not_found", "no such cycle; GET /api/v1/cycles lists them"
	case errors.Is(err, store.ErrIllegal), errors.Is(err, store.ErrDuplicate):
		return http.StatusConflict, "conflict", storeDetail(err)
	case errors.Is(err, store.ErrLocked):
		return http.StatusConflict, "conflict", "the DAO's cycle is running already; wait for it to finish (GET /api/v1/cycles?state=fetching,calibrating,optimizing,drafting)"
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, "bad_request", storeDetail(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		s.log.Warn("request timed out or was cancelled", "path", clip(r.URL.Path, 200), "err", err)
		return http.StatusServiceUnavailable, "unavailable", "the store did not answer in time; try again"
	}
	s.log.Error("request failed", "method", r.Method, "path", clip(r.URL.Path, 200), "err", err)
	return http.StatusInternalServerError, "internal", "the server failed; the log has the details"
}

// storeDetail is a store error's message without the "store: " prefix
// and the database's name, which is no client's business.
func storeDetail(err error) string {
	msg := strings.TrimPrefix(err.Error(), "store: ")
	if i := strings.Index(msg, " on sqlite:"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, " on postgres"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// authAPI returns who an API request acts as, from its bearer token, if
// role need allows what it asks; otherwise it answers 401 or 403 and
// returns false.
func (s *Server) authAPI(w http.ResponseWriter, r *http.Request, need Role) (Principal, bool) {
	tok, present := bearer(r)
	if !present {
		w.Header().Set("WWW-Authenticate", `Bearer realm="attune"`)
		s.fail(w, r, http.StatusUnauthorized, "unauthorized", "no token; send Authorization: Bearer <token>")
		return Principal{}, false
	}
	t, ok := s.tokens.lookup(tok)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="attune", error="invalid_token"`)
		s.fail(w, r, http.StatusUnauthorized, "unauthorized", "the token is not one this server accepts")
		return Principal{}, false
	}
	p := Principal{Name: t.Name, Role: t.Role}
	setPrincipal(r, p)
	if !t.Role.may(need) {
		s.fail(w, r, http.StatusForbidden, "forbidden", fmt.Sprintf("%s's role is %s; this needs a %s's token", t.Name, t.Role, need))
		return Principal{}, false
	}
	return p, true
}

// endpoint is one API path: the role each method needs and its handler.
type endpoint map[string]struct {
	need Role
	h    func(w http.ResponseWriter, r *http.Request, p Principal)
}

// handle registers an API path whose wrong methods get a JSON 405.
func (s *Server) handle(pattern string, e endpoint) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		m, ok := e[method]
		if !ok {
			allow := make([]string, 0, len(e))
			for k := range e {
				allow = append(allow, k)
			}
			slices.Sort(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.fail(w, r, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed here; use %s", clip(r.Method, 20), strings.Join(allow, " or ")))
			return
		}
		p, ok := s.authAPI(w, r, m.need)
		if !ok {
			return
		}
		if method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody+1)
		}
		m.h(w, r, p)
	})
}

// apiRoutes registers the JSON API.
func (s *Server) apiRoutes() {
	s.handle("/api/v1/cycles", endpoint{"GET": {Viewer, s.listCycles(false)}})
	s.handle("/api/v1/cycles/{id}", endpoint{"GET": {Viewer, s.getCycle}})
	s.handle("/api/v1/cycles/{id}/diff", endpoint{"GET": {Viewer, s.getDiff}})
	s.handle("/api/v1/cycles/{id}/trials", endpoint{"GET": {Viewer, s.getTrials}})
	s.handle("/api/v1/proposals", endpoint{"GET": {Viewer, s.listCycles(true)}})
	s.handle("/api/v1/proposals/{id}", endpoint{"GET": {Viewer, s.getProposal}})
	s.handle("/api/v1/proposals/{id}/approve", endpoint{"POST": {Steward, s.postReview(store.Approved)}})
	s.handle("/api/v1/proposals/{id}/reject", endpoint{"POST": {Steward, s.postReview(store.Rejected)}})
	s.handle("/api/v1/proposals/{id}/publish", endpoint{"POST": {Steward, s.postPublish}})
	s.handle("/api/v1/runs", endpoint{"POST": {Steward, s.postRun}})
	s.handle("/api/v1/audit/verify", endpoint{"GET": {Admin, s.getVerify}})
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("no API endpoint at %s; /openapi.json lists them", clip(r.URL.Path, 100)))
	})
}

// listCycles answers a list of cycles, or with proposals only those that
// have a proposal.
func (s *Server) listCycles(proposals bool) func(http.ResponseWriter, *http.Request, Principal) {
	return func(w http.ResponseWriter, r *http.Request, _ Principal) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.failErr(w, r, badRequest("the query string is malformed: %v", err))
			return
		}
		lq, err := parseList(q)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		lq.filter.WithProposal = proposals
		cs, err := s.opt.Store.Cycles(r.Context(), lq.filter)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		doc, next := cyclesDoc(cs, lq.limit)
		if next > 0 {
			q.Set("before", strconv.FormatInt(next, 10))
			w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, q.Encode()))
		}
		writeJSON(w, http.StatusOK, doc)
	}
}

// cycle reads the cycle the path names.
func (s *Server) cycle(r *http.Request) (store.Cycle, error) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return store.Cycle{}, err
	}
	c, err := s.readCycle(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Cycle{}, &requestError{status: http.StatusNotFound, code: "not_found",
			detail: fmt.Sprintf("no cycle %d; GET /api/v1/cycles lists them", id)}
	}
	return c, err
}

func (s *Server) getCycle(w http.ResponseWriter, r *http.Request, _ Principal) {
	c, err := s.cycle(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.writeCycle(w, r, http.StatusOK, c)
}

// getProposal answers the cycle's proposal document as stored
// (attune.proposal/v1).
func (s *Server) getProposal(w http.ResponseWriter, r *http.Request, _ Principal) {
	c, err := s.cycle(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if c.Proposal == nil {
		s.fail(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("cycle %d has no proposal (it is %s); GET /api/v1/proposals lists those that have", c.ID, c.State))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(c.Proposal)
}

func (s *Server) getDiff(w http.ResponseWriter, r *http.Request, _ Principal) {
	c, err := s.cycle(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil {
		for k, vs := range q {
			if k != "against" || len(vs) > 1 {
				err = fmt.Errorf("query parameter %q", k)
			}
		}
	}
	if err != nil {
		s.failErr(w, r, badRequest("the query takes one parameter, against=<cycle ID>, the cycle to compare with (the DAO's previous cycle with a recommendation when absent)"))
		return
	}
	var prev store.Cycle
	if a := q.Get("against"); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			s.failErr(w, r, badRequest("against %q is not a cycle ID (a positive whole number)", clip(a, 40)))
			return
		}
		if prev, err = s.readCycle(r.Context(), id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = &requestError{status: http.StatusNotFound, code: "not_found", detail: fmt.Sprintf("no cycle %d to compare with", id)}
			}
			s.failErr(w, r, err)
			return
		}
	} else {
		var ok bool
		if prev, ok, err = s.previous(r.Context(), c); err != nil {
			s.failErr(w, r, err)
			return
		} else if !ok {
			s.fail(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("cycle %d is %s's first with a recommendation; there is nothing to compare it with", c.ID, c.DAO))
			return
		}
	}
	if prev.Recommendation == nil || c.Recommendation == nil {
		s.fail(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("cycles %d and %d do not both have a recommendation to compare", prev.ID, c.ID))
		return
	}
	var docs [2]schema.CycleDoc
	for i, cy := range []store.Cycle{prev, c} {
		if docs[i], err = store.DocumentOf(r.Context(), s.opt.Store, cy); err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, store.Diff(docs[0], docs[1]))
}

// previous returns the DAO's last cycle before c that has a proposal.
func (s *Server) previous(ctx context.Context, c store.Cycle) (store.Cycle, bool, error) {
	cs, err := s.opt.Store.Cycles(ctx, store.Filter{DAO: c.DAO, Before: c.ID, WithProposal: true, Limit: 1})
	if err != nil || len(cs) == 0 {
		return store.Cycle{}, false, err
	}
	p, err := s.readCycle(ctx, cs[0].ID)
	return p, err == nil, err
}

func (s *Server) getTrials(w http.ResponseWriter, r *http.Request, _ Principal) {
	c, err := s.cycle(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d, err := readTrials(c)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// postReview records a steward's approval or rejection, and publishes an
// approved proposal.
func (s *Server) postReview(verdict store.State) func(http.ResponseWriter, *http.Request, Principal) {
	return func(w http.ResponseWriter, r *http.Request, p Principal) {
		id, err := parseID(r.PathValue("id"))
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		var body reviewBody
		if err := decodeBody(r, &body); err != nil {
			s.failErr(w, r, err)
			return
		}
		c, pubErr, err := s.review(r.Context(), id, verdict, p, body.Comment)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		if pubErr != nil {
			s.fail(w, r, http.StatusBadGateway, "publish_failed", fmt.Sprintf("cycle %d is approved, but publishing failed: %v; POST /api/v1/proposals/%d/publish to try again", c.ID, pubErr, c.ID))
			return
		}
		s.writeCycle(w, r, http.StatusOK, c)
	}
}

// review records the decision and, for an approval, publishes. It
// returns the cycle as it then is, publishing's error apart from the
// review's.
func (s *Server) review(ctx context.Context, id int64, verdict store.State, p Principal, comment string) (store.Cycle, error, error) {
	if err := checkComment(comment); err != nil {
		return store.Cycle{}, nil, err
	}
	c, err := s.opt.Store.Review(ctx, id, store.Review{Verdict: verdict, Reviewer: p.Name, Comment: comment})
	s.changed(id)
	if err != nil {
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = &requestError{status: http.StatusNotFound, code: "not_found", detail: fmt.Sprintf("no cycle %d; GET /api/v1/proposals lists the proposals", id)}
		case errors.Is(err, store.ErrNoChange):
			err = &requestError{status: http.StatusConflict, code: "no_change", detail: strings.TrimPrefix(err.Error(), "store: ")}
		}
		return store.Cycle{}, nil, err
	}
	s.log.Info("proposal reviewed", "cycle", id, "dao", c.DAO, "verdict", verdict, "reviewer", p.Name)
	if verdict != store.Approved || s.opt.Publish == nil {
		return c, nil, nil
	}
	return s.publish(ctx, c, p)
}

// publish hands an approved cycle to the sinks and re-reads it. The
// publication runs to its end, or its timeout, even if the client goes
// away: sinks publish at most once, and an interrupted one must be
// retried. A publisher that finds the DAO busy (store.ErrLocked: its
// cycle is running) has not failed: the cycle stays approved, to be
// published when that cycle ends.
func (s *Server) publish(ctx context.Context, c store.Cycle, p Principal) (store.Cycle, error, error) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opt.PublishTimeout)
	defer cancel()
	pubErr := s.opt.Publish(pctx, c, p.Name)
	s.changed(c.ID)
	if errors.Is(pubErr, store.ErrLocked) {
		// The DAO's cycle is running: the service publishes the approved
		// cycles when it ends. Not a failure; the cycle stays approved.
		s.log.Info("publication deferred: the DAO's cycle is running, and the service publishes this one when it ends", "cycle", c.ID, "dao", c.DAO, "approver", p.Name)
		pubErr = nil
	} else if pubErr != nil {
		s.log.Error("publishing failed", "cycle", c.ID, "dao", c.DAO, "approver", p.Name, "err", pubErr)
	} else {
		s.log.Info("published", "cycle", c.ID, "dao", c.DAO, "approver", p.Name)
	}
	again, err := s.opt.Store.Cycle(pctx, c.ID)
	if err != nil {
		return c, pubErr, err
	}
	return again, pubErr, nil
}

// postPublish publishes an approved cycle again, after a failure.
func (s *Server) postPublish(w http.ResponseWriter, r *http.Request, p Principal) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	c, err := s.opt.Store.Cycle(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		err = &requestError{status: http.StatusNotFound, code: "not_found", detail: fmt.Sprintf("no cycle %d; GET /api/v1/proposals lists the proposals", id)}
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if err := s.canPublish(c); err != nil {
		s.failErr(w, r, err)
		return
	}
	c, pubErr, err := s.publish(r.Context(), c, p)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if pubErr != nil {
		s.fail(w, r, http.StatusBadGateway, "publish_failed", fmt.Sprintf("publishing cycle %d failed: %v; try again when the cause is fixed", c.ID, pubErr))
		return
	}
	s.writeCycle(w, r, http.StatusOK, c)
}

// canPublish says why c cannot be published now, if it cannot.
func (s *Server) canPublish(c store.Cycle) error {
	if s.opt.Publish == nil {
		return &requestError{status: http.StatusNotImplemented, code: "not_implemented", detail: "this server publishes nothing; attune publish does, from the cycle's directory"}
	}
	if c.State != store.Approved {
		return &requestError{status: http.StatusConflict, code: "conflict", detail: fmt.Sprintf("cycle %d is %s; only an approved cycle is published", c.ID, c.State)}
	}
	return nil
}

// postRun starts a DAO's cycle now.
func (s *Server) postRun(w http.ResponseWriter, r *http.Request, p Principal) {
	var body runBody
	if err := decodeBody(r, &body); err != nil {
		s.failErr(w, r, err)
		return
	}
	c, unchanged, err := s.runNow(r.Context(), body.DAO, p)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cycles/%d", c.ID))
	if unchanged {
		// Nothing started: the cycle that decided the same config and
		// data is the answer.
		s.writeCycle(w, r, http.StatusOK, c)
		return
	}
	s.writeCycle(w, r, http.StatusAccepted, c)
}

// runNow asks the runner for a cycle of dao and returns it as recorded,
// or, unchanged, the cycle that already decided the DAO's config and
// data.
func (s *Server) runNow(ctx context.Context, dao string, p Principal) (store.Cycle, bool, error) {
	if strings.TrimSpace(dao) == "" {
		return store.Cycle{}, false, badRequest("dao is empty; name the DAO whose cycle to run, as its config names it")
	}
	if s.opt.Runner == nil {
		return store.Cycle{}, false, &requestError{status: http.StatusNotImplemented, code: "not_implemented", detail: "this server runs no cycles; attune serve runs them"}
	}
	started, err := s.opt.Runner.RunNow(ctx, dao)
	switch {
	case errors.Is(err, ErrUnknownDAO):
		return store.Cycle{}, false, &requestError{status: http.StatusNotFound, code: "not_found", detail: fmt.Sprintf("this server runs no DAO named %q", clip(dao, 100))}
	case errors.Is(err, service.ErrNoWorker):
		return store.Cycle{}, false, &requestError{status: http.StatusConflict, code: "conflict",
			detail: "every worker of the service is running another DAO's cycle (attune serve --workers); try again when one is done"}
	case errors.Is(err, service.ErrRetrying):
		// The error's text may quote a source's address; it goes to the
		// log only.
		s.log.Warn("a cycle on demand could not read its data yet", "dao", dao, "by", p.Name, "err", err)
		return store.Cycle{}, false, &requestError{status: http.StatusServiceUnavailable, code: "unavailable",
			detail: "reading the DAO's data failed with a temporary error (the network, a rate limit); the service tries again in the background and records the cycle once the data are read; the log has the error"}
	case err != nil:
		return store.Cycle{}, false, err
	}
	if started.Unchanged {
		s.log.Info("no cycle on demand: nothing changed", "since", started.Cycle, "dao", dao, "by", p.Name)
	} else {
		s.log.Info("cycle started on demand", "cycle", started.Cycle, "dao", dao, "by", p.Name)
	}
	c, err := s.opt.Store.Cycle(ctx, started.Cycle)
	return c, started.Unchanged, err
}

// getVerify walks the audit log; with ?head=SEQ:HASH (a head an
// earlier verify answered) it also checks that entry is unchanged. A
// broken log is a 200 whose document says where (ok false).
func (s *Server) getVerify(w http.ResponseWriter, r *http.Request, _ Principal) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	var earlier *store.Head
	if err == nil {
		for k, vs := range q {
			if k != "head" || len(vs) > 1 {
				err = fmt.Errorf("query parameter %q", k)
			}
		}
	}
	if err == nil && q.Get("head") != "" {
		var h store.Head
		if h, err = store.ParseHead(q.Get("head")); err == nil {
			earlier = &h
		}
	}
	if err != nil {
		s.failErr(w, r, badRequest("the query takes one parameter, head=SEQ:HASH, a head an earlier verify answered: %v", err))
		return
	}
	doc, err := store.AuditDocument(r.Context(), s.opt.Store, earlier)
	if err != nil && !errors.Is(err, store.ErrTampered) {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}
