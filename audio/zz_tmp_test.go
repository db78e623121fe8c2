package audio_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTmpVar(t *testing.T) {
	files, _ := filepath.Glob(os.Getenv("G"))
	for _, f := range files {
		fh, _ := os.Open(f)
		st, _ := fh.Stat()
		info, err := probe(t, fh, st.Size())
		d, _ := info.Length.Duration()
		t.Logf("%-14s %-10s %-14v est=%-5v %v", filepath.Base(f), info.Format, d.Round(time.Millisecond), info.Estimated, err)
	}
}
