package oracle

import (
	"errors"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	d, err := NewDrafter("template", DrafterConfig{Language: "fr", Model: "ignored"})
	if err != nil || d != (Template{Language: "fr"}) {
		t.Errorf("template: %#v, %v", d, err)
	}
	_, err = NewDrafter("nope", DrafterConfig{})
	if !errors.Is(err, ErrUnknownDrafter) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "template") {
		t.Errorf("unknown drafter: %v", err)
	}
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("a second template", func() {
		Register("template", func(DrafterConfig) (Drafter, error) { return Template{}, nil })
	})
	mustPanic("a nil factory", func() { Register("nil-factory", nil) })
	for _, n := range Drafters() {
		if n == "nil-factory" {
			t.Errorf("a nil factory was registered")
		}
	}
	if e := (&ConfigError{Key: "base_url", Problem: "is empty"}).Error(); e != "oracle.base_url: is empty" {
		t.Errorf("ConfigError %q", e)
	}
}
