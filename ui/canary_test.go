package ui

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// leaksKey reports whether s shows the API key, whole or more of it than
// its last four characters (the most the screen may show: "key …41d2").
func leaksKey(s string) bool {
	s = ansi.Strip(s)
	return strings.Contains(s, testKey) || strings.Contains(s, testKey[len(testKey)-6:])
}

// noKey fails the test when s, found in where, shows the API key.
func noKey(t testing.TB, where, s string) {
	t.Helper()
	if leaksKey(s) {
		t.Fatalf("the API key shows in %s:\n%s", where, ansi.Strip(s))
	}
}

// debugLog is a test's debug log (Options.Debug): safe for the program's
// goroutine and the test's to share.
type debugLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *debugLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *debugLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// debugOptions are the Options every test harness builds its Model with: a
// debug log that is scanned for the key when the test ends (a key written
// at start-up or by any message), as the cli's --debug is.
func debugOptions(tb testing.TB) Options {
	log := &debugLog{}
	tb.Cleanup(func() {
		if leaksKey(log.String()) {
			tb.Errorf("the API key is in the debug log:\n%s", log.String())
		}
	})
	return Options{Debug: log}
}
