package gen

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestREADMEExamples keeps the examples in tars/README.md identical to the
// files the tests compile: each "<!-- example: path -->" marker is followed
// by a fenced block holding that file.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- example: (\\S+) -->\n```\\w*\n(.*?)```\n")
	matches := re.FindAllSubmatch(readme, -1)
	if len(matches) < 2 {
		t.Fatalf("found %d examples in README.md", len(matches))
	}
	for _, m := range matches {
		want, err := os.ReadFile(filepath.Join("..", string(m[1])))
		if err != nil {
			t.Fatal(err)
		}
		if string(m[2]) != string(want) {
			t.Errorf("README.md example %s differs from the file\n%s", m[1], firstDiff(m[2], want))
		}
	}
}
