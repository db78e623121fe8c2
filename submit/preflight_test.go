package submit_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fwbatch/fwbatch/internal/testchild"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestPreflight: each bad file gets a clear error naming it, and the fake
// sees no request at all.
func TestPreflight(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "pipe.wav")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.wav")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	loopA, loopB := filepath.Join(dir, "loop-a.wav"), filepath.Join(dir, "loop-b.wav")
	os.Symlink(loopB, loopA)
	os.Symlink(loopA, loopB)
	broken := filepath.Join(dir, "broken.wav")
	os.Symlink(filepath.Join(dir, "gone.wav"), broken)
	huge := filepath.Join(dir, "huge.wav")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else {
		f.WriteString("RIFF\x00\x00\x00\x00WAVE")
		f.Truncate(submit.MaxFileSize + 1) // sparse: no gigabyte on disk
		f.Close()
	}
	exactly := filepath.Join(dir, "max.wav")
	if f, err := os.Create(exactly); err != nil {
		t.Fatal(err)
	} else {
		f.WriteString("RIFF\x00\x00\x00\x00WAVE")
		f.Truncate(submit.MaxFileSize)
		f.Close()
	}

	tests := []struct {
		name, path string
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope.flac"), []string{"nope.flac: no such file"}},
		{"missing folder", filepath.Join(dir, "nope", "a.flac"), []string{"no such file"}},
		{"parent is a file", filepath.Join(mk("plain.txt", "x"), "a.flac"), []string{"no such file"}},
		{"directory", dir, []string{"is a folder"}},
		{"fifo", fifo, []string{"pipe.wav: is a named pipe (FIFO)"}},
		{"socket", sock, []string{"is a socket"}},
		{"device", os.DevNull, []string{"/dev/null: is a device"}},
		{"symlink loop", loopA, []string{"symlink loop"}},
		{"broken symlink", broken, []string{"broken symlink", "gone.wav"}},
		{"empty", mk("empty.flac", ""), []string{"empty.flac: empty file; nothing to upload"}},
		{"over 1 GB", huge, []string{"huge.wav: is 953.7 MiB (1000000001 bytes)", "at most 1 GB (1000000000 bytes)"}},
		{"not audio", fixture("not-audio.txt"), []string{"not-audio.txt: does not look like audio or video", `"These are me"`, "--force"}},
		{"binary junk", mk("junk.mp3", "\x00\x01\x02\x03junkjunkjunk"), []string{"junk.mp3: does not look like audio", "--force"}},
		{"no name", "", []string{"no file name given"}},
	}
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := submit.Preflight(tt.path, false)
			checkMessage(t, err, tt.want...)
			var fe *submit.FileError
			if !errors.As(err, &fe) || fe.Path != tt.path {
				t.Errorf("error %T %v, want a *FileError for %q", err, err, tt.path)
			}
			_, err = c.Submit(context.Background(), tt.path, submit.Options{}, nil)
			checkMessage(t, err, tt.want...)
			if submit.OutcomeOf(err) != store.KindFailed {
				t.Errorf("outcome %s, want failed", submit.OutcomeOf(err))
			}
			if n := len(fake.Requests()); n != 0 {
				t.Fatalf("the fake saw %d requests", n)
			}
		})
	}

	t.Run("exactly the limit", func(t *testing.T) {
		if _, err := submit.Preflight(exactly, false); err != nil {
			t.Error(err)
		}
	})
	t.Run("every fixture", func(t *testing.T) {
		for _, name := range []string{"hello.wav", "hello.flac", "hello.mp3", "hello.ogg"} {
			info, err := submit.Preflight(fixture(name), false)
			if err != nil || info.Size() == 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("forced", func(t *testing.T) {
		if _, err := submit.Preflight(fixture("not-audio.txt"), true); err != nil {
			t.Fatal(err)
		}
		sub, err := c.Submit(context.Background(), fixture("not-audio.txt"), submit.Options{Force: true}, nil)
		if err != nil || sub.BatchID == "" {
			t.Fatalf("forced submit: %+v, %v", sub, err)
		}
		if r := fake.Requests(); len(r) != 1 || r[0].FileContentType != "application/octet-stream" {
			t.Errorf("requests %+v", r)
		}
		// Force never overrides the checks that are not about content.
		if _, err := submit.Preflight(os.DevNull, true); err == nil {
			t.Error("a device passed when forced")
		}
	})
}

// TestInvalidOptionsNoRequest: options that break a rule fail before any
// upload, naming the field.
func TestInvalidOptionsNoRequest(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	_, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{Diarize: true}, nil)
	checkMessage(t, err, "diarize: needs response_format verbose_json and word in timestamp_granularities")
	var fe *submit.FieldError
	if !errors.As(err, &fe) || fe.Field != "diarize" {
		t.Errorf("error %T %v, want a *FieldError for diarize", err, err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests", n)
	}
}

// TestPreflightPermissionDenied runs the check as an unprivileged user:
// root reads any file, so as root the test re-runs itself as nobody.
func TestPreflightPermissionDenied(t *testing.T) {
	dir, err := os.MkdirTemp("", "fwbatch-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	secret := filepath.Join(dir, "secret.wav")
	data, err := os.ReadFile(fixture("hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, data, 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	os.Mkdir(locked, 0o700)
	inLocked := filepath.Join(locked, "a.wav")
	os.WriteFile(inLocked, data, 0o644)

	if os.Geteuid() != 0 {
		os.Chmod(secret, 0o000)
		for _, p := range []string{secret, inLocked} {
			_, err := submit.Preflight(p, false)
			checkMessage(t, err, "permission denied")
		}
		return
	}
	// Root: run the helper test below as nobody. A helper that ran and
	// failed fails this test; only a system that cannot switch to nobody
	// skips it.
	for _, p := range []string{secret, inLocked} {
		cmd, _ := testchild.AsNobody(t, "-test.run=^TestPermissionHelper$", "-test.count=1")
		cmd.Env = append(cmd.Env, "FWBATCH_PERM_FILE="+p)
		out := string(testchild.Output(t, "the check as user nobody", cmd))
		if !strings.Contains(out, "PREFLIGHT: "+p+": permission denied; check the permissions") ||
			!strings.Contains(out, "SUBMIT: "+p+": permission denied") ||
			!strings.Contains(out, "REQUESTS: 0") {
			t.Errorf("as nobody, for %s:\n%s", p, out)
		}
	}
}

// TestPermissionHelper is TestPreflightPermissionDenied's other half, run
// as nobody; it does nothing in a normal run.
func TestPermissionHelper(t *testing.T) {
	path := os.Getenv("FWBATCH_PERM_FILE")
	if path == "" {
		t.Skip("runs only inside TestPreflightPermissionDenied")
	}
	_, err := submit.Preflight(path, false)
	fmt.Println("PREFLIGHT:", err)
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	_, err = c.Submit(context.Background(), path, submit.Options{}, nil)
	fmt.Println("SUBMIT:", err)
	fmt.Println("REQUESTS:", len(fake.Requests()))
}

func TestLooksLikeMedia(t *testing.T) {
	yes := map[string]string{
		"wav":     "RIFF\x24\x00\x00\x00WAVEfmt ",
		"avi":     "RIFF\x24\x00\x00\x00AVI LIST",
		"aiff":    "FORM\x00\x00\x00\x00AIFFCOMM",
		"flac":    "fLaC\x00\x00\x00\x22",
		"mp3 tag": "ID3\x04\x00\x00\x00\x00",
		"mp3":     "\xff\xfb\x90\x64\x00",
		"mp2.5":   "\xff\xe3\x18\xc4",
		"aac":     "\xff\xf1\x50\x80",
		"ogg":     "OggS\x00\x02",
		"webm":    "\x1a\x45\xdf\xa3\x9f\x42\x86",
		"m4a":     "\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",
		"mp4":     "\x00\x00\x00\x18ftypmp42",
		"mov":     "\x00\x00\x00\x08wide\x00\x00",
		"wma":     "\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9",
		"amr":     "#!AMR\n",
		"caf":     "caff\x00\x01",
		"mpeg-ps": "\x00\x00\x01\xba\x44",
	}
	for name, head := range yes {
		if !submit.LooksLikeMedia([]byte(head)) {
			t.Errorf("%s not recognised", name)
		}
	}
	ts := make([]byte, 200)
	ts[0], ts[188] = 0x47, 0x47
	if !submit.LooksLikeMedia(ts) {
		t.Error("MPEG-TS not recognised")
	}
	no := map[string]string{
		"text":   "hello world, this is text",
		"pdf":    "%PDF-1.7",
		"png":    "\x89PNG\r\n\x1a\n",
		"zip":    "PK\x03\x04",
		"riff":   "RIFF\x00\x00\x00\x00WEBPVP8 ",
		"ff ff":  "\xff\xff\xff\xff",
		"elf":    "\x7fELF\x02\x01",
		"empty":  "",
		"short":  "RI",
		"gif":    "GIF89a",
		"json":   `{"a":1}`,
		"utf-16": "\xff\xfeh\x00i\x00",
	}
	for name, head := range no {
		if submit.LooksLikeMedia([]byte(head)) {
			t.Errorf("%s taken for media", name)
		}
	}
}
