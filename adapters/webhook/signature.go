package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signature:
//
//	X-Attune-Signature: t=1732460000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// t is the Unix time of signing and v1 the hex HMAC-SHA256, keyed by the
// shared secret, of t, a full stop and the request body, as Stripe signs
// its webhooks. A header may carry several v1 values (while a secret is
// rotated); one matching is enough.
const SignatureHeader = "X-Attune-Signature"

// KeyHeader carries the publication's key ("attune:<cycle-id>"), the
// same on every delivery of one publication, so that a receiver can
// ignore a second delivery.
const KeyHeader = "X-Attune-Key"

// DefaultTolerance is how far a signature's time may lie from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Verify's errors.
var (
	// ErrNoSignature: the header is missing, or lacks t or v1.
	ErrNoSignature = errors.New("webhook: no signature")
	// ErrBadSignature: no v1 value matches the body and the secret.
	ErrBadSignature = errors.New("webhook: the signature does not match the body")
	// ErrStale: the signature is right but its time lies outside the
	// tolerance, as a replayed delivery's does.
	ErrStale = errors.New("webhook: the signature's time is outside the tolerance")
)

// Sign returns the SignatureHeader value for body signed with secret at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery as its receiver should: header is the
// request's SignatureHeader, body its raw body (before any decoding),
// now the receiver's clock. It returns nil when one v1 value is the
// HMAC-SHA256 of the header's t and body under secret, compared in
// constant time, and t lies within tolerance of now (DefaultTolerance
// when tolerance is not positive), so an old delivery replayed is
// refused. Otherwise it returns an error wrapping ErrNoSignature,
// ErrBadSignature or ErrStale.
//
//	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//	if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
//		http.Error(w, "bad signature", http.StatusBadRequest)
//		return
//	}
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // parseSignature checked it
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)", ErrStale, time.Unix(sec, 0).UTC().Format(time.RFC3339), d.Round(time.Second), tolerance)
	}
	return nil
}

// parseSignature splits a SignatureHeader value into its time (as sent)
// and its v1 values; other keys are ignored.
func parseSignature(header string) (ts string, sigs []string, err error) {
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: t given twice", ErrNoSignature)
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: want %s: t=<unix time>,v1=<hex HMAC-SHA256>", ErrNoSignature, SignatureHeader)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || sec > 1<<40 {
		return "", nil, fmt.Errorf("%w: t=%.20q is not a Unix time", ErrNoSignature, ts)
	}
	return ts, sigs, nil
}
