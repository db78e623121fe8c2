package submit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/fwbatch/fwbatch/cost"
)

// FileError says what is wrong with a local file, before or during an
// upload. No job exists when a submission fails with one.
type FileError struct {
	Path    string // as the caller gave it
	Problem string
	Err     error // the underlying error, if any
}

func (e *FileError) Error() string { return e.Path + ": " + e.Problem }
func (e *FileError) Unwrap() error { return e.Err }

// Preflight checks, without any network call, that path is a file the API
// can take: an existing, readable, non-empty regular file of at most
// MaxFileSize bytes whose first bytes look like an audio or video container
// (unless force). It follows symlinks. Problems are *FileError.
func Preflight(path string, force bool) (os.FileInfo, error) {
	info, f, err := openChecked(path, force)
	if f != nil {
		f.Close()
	}
	return info, err
}

// openChecked is Preflight that keeps the file open for the upload; the
// returned info describes the open file, not whatever path names by now.
func openChecked(path string, force bool) (os.FileInfo, *os.File, error) {
	fail := func(err error, format string, args ...any) (os.FileInfo, *os.File, error) {
		return nil, nil, &FileError{Path: path, Problem: fmt.Sprintf(format, args...), Err: err}
	}
	if path == "" {
		return fail(nil, "no file name given")
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail(err, "%s", describeOpenError(path, err))
	}
	if err := checkInfo(st); err != "" {
		return fail(nil, "%s", err)
	}
	// O_NONBLOCK: if path was swapped for a FIFO since the Stat, opening it
	// must not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fail(err, "%s", describeOpenError(path, err))
	}
	fst, err := f.Stat()
	if err == nil && !os.SameFile(st, fst) {
		err = errors.New("replaced while being checked")
	}
	if err != nil {
		f.Close()
		return fail(err, "%v; try again", err)
	}
	if problem := checkInfo(fst); problem != "" {
		f.Close()
		return fail(nil, "%s", problem)
	}
	head := make([]byte, 512)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		f.Close()
		return fail(err, "cannot read: %s", errText(err))
	}
	if !force && !LooksLikeMedia(head[:n]) {
		f.Close()
		return fail(nil, "does not look like audio or video (it starts with %q); use --force to send it anyway", printable(head[:min(n, 12)]))
	}
	return fst, f, nil
}

// checkInfo returns what makes st unfit for upload, or "".
func checkInfo(st os.FileInfo) string {
	m := st.Mode()
	switch {
	case m.IsDir():
		return "is a folder, not a file; pick the audio files inside it"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), not a regular file; save the audio to a file first"
	case m&fs.ModeSocket != 0:
		return "is a socket, not a regular file"
	case m&fs.ModeDevice != 0:
		return "is a device, not a regular file"
	case !m.IsRegular():
		return "is not a regular file"
	case st.Size() == 0:
		return "empty file; nothing to upload"
	case st.Size() > MaxFileSize:
		// The bytes too: the API's limit is decimal, our sizes binary.
		return fmt.Sprintf("is %s (%d bytes); the API takes at most 1 GB (%d bytes) per file; split it or compress it (e.g. to FLAC or Opus)",
			cost.Bytes(st.Size()), st.Size(), int64(MaxFileSize))
	}
	return ""
}

func describeOpenError(path string, err error) string {
	switch {
	case errors.Is(err, syscall.ELOOP):
		return "symlink loop; fix or remove the link"
	case errors.Is(err, fs.ErrNotExist):
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return fmt.Sprintf("broken symlink (it points to %s, which does not exist)", target)
		}
		return "no such file; check the path"
	case errors.Is(err, syscall.ENOTDIR):
		return "no such file (a part of the path is not a folder); check the path"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied; check the permissions of the file and its folders"
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "file name too long"
	}
	return "cannot open: " + errText(err)
}

// errText is err's message without the path that *fs.PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func printable(b []byte) string {
	return string(bytes.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '.'
		}
		return r
	}, b))
}

// LooksLikeMedia reports whether head, the first bytes of a file (512 are
// plenty), starts like a known audio or video container or stream.
func LooksLikeMedia(head []byte) bool {
	at := func(off int, magic string) bool {
		return len(head) >= off+len(magic) && string(head[off:off+len(magic)]) == magic
	}
	for _, m := range []string{
		"fLaC", "ID3", "OggS", "\x1a\x45\xdf\xa3", // FLAC, MP3 tag, Ogg/Opus, Matroska/WebM
		"RF64", "BW64", "caff", ".snd", "#!AMR", "MAC ", "wvpk", "TTA1", "MPCK", "MP+",
		"FLV\x01", "DSD ", "FRM8",
		"\x30\x26\xb2\x75\x8e\x66\xcf\x11",     // ASF: wma, wmv
		"\x00\x00\x01\xba", "\x00\x00\x01\xb3", // MPEG program stream, MPEG video
		"\x0b\x77", "\x7f\xfe\x80\x01", // AC-3, DTS
	} {
		if at(0, m) {
			return true
		}
	}
	switch {
	case at(0, "RIFF") && (at(8, "WAVE") || at(8, "AVI ") || at(8, "RMP3") || at(8, "CDDA")):
		return true
	case at(0, "FORM") && (at(8, "AIFF") || at(8, "AIFC")):
		return true
	case at(4, "ftyp") || at(4, "moov") || at(4, "mdat") || at(4, "free") || at(4, "wide") || at(4, "skip"):
		return true // ISO base media (mp4, m4a, mov, 3gp) and old QuickTime
	case len(head) > 188 && head[0] == 0x47 && head[188] == 0x47:
		return true // MPEG transport stream
	}
	if len(head) >= 3 && head[0] == 0xff {
		b1, b2 := head[1], head[2]
		if b1&0xf6 == 0xf0 {
			return true // AAC in ADTS frames
		}
		// An MPEG audio frame: mp3 or mp2 without a tag. Layer I is left out:
		// nobody uses it, and its header is what a UTF-16 text file starts with.
		version, layer := b1>>3&3, b1>>1&3
		if b1&0xe0 == 0xe0 && version != 1 && (layer == 1 || layer == 2) && b2>>4 != 0xf && b2>>2&3 != 3 {
			return true
		}
	}
	return false
}

// AudioExts are the file name extensions fwbatch takes for audio when it
// looks through a folder (Files in the UI, a folder given to `submit`),
// lower case, in the order PRODUCT.md lists them.
var AudioExts = []string{".flac", ".mp3", ".wav", ".m4a", ".ogg", ".opus", ".webm", ".mp4", ".mpeg", ".mpga", ".aac", ".wma", ".aiff"}

// IsAudioName reports whether name has one of AudioExts, in any case.
func IsAudioName(name string) bool {
	return slices.Contains(AudioExts, strings.ToLower(filepath.Ext(name)))
}
