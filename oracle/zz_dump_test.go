package oracle

import (
	"context"
	"fmt"
	"testing"
)

func TestZZDump(t *testing.T) {
	p, err := Template{}.Draft(context.Background(), fixture())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(p.Markdown)
}
