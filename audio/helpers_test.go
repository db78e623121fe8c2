package audio_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

// countingReader is an io.ReaderAt that counts the bytes Probe asks for and
// fails a read outside the file, so tests can hold Probe to MaxRead.
type countingReader struct {
	r    io.ReaderAt
	size int64

	mu    sync.Mutex
	read  int64
	calls int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.read += int64(len(p))
	c.calls++
	c.mu.Unlock()
	if off < 0 || off+int64(len(p)) > c.size {
		return 0, fmt.Errorf("read of %d bytes at %d outside a %d-byte file", len(p), off, c.size)
	}
	return c.r.ReadAt(p, off)
}

// probe runs Probe over r and fails the test if it read more than MaxRead.
func probe(t testing.TB, r io.ReaderAt, size int64) (audio.Info, error) {
	t.Helper()
	c := &countingReader{r: r, size: size}
	info, err := audio.Probe(context.Background(), c, size)
	if c.read > audio.MaxRead {
		t.Errorf("read %d bytes in %d calls, more than MaxRead (%d)", c.read, c.calls, audio.MaxRead)
	}
	return info, err
}

func probeBytes(t testing.TB, b []byte) (audio.Info, error) {
	t.Helper()
	return probe(t, bytes.NewReader(b), int64(len(b)))
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "audio", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// within reports whether got is within max(0.5%, 0.1 s) of want: the
// accuracy fwbatch promises.
func within(got, want time.Duration) bool {
	tolerance := max(time.Duration(float64(want)*0.005), 100*time.Millisecond)
	return time.Duration(math.Abs(float64(got-want))) <= tolerance
}

// virtualFile is a large file made of parts without allocating it: bytes,
// runs of zeros, and a block repeated many times.
type virtualFile struct {
	parts []part
	size  int64
}

type part struct {
	data  []byte // repeated times times; nil for zeros
	zeros int64
	times int64
	off   int64
}

func (v *virtualFile) add(data []byte, times int64) *virtualFile {
	v.parts = append(v.parts, part{data: data, times: times, off: v.size})
	v.size += int64(len(data)) * times
	return v
}

func (v *virtualFile) zeros(n int64) *virtualFile {
	v.parts = append(v.parts, part{zeros: n, off: v.size})
	v.size += n
	return v
}

func (v *virtualFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= v.size {
			return n, io.EOF
		}
		for _, pt := range v.parts {
			length := pt.zeros + int64(len(pt.data))*pt.times
			if at < pt.off || at >= pt.off+length {
				continue
			}
			rel := at - pt.off
			var m int
			if pt.data == nil {
				m = int(min(int64(len(p)-n), length-rel))
				clear(p[n : n+m])
			} else {
				m = copy(p[n:], pt.data[rel%int64(len(pt.data)):])
			}
			n += m
			break
		}
	}
	return n, nil
}
