// Package e2e runs the built fwbatch binary as a user would: in a terminal
// (tmux or a pty), against the standalone fake API, and reads the screen,
// the history file and what the fake received.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

var (
	fwbatch string // the built binary
	fakeBin string // the standalone fake
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fwbatch-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fwbatch = filepath.Join(dir, "fwbatch")
	fakeBin = filepath.Join(dir, "fakeapi")
	for _, b := range [][2]string{{fwbatch, ".."}, {fakeBin, "../submit/fakeapi/cmd/fakeapi"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", b[1], err)
			os.Exit(1)
		}
	}
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

// user is a fresh user account: its own HOME, state and config folders.
type user struct {
	home, state, config string
	env                 []string
}

func newUser(t *testing.T, f *fake, extra ...string) *user {
	t.Helper()
	home := t.TempDir()
	u := &user{home: home, state: filepath.Join(home, "state"), config: filepath.Join(home, "config")}
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

// noCanary fails if the API key appears in s.
func noCanary(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, canary) || strings.Contains(s, canary[len(canary)-12:]) {
		t.Fatalf("the API key appears in %s", where)
	}
}
