package recording

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"

	"github.com/fwbatch/fwbatch/submit"
)

// Cache remembers the fingerprints of files read before, by path, size and
// mtime, in <history>.fingerprints, so that listing a folder again reads
// none of its files. It is never needed for correctness: a missing or
// damaged cache only costs reading the files again. It is safe for
// concurrent use, and several processes may share the file: Save merges
// under a lock and replaces the file atomically.
type Cache struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry // by path
	changed map[string]cacheEntry // put or touched since the last Save
	newer   bool                  // the file is of a newer format: never overwritten
	warning string
}

type cacheEntry struct {
	Size        int64  `json:"size"`
	MTime       int64  `json:"mtime_ns"` // Unix nanoseconds
	Fingerprint string `json:"fingerprint"`
	Seen        int64  `json:"seen"` // Unix seconds: when it was last used, to drop the oldest
}

// cacheFile is the file's format: small, and only ever read whole.
type cacheFile struct {
	V     int                   `json:"v"`
	Files map[string]cacheEntry `json:"files"`
}

const (
	cacheVersion = 1
	// maxCacheEntries bounds the file (about 200 bytes an entry); Save
	// drops the entries used longest ago beyond it.
	maxCacheEntries = 100_000
	// touchAfter: an entry used again is rewritten (its Seen updated) only
	// when it was last seen this long ago, so listing a folder twice does
	// not rewrite the cache.
	touchAfter = 24 * time.Hour
	// cacheLockWait bounds the wait for another process's Save.
	cacheLockWait = 5 * time.Second
)

// CachePath is where the fingerprint cache of the history at historyPath
// lives.
func CachePath(historyPath string) string { return historyPath + ".fingerprints" }

// OpenCache reads the cache of the history at historyPath. It never fails:
// a missing file is an empty cache, and a damaged one is too, with a
// Warning saying so; the next Save rewrites it.
func OpenCache(historyPath string) *Cache {
	c := &Cache{path: CachePath(historyPath), now: time.Now, changed: map[string]cacheEntry{}}
	entries, problem, newer := readCache(c.path)
	c.entries, c.newer = entries, newer
	if problem != "" {
		c.warning = fmt.Sprintf("fingerprint cache %s %s; it is rebuilt (files are read again)", c.path, problem)
	}
	return c
}

// readCache reads the cache file: its entries, what was wrong with it ("" if
// nothing), and whether it is of a newer format.
func readCache(path string) (entries map[string]cacheEntry, problem string, newer bool) {
	entries = map[string]cacheEntry{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return entries, "", false
	case err != nil:
		return entries, "cannot be read (" + err.Error() + ")", false
	}
	// The version first: a newer format may change any other field.
	var v struct {
		V int `json:"v"`
	}
	if json.Unmarshal(data, &v) == nil && v.V > cacheVersion {
		return entries, "", true // a newer fwbatch's: not read, not overwritten
	}
	var f cacheFile
	if err := json.Unmarshal(data, &f); err != nil {
		return entries, "is damaged (" + err.Error() + ")", false
	}
	if f.V != cacheVersion {
		return entries, fmt.Sprintf("has no valid version (%d)", f.V), false
	}
	bad := 0
	for p, e := range f.Files {
		// A fingerprint that does not fit its entry would make a file
		// look like another recording: such an entry is dropped.
		if size, ok := submit.FingerprintSize(e.Fingerprint); !ok || size != e.Size || p == "" {
			bad++
			continue
		}
		entries[p] = e
	}
	if bad > 0 {
		problem = fmt.Sprintf("had %d damaged %s, dropped", bad, plural(bad, "entry", "entries"))
	}
	return entries, problem, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Warning says in one line what was wrong with the file when it was read,
// or "".
func (c *Cache) Warning() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.warning
}

// Path is the cache file's path.
func (c *Cache) Path() string { return c.path }

// Get returns the fingerprint remembered for f, if f still has the size and
// mtime it had when it was read.
func (c *Cache) Get(f File) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[f.Path]
	if !ok || e.Size != f.Size || e.MTime != f.MTime.UnixNano() {
		return "", false
	}
	if now := c.now().Unix(); now-e.Seen > int64(touchAfter/time.Second) {
		e.Seen = now
		c.entries[f.Path], c.changed[f.Path] = e, e
	}
	return e.Fingerprint, true
}

// Put remembers f's fingerprint until the next Save writes it. A path that
// is not valid UTF-8 is not remembered: JSON would spell it like others.
func (c *Cache) Put(f File, fingerprint string) {
	if !utf8.ValidString(f.Path) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := cacheEntry{Size: f.Size, MTime: f.MTime.UnixNano(), Fingerprint: fingerprint, Seen: c.now().Unix()}
	c.entries[f.Path], c.changed[f.Path] = e, e
}

// Save writes what was put since the last Save, merged with what other
// processes saved meanwhile, under <cache>.lock: a temp file, fsync,
// rename over the old one. Nothing to write, or a cache of a newer format,
// writes nothing.
func (c *Cache) Save(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.changed) == 0 || c.newer {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, cacheLockWait)
	defer cancel()
	fl := flock.New(c.path+".lock", flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(lctx, 20*time.Millisecond)
	if !ok {
		if err == nil {
			err = lctx.Err()
		}
		return fmt.Errorf("fingerprint cache %s: not saved, the lock is busy (%w); files are read again next time", c.path, err)
	}
	defer fl.Unlock()

	onDisk, _, newer := readCache(c.path)
	if newer {
		c.newer = true
		return nil
	}
	for p, e := range c.changed {
		onDisk[p] = e
	}
	trimCache(onDisk, maxCacheEntries)
	data, err := json.Marshal(cacheFile{V: cacheVersion, Files: onDisk})
	if err != nil {
		return fmt.Errorf("fingerprint cache %s: %w", c.path, err)
	}
	if err := renameio.WriteFile(c.path, data, 0o600); err != nil {
		return fmt.Errorf("fingerprint cache %s: not saved (%w); files are read again next time", c.path, err)
	}
	c.entries, c.changed, c.warning = onDisk, map[string]cacheEntry{}, ""
	return nil
}

// trimCache drops the entries seen longest ago until at most max remain.
func trimCache(entries map[string]cacheEntry, max int) {
	if len(entries) <= max {
		return
	}
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(a, b string) int {
		return cmp.Or(cmp.Compare(entries[a].Seen, entries[b].Seen), cmp.Compare(a, b))
	})
	for _, p := range paths[:len(paths)-max] {
		delete(entries, p)
	}
}
