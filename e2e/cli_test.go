package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// run runs the built fwbatch with env and returns its stdout, stderr and
// exit status.
func run(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(fwbatch, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fwbatch %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// TestGNUFlags: global flags before the command, --flag=value and the
// short -j, as the README shows them, on the built binary.
func TestGNUFlags(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"talk.flac": "hello.flac"}, 0)
	hist := filepath.Join(t.TempDir(), "elsewhere.jsonl")

	out, errOut, code := run(t, u.env, "--history", hist, "submit", "--response-format=srt", "-j", filepath.Join(dir, "talk.flac"))
	var sub struct {
		ID      string `json:"id"`
		Outcome string `json:"outcome"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &sub) != nil || sub.Outcome != "submitted" {
		t.Fatalf("submit: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Fields["response_format"] != "srt" {
		t.Fatalf("the fake got %+v", reqs)
	}
	out, errOut, code = run(t, u.env, "--history", hist, "status", "--json")
	var st struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.ID != sub.ID || st.State != "completed" {
		t.Fatalf("status --json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(u.historyPath()); !os.IsNotExist(err) {
		t.Errorf("--history before the command was not used: %s exists", u.historyPath())
	}

	// The demo's history, with --demo before the command.
	demo := newUser(t, nil)
	out, errOut, code = run(t, demo.env, "--demo", "submit", filepath.Join(dir, "talk.flac"))
	if code != 0 || !strings.Contains(out, "talk.flac submitted") {
		t.Fatalf("--demo submit: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = run(t, demo.env, "--demo", "list", "--all")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 2 || !strings.Contains(errOut, "DEMO") {
		t.Fatalf("--demo list --all: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Usage errors: one line naming the help, exit 2.
	_, errOut, code = run(t, u.env, "list", "--bogus")
	if code != 2 || errOut != "fwbatch: unknown flag: --bogus (see `fwbatch list --help`)\n" {
		t.Errorf("an unknown flag: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = run(t, u.env, "--api-key", "fw_x", "list")
	if code != 2 || !strings.Contains(errOut, "never taken as a flag") {
		t.Errorf("--api-key: exit %d, stderr %q", code, errOut)
	}
}

// TestBashCompletion: the bash completion script is valid bash, and in a
// bash that sourced it (with the bash-completion package, as the README
// says), `fwbatch status <TAB>` completes the batch id in the history.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	script, errOut, code := run(t, nil, "completion", "bash")
	if code != 0 || !strings.Contains(script, "complete -o default -F __start_fwbatch fwbatch") {
		t.Fatalf("completion bash: exit %d, stderr %q", code, errOut)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "fwbatch.bash")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	for shell, want := range map[string]string{"zsh": "#compdef fwbatch", "fish": "complete -c fwbatch", "powershell": "Register-ArgumentCompleter"} {
		if out, _, code := run(t, nil, "completion", shell); code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, no %q", shell, code, want)
		}
	}

	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs bash-completion: %v", err)
		}
		t.Skipf("no bash-completion package (%v)", err)
	}
	tmuxtest.Require(t)
	f := startFake(t)
	u := newUser(t, f)
	audio := audioDir(t, map[string]string{"talk.flac": "hello.flac"}, 0)
	out, errOut, code := run(t, u.env, "submit", "-j", filepath.Join(audio, "talk.flac"))
	var sub struct {
		BatchID string `json:"batch_id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &sub) != nil || sub.BatchID == "" {
		t.Fatalf("submit: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	rc := filepath.Join(dir, "bashrc")
	os.WriteFile(rc, []byte("PS1='fw$ '\nsource "+bashCompletion+"\nsource "+path+"\n"), 0o644)
	env := append(u.env[:len(u.env):len(u.env)], "PATH="+filepath.Dir(fwbatch)+":"+os.Getenv("PATH"))
	s := tmuxtest.Start(t, 120, 10, env, "bash", "--noprofile", "--rcfile", rc, "-i")
	s.WaitText(wait, "fw$")
	s.Type("fwbatch status ")
	s.Keys("Tab")
	s.WaitText(10*time.Second, "fw$ fwbatch status "+sub.BatchID)
	if n := len(f.requests()); n != 1 {
		t.Errorf("completion reached the API: %d requests, want the 1 upload", n)
	}
}

// TestManPage: `fwbatch man` is a man page that groff renders without a
// warning, listing the commands and flags.
func TestManPage(t *testing.T) {
	t.Parallel()
	page, errOut, code := run(t, nil, "man")
	if code != 0 || !strings.HasPrefix(page, ".TH ") {
		t.Fatalf("man: exit %d, stderr %q, page starts %q", code, errOut, page[:min(len(page), 40)])
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI has groff (man-db needs it)")
		}
		t.Skip("no groff")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-P", "-cbou")
	cmd.Stdin = strings.NewReader(page)
	var out, warnings bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &warnings
	if err := cmd.Run(); err != nil || warnings.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, warnings.String())
	}
	text := out.String()
	for _, want := range []string{"NAME", "fwbatch", "SYNOPSIS", "COMMANDS", "submit", "status", "--response-format", "--history",
		"ENVIRONMENT", "FIREWORKS_API_KEY", "EXIT STATUS"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered man page has no %q:\n%s", want, text)
		}
	}
}

// TestDemoRecordings: `fwbatch --demo` with no path opens on the bundled
// sample recordings, and a submitted one comes back with the words it says.
func TestDemoRecordings(t *testing.T) {
	t.Parallel()
	u := newUser(t, nil)
	s := tmuxtest.Start(t, 100, 30, u.env, fwbatch, "--demo")
	scr := s.WaitText(wait, "4 audio file(s)")
	for _, name := range []string{"interview.flac", "lecture.wav", "memo.ogg", "standup.mp3"} {
		if !strings.Contains(scr, name) {
			t.Fatalf("Files does not show %s:\n%s", name, scr)
		}
	}
	if !strings.Contains(scr, filepath.Join(u.state, "fwbatch", "demo", "recordings")) {
		t.Errorf("Files is not in the demo's recordings folder:\n%s", scr)
	}
	s.Keys("Enter")
	focused(t, s, "Task")
	s.Keys("C-s")
	s.WaitFor(wait, "the job to complete", func(scr string) bool { return strings.Contains(scr, "✓ completed") })
	s.Keys("Enter")
	s.WaitText(wait, "Thanks for joining us today. Tell me about the project you are working on.")
	s.Keys("Escape")
	s.WaitText(wait, "History  1 submission")
	s.Keys("q")
	s.WaitFor(wait, "the demo to exit", func(string) bool { dead, _ := s.Dead(); return dead })
}
