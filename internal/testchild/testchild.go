// Package testchild runs a test binary again in a child process, for checks
// the test process cannot make itself: as an unprivileged user (root reads
// and writes any file), or in a private mount namespace.
//
// The rule it keeps: a child that could not be started at all (the system
// refuses to switch users or to make a namespace) skips the test, saying
// why; a child that ran and failed fails the test, with its output.
package testchild

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Nobody is the uid and gid of user nobody.
const Nobody = 65534

// AsNobody returns a command that runs this test binary again, with args, as
// user nobody. The binary is copied into a fresh folder nobody can reach
// (the test's own files may sit under /root or in a 0700 temp folder); that
// folder is the command's working directory and is returned, for the caller
// to put there what the child needs. GOCOVERDIR is left out of the
// environment: nobody cannot write root's coverage folder, and a child
// without it keeps its coverage to itself instead of failing.
func AsNobody(t testing.TB, args ...string) (*exec.Cmd, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "fwbatch-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("finding the test binary to run again as nobody: %v", err)
	}
	bin := filepath.Join(dir, filepath.Base(exe))
	if err := CopyFile(exe, bin, 0o755); err != nil {
		t.Fatalf("copying the test binary where nobody can run it: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOCOVERDIR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: Nobody, Gid: Nobody}}
	return cmd, dir
}

// Output runs cmd and returns what it wrote to stdout. what names the child
// in messages ("the permission checks as nobody"). The test is skipped when
// the child could not be started; it fails when the child ran and exited
// with an error or was killed.
func Output(t testing.TB, what string, cmd *exec.Cmd) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes()
	case errors.As(err, &exit):
		t.Fatalf("%s ran and failed (%v):\n%s%s", what, err, stdout.Bytes(), stderr.Bytes())
	default:
		t.Skipf("this system cannot start %s: %v", what, err)
	}
	return nil
}

// CopyTree copies the regular files under from to to, keeping their
// modes and making folders 0755, so that a child running as nobody can
// read fixtures that sit where it cannot reach.
func CopyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return CopyFile(p, dst, info.Mode().Perm()|0o444)
	})
	if err != nil {
		t.Fatalf("copying %s for a child process: %v", from, err)
	}
}

// CopyFile copies a file to a new one with mode (a test's fixture, or the
// test binary a child runs).
func CopyFile(from, to string, mode os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
