package cli

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// demoRecordings are short real speech files (cli/demo/README.md says how
// they were made), so that `fwbatch --demo` opens on audio, not on an empty
// folder.
//
//go:embed demo/*.flac demo/*.wav demo/*.ogg demo/*.mp3
var demoRecordings embed.FS

// demoScripts are what the recordings say (cli/demo/make.sh speaks them),
// so that the demo's fake API transcribes them as the real one would.
var demoScripts = map[string][]string{
	"interview.flac": {"Thanks for joining us today.", "Tell me about the project you are working on."},
	"lecture.wav":    {"Welcome to the lecture.", "Today we look at how speech becomes text."},
	"memo.ogg":       {"Remember to send the transcript to the team by Friday."},
	"standup.mp3":    {"Yesterday I fixed the upload bug.", "Today I am writing tests."},
}

// unpackDemoRecordings writes the sample recordings into dir (0700), each
// one only when it is missing or differs, and returns dir. Files the user
// added there are left alone.
func unpackDemoRecordings(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("demo recordings: %w", err)
	}
	entries, err := demoRecordings.ReadDir("demo")
	if err != nil {
		return "", fmt.Errorf("demo recordings: %w", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(demoRecordings, path.Join("demo", e.Name()))
		if err != nil {
			return "", fmt.Errorf("demo recordings: %w", err)
		}
		dst := filepath.Join(dir, e.Name())
		if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, data) {
			continue
		}
		if err := renameio.WriteFile(dst, data, 0o600); err != nil {
			return "", fmt.Errorf("demo recordings: %w", err)
		}
	}
	return dir, nil
}
