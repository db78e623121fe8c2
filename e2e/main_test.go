// Package e2e runs the built fwbatch binary as a user would: in a terminal
// (tmux or a pty), against the standalone fake API, and reads the screen,
// the history file and what the fake received.
package e2e

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

var (
	fwbatch string // the built binary
	fakeBin string // the standalone fake
)

// parallel is how many of these tests run at once unless -parallel says
// otherwise. They spend their time waiting (on the fake's throttled reads,
// the UI's timers, tmux), not computing, so more than the number of cores
// (go test's default) run well; their limits are counts or generous.
const parallel = 4

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", fmt.Sprint(parallel))
	}
	dir, err := os.MkdirTemp("", "fwbatch-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// One build of both: fwbatch (the module's root) and fakeapi. Without
	// the VCS stamp, `fwbatch version` says what this tree's code says in
	// this test binary (TestBinaryIsThisCode); release builds are
	// release_test's business.
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", dir+string(filepath.Separator), "..", "../submit/fakeapi/cmd/fakeapi")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building fwbatch and the fake:", err)
		os.Exit(1)
	}
	fwbatch = filepath.Join(dir, "fwbatch")
	fakeBin = filepath.Join(dir, "fakeapi")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// canary is the API key of every end-to-end run; it must never show up on
// screen or in any file fwbatch writes.
const canary = "fw-CANARY-e2e-93b1f07c"

// fake is a running standalone fake API.
type fake struct {
	t   *testing.T
	url string
}

func startFake(t *testing.T, args ...string) *fake {
	t.Helper()
	cmd := exec.Command(fakeBin, append([]string{"-key", canary, "-quiet"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("fake did not print its URL: %v", err)
	}
	go io.Copy(io.Discard, out)
	return &fake{t: t, url: strings.TrimSpace(line)}
}

func (f *fake) get(path string, v any) {
	f.t.Helper()
	resp, err := http.Get(f.url + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		f.t.Fatalf("fake %s: %v", path, err)
	}
}

func (f *fake) requests() []fakeapi.AdminRequest {
	var r []fakeapi.AdminRequest
	f.get("/_fake/requests", &r)
	return r
}

func (f *fake) jobs() []fakeapi.AdminJob {
	var j []fakeapi.AdminJob
	f.get("/_fake/jobs", &j)
	return j
}

// user is a fresh user account: its own HOME, state and config folders,
// and a debug log.
type user struct {
	home, state, config string
	debug               string // the --debug log of ui()
	env                 []string
}

func newUser(t *testing.T, f *fake, extra ...string) *user {
	t.Helper()
	home := t.TempDir()
	u := &user{home: home, state: filepath.Join(home, "state"), config: filepath.Join(home, "config"), debug: filepath.Join(home, "debug.log")}
	t.Cleanup(func() { noCanaryIn(t, home) })
	u.env = []string{
		"HOME=" + home, "XDG_STATE_HOME=" + u.state, "XDG_CONFIG_HOME=" + u.config,
		"PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8",
		"FWBATCH_POLL_INTERVAL=300ms",
	}
	if f != nil {
		u.env = append(u.env, "FIREWORKS_API_KEY="+canary, "FIREWORKS_BATCH_BASE_URL="+f.url)
	}
	u.env = append(u.env, extra...)
	return u
}

func (u *user) historyPath() string { return filepath.Join(u.state, "fwbatch", "history.jsonl") }

// ui is the command line of the UI with args, logging to the user's debug
// log (which, like every file in the user's home, is checked for the key
// when the test ends).
func (u *user) ui(args ...string) []string {
	return append([]string{fwbatch, "--debug", u.debug}, args...)
}

// logged counts the lines of a --debug log that hold what (a message type
// such as "ui.watchTickMsg"): the UI's own clock, for windows measured in
// its ticks rather than in seconds of a machine that may be loaded.
func logged(t *testing.T, log, what string) int {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(data), what)
}

// waitLogged waits until log holds n lines with what, and fails the test
// when that has not happened within d.
func waitLogged(t *testing.T, log, what string, n int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); logged(t, log, what) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %d %s in the debug log; it has %d", d, n, what, logged(t, log, what))
		}
	}
}

// audioDir makes a folder with audio files copied from testdata/audio,
// named as asked; padTo grows a file (after its real header) so that an
// upload takes a moment.
func audioDir(t *testing.T, files map[string]string, padTo int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "recordings")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "audio", src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if padTo > int64(len(data)) {
			if err := os.Truncate(p, padTo); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// noCanaryIn fails if the API key appears in any file under dir: the
// history, saved results, the config, debug logs.
func noCanaryIn(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.Size() > 16<<20 {
			return nil // the big sparse audio files
		}
		if data, err := os.ReadFile(path); err == nil {
			noCanary(t, path, string(data))
		}
		return nil
	})
}

// noCanary fails if the API key appears in s.
func noCanary(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, canary) || strings.Contains(s, canary[len(canary)-12:]) {
		t.Fatalf("the API key appears in %s", where)
	}
}
