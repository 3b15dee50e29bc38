package oracle

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Delimiters around untrusted text in a FactSheet. A prompt declares that
// what lies between them is data to describe, never instructions to follow.
// Untrusted removes « and » from the text it returns, so sanitised text can
// neither open nor close a delimiter of its own.
const (
	UntrustedOpen  = "«data»"
	UntrustedClose = "«/data»"
)

// DefaultUntrustedRunes is the length cap Facts applies to the DAO's name
// and track, in runes.
const DefaultUntrustedRunes = 120

// Untrusted returns governance text (a DAO or proposal name, a forum
// excerpt) made safe to quote as data in a prompt:
//
//   - invalid UTF-8, control characters, ANSI/terminal escape sequences
//     (CSI, OSC, and C1 forms), format characters (zero-width spaces and
//     joiners, bidi embeddings, overrides and isolates, the byte-order
//     mark, Unicode tag characters), variation selectors, private-use
//     characters and noncharacters are removed;
//   - every run of whitespace (line breaks included) becomes one space, and
//     the ends are trimmed;
//   - the delimiter characters « and » become ", and < and > become ‹ and ›,
//     so neither the data delimiters nor HTML or chat-role tags
//     ("<|im_start|>system") survive as written;
//   - the result is cut to at most max runes, at a word boundary when one
//     lies in the last fifth of the budget, ending in "…" when cut.
//
// max <= 0 means no cap. The result holds no delimiter (UntrustedOpen,
// UntrustedClose) and is idempotent: Untrusted(Untrusted(s, n), n) equals
// Untrusted(s, n).
func Untrusted(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), 1<<16))
	space := false // a space is pending
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			i++
			continue
		}
		if r == 0x1b || r == 0x9b || r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f {
			i = skipEscape(s, i)
			continue
		}
		i += size
		switch {
		case unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		case dropRune(r):
			continue
		}
		switch r {
		case '«', '»':
			r = '"'
		case '<':
			r = '‹'
		case '>':
			r = '›'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return capRunes(b.String(), max)
}

// dropRune reports whether r has no place in untrusted text: controls,
// format characters, variation selectors, private use, noncharacters.
func dropRune(r rune) bool {
	switch {
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r):
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE: // noncharacters
		return true
	case r == utf8.RuneError:
		return true
	}
	return false
}

// skipEscape returns the index just past the terminal escape sequence that
// starts at s[i] (ESC or a C1 introducer): CSI sequences up to their final
// byte, OSC, DCS, PM and APC strings up to BEL or ST, and any other ESC
// with the one character after it.
func skipEscape(s string, i int) int {
	r, size := utf8.DecodeRuneInString(s[i:])
	j := i + size
	kind := r
	if r == 0x1b {
		if j >= len(s) {
			return j
		}
		switch s[j] {
		case '[':
			kind = 0x9b
		case ']':
			kind = 0x9d
		case 'P':
			kind = 0x90
		case '^':
			kind = 0x9e
		case '_':
			kind = 0x9f
		default:
			_, n := utf8.DecodeRuneInString(s[j:])
			return j + n
		}
		j++
	}
	if kind == 0x9b {
		// CSI: parameter and intermediate bytes, then one final byte.
		for j < len(s) {
			c := s[j]
			j++
			if c >= 0x40 && c <= 0x7e {
				return j
			}
			if c < 0x20 || c > 0x7e {
				return j - 1 // malformed: stop before the stray byte
			}
		}
		return j
	}
	// A string: up to BEL, ESC \ or the C1 string terminator.
	for j < len(s) {
		if s[j] == 0x07 {
			return j + 1
		}
		if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
			return j + 2
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		if r == 0x9c {
			return j + n
		}
		j += n
	}
	return j
}

// capRunes cuts s to at most max runes (no cap when max <= 0), at a space
// in the last fifth of the budget when there is one, and marks the cut
// with "…".
func capRunes(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return "…"
	}
	// Byte offset of the (max-1)th rune: room for the ellipsis.
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	head := s[:cut]
	if sp := strings.LastIndexByte(head, ' '); sp > 0 && utf8.RuneCountInString(head[sp:]) <= max/5 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " ") + "…"
}
