package submit_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/submit"
)

// writeBytes writes a file of size bytes, byte i being i*7 mod 251 (so
// that every MiB differs), with changes applied at the given offsets.
func writeBytes(t *testing.T, path string, size int, changes ...int) {
	t.Helper()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	for _, off := range changes {
		b[off] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func fingerprint(t *testing.T, path string) string {
	t.Helper()
	fp, info, err := submit.FingerprintFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fp, fmt.Sprintf("v1:%d:", info.Size())) {
		t.Fatalf("%s: fingerprint %q does not start with v1:<size>:", path, fp)
	}
	return fp
}

// TestFingerprint: what a fingerprint sees (size, first MiB, last MiB) and
// what it does not (the middle, the name).
func TestFingerprint(t *testing.T) {
	const mib = 1 << 20
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }

	// At most 2 MiB: the hash of the whole file.
	for _, size := range []int{1, 1000, mib, mib + 1, 2 * mib} {
		p := at(fmt.Sprintf("small-%d", size))
		writeBytes(t, p, size)
		data, _ := os.ReadFile(p)
		sum := sha256.Sum256(data)
		if got, want := fingerprint(t, p), fmt.Sprintf("v1:%d:%s", size, hex.EncodeToString(sum[:])); got != want {
			t.Errorf("%d bytes: %s, want %s", size, got, want)
		}
	}

	// Bigger: the hash of the first and last MiB, one after the other.
	const size = 5*mib + 123
	writeBytes(t, at("orig"), size)
	data, _ := os.ReadFile(at("orig"))
	sum := sha256.Sum256(append(data[:mib:mib], data[size-mib:]...))
	orig := fingerprint(t, at("orig"))
	if want := fmt.Sprintf("v1:%d:%s", size, hex.EncodeToString(sum[:])); orig != want {
		t.Fatalf("big file: %s, want %s", orig, want)
	}
	if err := os.Rename(at("orig"), at("renamed.flac")); err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, at("renamed.flac")); got != orig {
		t.Errorf("renamed: %s, want the same %s", got, orig)
	}
	for _, tt := range []struct {
		name    string
		size    int
		changes []int
		same    bool
	}{
		{"first byte", size, []int{0}, false},
		{"last byte of the first MiB", size, []int{mib - 1}, false},
		{"first byte of the last MiB", size, []int{size - mib}, false},
		{"last byte", size, []int{size - 1}, false},
		{"one byte longer", size + 1, nil, false},
		{"middle only (not seen)", size, []int{mib, size / 2, size - mib - 1}, true},
	} {
		p := at(tt.name)
		writeBytes(t, p, tt.size, tt.changes...)
		if got := fingerprint(t, p); (got == orig) != tt.same {
			t.Errorf("%s: fingerprint %s, original %s; want same=%v", tt.name, got, orig, tt.same)
		}
	}

	if _, _, err := submit.FingerprintFile(at("missing.flac")); err == nil || !strings.Contains(err.Error(), "missing.flac: no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := submit.FingerprintFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: %v", err)
	}
	// A FIFO named like audio: refused at once, not waited on for a writer.
	fifo := at("pipe.wav")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := submit.FingerprintFile(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "pipe.wav: is not a regular file") {
			t.Errorf("a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FingerprintFile waits on a FIFO")
	}
}

func TestFingerprintSize(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for fp, want := range map[string]int64{
		"v1:0:" + hash: 0, "v1:5242880:" + hash: 5242880,
		"v1:-1:" + hash: -1, "v2:5:" + hash: -1, "v1:5:abc": -1, "v1:x:" + hash: -1, "": -1,
	} {
		n, ok := submit.FingerprintSize(fp)
		if ok != (want >= 0) || (ok && n != want) {
			t.Errorf("FingerprintSize(%q) = %d, %v; want %d", fp, n, ok, want)
		}
	}
}
