package recording_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/submit"
)

func fakeFingerprint(size int64, n int) string {
	return fmt.Sprintf("v1:%d:%064x", size, n)
}

func TestCacheRoundTrip(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "history.jsonl")
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.Local)
	f := recording.File{Path: "/rec/ünï talk.flac", Size: 4096, MTime: t0}
	c := recording.OpenCache(hist)
	if c.Warning() != "" {
		t.Fatalf("a missing cache warns: %s", c.Warning())
	}
	if err := c.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Path()); !os.IsNotExist(err) {
		t.Errorf("saving an unchanged cache wrote %s", c.Path())
	}
	c.Put(f, fakeFingerprint(4096, 1))
	c.Put(recording.File{Path: "/rec/\xff.flac", Size: 4096, MTime: t0}, fakeFingerprint(4096, 2))
	if err := c.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(c.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", fi, err)
	}

	c = recording.OpenCache(hist)
	if c.Warning() != "" {
		t.Errorf("warning on a good cache: %s", c.Warning())
	}
	if fp, ok := c.Get(f); !ok || fp != fakeFingerprint(4096, 1) {
		t.Errorf("Get = %q %v", fp, ok)
	}
	for name, g := range map[string]recording.File{
		"other mtime":     {Path: f.Path, Size: f.Size, MTime: t0.Add(time.Nanosecond)},
		"other size":      {Path: f.Path, Size: f.Size + 1, MTime: t0},
		"other path":      {Path: "/rec/other.flac", Size: f.Size, MTime: t0},
		"not UTF-8, kept": {Path: "/rec/\xff.flac", Size: 4096, MTime: t0},
	} {
		if fp, ok := c.Get(g); ok {
			t.Errorf("%s: Get = %q, want a miss", name, fp)
		}
	}
}

// A cached fingerprint spares reading the file: the path given here does
// not exist, and the recording is still recognised.
func TestCacheSparesTheRead(t *testing.T) {
	dir := t.TempDir()
	real := writeAudio(t, filepath.Join(dir, "moved.wav"), 5000, 7)
	fp := fingerprint(t, real.Path)
	hw := newHistory(t, filepath.Join(dir, "history.jsonl"))
	old := real
	old.Path = "/before/the/move.wav"
	hw.add(started("a", old, fp, submit.Options{}), submitted("a"))
	ix := recording.NewIndex(hw.load(), neverAlive)

	cache := recording.OpenCache(filepath.Join(dir, "history.jsonl"))
	if r, err := ix.Recognise(real, cache); err != nil || len(r.Subs) != 1 {
		t.Fatalf("first look: %v, %d submissions", err, len(r.Subs))
	}
	if err := cache.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(real.Path); err != nil {
		t.Fatal(err)
	}
	cache = recording.OpenCache(filepath.Join(dir, "history.jsonl"))
	r, err := ix.Recognise(real, cache)
	if err != nil || len(r.Subs) != 1 || r.Fingerprint != fp {
		t.Errorf("from the cache: %v, %d submissions, %q", err, len(r.Subs), r.Fingerprint)
	}
}

// A damaged cache is reported once, works as an empty one, and the next
// Save rebuilds it.
func TestCacheDamaged(t *testing.T) {
	f := recording.File{Path: "/rec/a.flac", Size: 10, MTime: time.Unix(1e9, 0)}
	good := fmt.Sprintf(`{"v":1,"files":{"/rec/a.flac":{"size":10,"mtime_ns":%d,"fingerprint":%q,"seen":1}}}`,
		f.MTime.UnixNano(), fakeFingerprint(10, 1))
	for _, tt := range []struct {
		name, content, warning string
		hit                    bool
	}{
		{"garbage", "\x00\x01 not json", "is damaged (invalid character", false},
		{"cut short", good[:len(good)/2], "is damaged (unexpected end of JSON input)", false},
		{"no version", `{"files":{}}`, "has no valid version (0)", false},
		{"wrong type", `{"v":1,"files":[]}`, "is damaged (json: cannot unmarshal array", false},
		{"an entry that does not fit", strings.Replace(good, `"size":10`, `"size":11`, 1), "had 1 damaged entry, dropped", false},
		{"one bad entry among good ones", strings.Replace(good, `}}}`, `},"/rec/b.flac":{"size":3,"fingerprint":"x"}}}`, 1), "had 1 damaged entry, dropped", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hist := filepath.Join(t.TempDir(), "history.jsonl")
			if err := os.WriteFile(recording.CachePath(hist), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c := recording.OpenCache(hist)
			w := c.Warning()
			if !strings.Contains(w, tt.warning) || !strings.Contains(w, c.Path()) || !strings.HasSuffix(w, "it is rebuilt (files are read again)") || strings.Contains(w, "\n") {
				t.Errorf("warning %q, want one line naming the file with %q", w, tt.warning)
			}
			if _, ok := c.Get(f); ok != tt.hit {
				t.Errorf("Get hit = %v", ok)
			}
			c.Put(recording.File{Path: "/rec/c.flac", Size: 5, MTime: f.MTime}, fakeFingerprint(5, 3))
			if err := c.Save(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c.Warning() != "" {
				t.Errorf("still warns after the rebuild: %s", c.Warning())
			}
			c = recording.OpenCache(hist)
			if c.Warning() != "" {
				t.Errorf("the rebuilt cache warns: %s", c.Warning())
			}
			if _, ok := c.Get(recording.File{Path: "/rec/c.flac", Size: 5, MTime: f.MTime}); !ok {
				t.Error("the rebuilt cache lost the new entry")
			}
		})
	}
}

// Caches opened on the same file (each with its own lock, as two processes
// have) never lose each other's entries when they save at once.
func TestCacheConcurrentSaves(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "history.jsonl")
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			c := recording.OpenCache(hist)
			for i := range each {
				c.Put(recording.File{Path: fmt.Sprintf("/rec/%d-%d.flac", w, i), Size: 9, MTime: time.Unix(5, 0)}, fakeFingerprint(9, w*each+i))
				if i%10 == 9 {
					if err := c.Save(context.Background()); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	c := recording.OpenCache(hist)
	if c.Warning() != "" {
		t.Fatal(c.Warning())
	}
	for w := range writers {
		for i := range each {
			if fp, ok := c.Get(recording.File{Path: fmt.Sprintf("/rec/%d-%d.flac", w, i), Size: 9, MTime: time.Unix(5, 0)}); !ok || fp != fakeFingerprint(9, w*each+i) {
				t.Errorf("entry %d-%d: %q %v", w, i, fp, ok)
			}
		}
	}
}

// A cache written by a newer fwbatch is neither read nor overwritten.
func TestCacheNewerFormat(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "history.jsonl")
	newer := `{"v":2,"files":"elsewhere"}`
	os.WriteFile(recording.CachePath(hist), []byte(newer), 0o600)
	c := recording.OpenCache(hist)
	if c.Warning() != "" {
		t.Errorf("warning: %s", c.Warning())
	}
	c.Put(recording.File{Path: "/a", Size: 1, MTime: time.Unix(1, 0)}, fakeFingerprint(1, 1))
	if err := c.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(recording.CachePath(hist)); string(b) != newer {
		t.Errorf("the newer cache was overwritten: %s", b)
	}
}
