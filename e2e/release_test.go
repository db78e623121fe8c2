package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReleaseScript: scripts/release.sh builds an archive whose fwbatch
// runs and prints the version given, listed in SHA256SUMS, with sorted
// entries owned by root at the commit's time; a second run gives the same
// bytes. (The script itself also rebuilds from a fresh copy with an empty
// cache; VERIFY=0 leaves that to releases, as it rebuilds the standard
// library.)
func TestReleaseScript(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds fwbatch twice with -trimpath")
	}
	const version = "v0.0.0-e2e"
	runScript := func(out string) {
		t.Helper()
		cmd := exec.Command("../scripts/release.sh", version)
		cmd.Env = append(os.Environ(), "OUT="+out, "TARGETS=linux/amd64", "VERIFY=0", "ALLOW_DIRTY=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("release.sh: %v\n%s", err, b)
		}
	}
	first, second := t.TempDir(), t.TempDir()
	runScript(first)
	name := "fwbatch_" + version + "_linux_amd64.tar.gz"
	data, err := os.ReadFile(filepath.Join(first, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if sums, _ := os.ReadFile(filepath.Join(first, "SHA256SUMS")); string(sums) != hex.EncodeToString(sum[:])+"  "+name+"\n" {
		t.Errorf("SHA256SUMS: %q", sums)
	}

	// Unpack it as a user would, and look at every entry on the way.
	dir := t.TempDir()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("gzip header has a name %q or time %v (not gzip -n)", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var names []string
	var mtime time.Time
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || (mtime != time.Time{} && !h.ModTime.Equal(mtime)) {
			t.Errorf("%s: owner %d:%d, mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		mtime = h.ModTime
		p := filepath.Join(dir, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			os.WriteFile(p, b, os.FileMode(h.Mode))
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries not sorted: %v", names)
	}
	base := "fwbatch_" + version + "_linux_amd64/"
	for _, want := range []string{"fwbatch", "README.md", "fwbatch.1", "completions/fwbatch.bash"} {
		if !slices.Contains(names, base+want) {
			t.Errorf("the archive has no %s: %v", want, names)
		}
	}
	out, err := exec.Command(filepath.Join(dir, base, "fwbatch"), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "fwbatch "+version+" (commit ") {
		t.Fatalf("fwbatch version from the archive: %v: %q", err, out)
	}

	runScript(second)
	if again, _ := os.ReadFile(filepath.Join(second, name)); !bytes.Equal(again, data) {
		t.Errorf("a second run gave different bytes")
	}
}
