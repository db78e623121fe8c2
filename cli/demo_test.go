package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/submit"
)

// TestDemoRecordings: the sample recordings unpack into the folder, each a
// real audio file that submit accepts; one the user changed or deleted
// comes back, one the user added stays.
func TestDemoRecordings(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo", "recordings")
	got, err := unpackDemoRecordings(dir)
	if err != nil || got != dir {
		t.Fatalf("unpack: %q, %v", got, err)
	}
	var names []string
	for _, e := range mustReadDir(t, dir) {
		names = append(names, e.Name())
		p := filepath.Join(dir, e.Name())
		if !submit.IsAudioName(p) {
			t.Errorf("%s: not an audio file name", p)
		}
		if _, err := submit.Preflight(p, false); err != nil {
			t.Errorf("%s: submit would refuse it: %v", p, err)
		}
	}
	if want := []string{"interview.flac", "lecture.wav", "memo.ogg", "standup.mp3"}; !slices.Equal(names, want) {
		t.Fatalf("unpacked %v, want %v", names, want)
	}
	// The demo's fake transcribes each recording with what make.sh had it say.
	makeScript, err := os.ReadFile(filepath.Join("demo", "make.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		said := strings.Join(demoScripts[name], " ")
		re := regexp.MustCompile(` ` + regexp.QuoteMeta(strings.TrimSuffix(name, filepath.Ext(name))) + ` +"` + regexp.QuoteMeta(said) + `"`)
		if said == "" || !re.Match(makeScript) {
			t.Errorf("%s: demoScripts says %q, which make.sh does not have it say", name, said)
		}
	}
	if len(demoScripts) != len(names) {
		t.Errorf("demoScripts has %d entries for %d recordings", len(demoScripts), len(names))
	}
	if fi, err := os.Stat(dir); err != nil {
		t.Errorf("folder: %v", err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode())
	}

	want, _ := os.ReadFile(filepath.Join(dir, "memo.ogg"))
	os.WriteFile(filepath.Join(dir, "memo.ogg"), []byte("scribbled over"), 0o600)
	os.Remove(filepath.Join(dir, "lecture.wav"))
	os.WriteFile(filepath.Join(dir, "mine.wav"), []byte("RIFF"), 0o600)
	if _, err := unpackDemoRecordings(dir); err != nil {
		t.Fatal(err)
	}
	if have, _ := os.ReadFile(filepath.Join(dir, "memo.ogg")); string(have) != string(want) {
		t.Error("a changed recording was not restored")
	}
	for _, name := range []string{"lecture.wav", "mine.wav"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
