package e2e

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/cli"
)

// TestReadmeCommandsExist: every command in the README's command list has a
// --help that exits 0 and shows its usage, and every --flag the README names
// is a flag of some command (each command's own flags for its usage line).
func TestReadmeCommandsExist(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	_, after, ok := strings.Cut(readme, "\n## Commands\n")
	if !ok {
		t.Fatal("README has no ## Commands section")
	}
	_, block, _ := strings.Cut(after, "```\n")
	block, _, _ = strings.Cut(block, "```")

	help := map[string]string{} // command ("" for the UI) → its --help
	flagOf := regexp.MustCompile(`--([a-z][a-z-]*)|(?:^|[\s\[])-([a-z])\b`)
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "fwbatch" {
			t.Fatalf("command list line %q does not start with fwbatch", line)
		}
		cmd := f[1]
		if strings.HasPrefix(cmd, "[") {
			cmd = ""
		}
		args := []string{"--help"}
		if cmd == "version" {
			args = nil
		}
		if cmd != "" {
			args = append([]string{cmd}, args...)
		}
		out, err := exec.Command(fwbatch, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("fwbatch %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if cmd == "version" {
			if !strings.HasPrefix(string(out), "fwbatch ") {
				t.Fatalf("fwbatch version printed %q", out)
			}
			continue
		}
		_, usage, _ := strings.Cut(string(out), "USAGE")
		usage, _, _ = strings.Cut(usage, "\n  EXAMPLES")
		if !strings.Contains(usage, strings.TrimSpace("fwbatch "+cmd)) {
			t.Fatalf("fwbatch %s --help does not show its usage:\n%s", cmd, out)
		}
		help[cmd] = string(out)
		// The flags on the usage line are that command's.
		usageText, _, _ := strings.Cut(line, "   ")
		for _, m := range flagOf.FindAllStringSubmatch(usageText, -1) {
			name := m[1] + m[2]
			if !hasFlag(help[cmd], name) {
				t.Errorf("the README shows %q for fwbatch %s, but its --help has no -%s", usageText, cmd, name)
			}
		}
	}
	// Every --flag anywhere in the README belongs to some command.
	all := strings.Join(func() []string {
		var v []string
		for _, h := range help {
			v = append(v, h)
		}
		return v
	}(), "\n")
	for _, m := range regexp.MustCompile("`[^`]*`").FindAllString(readme, -1) {
		for _, f := range regexp.MustCompile(`(?:^|[\s\x60\[(])--([a-z][a-z-]+)`).FindAllStringSubmatch(m, -1) {
			if f[1] == "help" { // every command's, checked above
				continue
			}
			if !hasFlag(all, f[1]) {
				t.Errorf("the README names --%s, which no command has", f[1])
			}
		}
	}
}

// hasFlag reports whether help lists the flag name (a letter for a short
// flag), as fang lists them: "--name", or "-n --name".
func hasFlag(help, name string) bool {
	re := `(?m)^\s+(-[a-zA-Z] )?--` + regexp.QuoteMeta(name) + `\s`
	if len(name) == 1 {
		re = `(?m)^\s+-` + regexp.QuoteMeta(name) + ` --[a-z]`
	}
	return regexp.MustCompile(re).MatchString(help)
}

// TestReadmeTestCommandIsCI: the test command of the README's "Set up on a
// fresh machine" is exactly the one .ci/run runs, so what a newcomer runs is
// what CI runs.
func TestReadmeTestCommandIsCI(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	_, setup, ok := strings.Cut(string(readme), "\n## Set up on a fresh machine\n")
	if !ok {
		t.Fatal("README has no ## Set up on a fresh machine section")
	}
	setup, _, _ = strings.Cut(setup, "\n## ")
	var fromReadme, fromCI []string
	for _, l := range strings.Split(setup, "\n") {
		if cmd, _, _ := strings.Cut(l, "#"); strings.HasPrefix(cmd, "go test") {
			fromReadme = append(fromReadme, strings.TrimSpace(cmd))
		}
	}
	for _, l := range strings.Split(string(ci), "\n") {
		if strings.HasPrefix(l, "go test") {
			fromCI = append(fromCI, strings.TrimSpace(l))
		}
	}
	if len(fromReadme) != 1 || len(fromCI) != 1 || fromReadme[0] != fromCI[0] {
		t.Fatalf("the README's test command %q is not the one .ci/run runs %q", fromReadme, fromCI)
	}
}

// TestBinaryIsThisCode: the binary TestMain built answers `version` as this
// tree's cli.Main does in-process. Calling cli.Main also links the code the
// binary is built from into this test binary: go build's reads are
// invisible to go test's result cache, and without this a change to
// fwbatch left `go test ./e2e` passing from the cache.
func TestBinaryIsThisCode(t *testing.T) {
	t.Parallel()
	var in bytes.Buffer
	if code := cli.Main([]string{"version"}, nil, &in, io.Discard); code != 0 {
		t.Fatalf("cli.Main version: exit %d", code)
	}
	out, err := exec.Command(fwbatch, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in.String() {
		t.Fatalf("the built binary says %q, this tree's code %q", out, in.String())
	}
}
