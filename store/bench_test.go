package store

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkLoad100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.jsonl")
	writeSampleHistory(b, path, 100_000)
	fi, _ := os.Stat(path)
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		h, err := s.Load()
		if err != nil || h.Len() != 100_000 || !h.Report().Clean() {
			b.Fatal(err, h.Len(), h.Report())
		}
	}
}
