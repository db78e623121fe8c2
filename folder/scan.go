package folder

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/submit"
)

// found is an audio file a scan found, and where it was found from.
type found struct {
	recording.File
	// Shown is the file as the user named it: the argument joined with
	// the path below it.
	Shown string
	// Rel is its path below the argument (its base name for a file named
	// directly): where it goes under --out.
	Rel string
	err error // why it cannot be looked at (not a regular file, unreadable)
}

// CheckArgs refuses, before anything else happens, arguments that name
// nothing: a usage error, not a file that failed.
func CheckArgs(args []string) error {
	if len(args) == 0 {
		return errors.New("give the folders (or files) to sync")
	}
	for _, a := range args {
		if _, err := os.Stat(a); err != nil {
			return fmt.Errorf("%s: %s", a, describe(err))
		}
	}
	return nil
}

// scan lists the audio files the arguments name: a folder gives the audio
// files in it (in its subfolders too when recursive), a file is itself.
// Names starting with a dot are left out of folders: copy tools write
// their temp files so (rsync's .talk.flac.Xy12Ab), as macOS does its
// resource forks (._talk.flac), and neither is a recording. The same file
// named twice is listed once. A folder that cannot be read is an error.
func scan(args []string, recursive bool) ([]found, error) {
	var out []found
	seen := map[string]bool{}
	add := func(path, shown, rel string) {
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		abs = filepath.Clean(abs)
		if seen[abs] {
			return
		}
		seen[abs] = true
		f := found{File: recording.File{Path: abs}, Shown: shown, Rel: rel}
		fi, err := os.Stat(abs)
		switch {
		case err != nil:
			f.err = errors.New(describe(err))
		case !fi.Mode().IsRegular():
			f.err = errors.New("not a regular file")
		default:
			f.Size, f.MTime = fi.Size(), fi.ModTime()
		}
		out = append(out, f)
	}
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", arg, describe(err))
		}
		if !fi.IsDir() {
			add(arg, arg, filepath.Base(arg))
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("cannot read the folder %s: %s", p, describe(err))
			}
			name := d.Name()
			if d.IsDir() {
				if p != arg && (!recursive || strings.HasPrefix(name, ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(name, ".") || !submit.IsAudioName(name) {
				return nil
			}
			rel, _ := filepath.Rel(arg, p)
			add(p, p, rel)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func describe(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// settler tells when a file has been still (the same size and mtime) for
// the settle time, so that a recording still being copied in is never
// sent half-written. On its first look at a file its mtime says since
// when it has been still (unless the mtime is in the future, as a clock
// elsewhere may make it); after that, a change of size or mtime seen
// between two looks starts the wait again from when it was seen.
type settler struct {
	settle time.Duration
	seen   map[string]look
}

type look struct {
	size  int64
	mtime time.Time
	since time.Time // still since
}

func newSettler(settle time.Duration) *settler {
	return &settler{settle: settle, seen: map[string]look{}}
}

// still reports whether f has been still for the settle time at now, and
// from when it will have been if not.
func (s *settler) still(f recording.File, now time.Time) (bool, time.Time) {
	l, ok := s.seen[f.Path]
	if !ok || l.size != f.Size || !l.mtime.Equal(f.MTime) {
		since := now
		if !ok && f.MTime.Before(now) {
			since = f.MTime
		}
		l = look{size: f.Size, mtime: f.MTime, since: since}
		s.seen[f.Path] = l
	}
	at := l.since.Add(s.settle)
	return !now.Before(at), at
}

// forget drops files no scan found any more.
func (s *settler) forget(keep map[string]bool) {
	for p := range s.seen {
		if !keep[p] {
			delete(s.seen, p)
		}
	}
}
