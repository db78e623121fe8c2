package submit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/fwbatch/fwbatch/audio"
)

// FingerprintEnd is how much of each end of a file its fingerprint reads.
const FingerprintEnd = 1 << 20

// fingerprintV1 starts every fingerprint this version of fwbatch makes. A
// different way of fingerprinting gets a new prefix, so that fingerprints
// of different kinds are never compared as if they were one.
const fingerprintV1 = "v1:"

var endBuffers = sync.Pool{New: func() any { b := make([]byte, FingerprintEnd); return &b }}

// Fingerprint identifies a recording by its content without reading all of
// it: "v1:<size>:<sha-256 hex>" where the hash covers the first and the last
// FingerprintEnd bytes (the whole file when it is at most twice that): two
// reads however big the file, cheap on NFS and spinning disks. A change only
// in the middle of a big file is not seen.
//
// f is read at absolute offsets; size is the size to fingerprint (the file's
// size when it was checked).
func Fingerprint(f io.ReaderAt, size int64) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("fingerprint: negative size %d", size)
	}
	bp := endBuffers.Get().(*[]byte)
	defer endBuffers.Put(bp)
	h := sha256.New()
	head := min(size, FingerprintEnd)
	tail := min(size-head, FingerprintEnd)
	for _, span := range [2][2]int64{{0, head}, {size - tail, tail}} {
		buf := (*bp)[:span[1]]
		if _, err := f.ReadAt(buf, span[0]); err != nil {
			if errors.Is(err, io.EOF) {
				return "", errors.New("the file got shorter while being read")
			}
			return "", err
		}
		h.Write(buf)
	}
	return fingerprintV1 + strconv.FormatInt(size, 10) + ":" + hex.EncodeToString(h.Sum(nil)), nil
}

// FingerprintFile opens path and fingerprints it at its current size. The
// info returned describes the file that was read.
func FingerprintFile(path string) (string, os.FileInfo, error) {
	// O_NONBLOCK: a FIFO named like audio must not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", nil, &FileError{Path: path, Problem: describeOpenError(path, err), Err: err}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, &FileError{Path: path, Problem: "cannot read: " + errText(err), Err: err}
	}
	if !info.Mode().IsRegular() {
		return "", nil, &FileError{Path: path, Problem: "is not a regular file"}
	}
	fp, err := Fingerprint(f, info.Size())
	if err != nil {
		return "", nil, &FileError{Path: path, Problem: "cannot read: " + errText(err), Err: err}
	}
	return fp, info, nil
}

// FingerprintSize returns the size a fingerprint records, and false when fp
// is not a fingerprint this version of fwbatch makes.
func FingerprintSize(fp string) (int64, bool) {
	rest, ok := strings.CutPrefix(fp, fingerprintV1)
	if !ok {
		return 0, false
	}
	size, hash, ok := strings.Cut(rest, ":")
	if !ok || len(hash) != 2*sha256.Size {
		return 0, false
	}
	n, err := strconv.ParseInt(size, 10, 64)
	return n, err == nil && n >= 0
}

// checked is what the checks before an upload learned about a file.
type checked struct {
	info        os.FileInfo
	fingerprint string
	// length is how long the recording plays, from its headers; unknown
	// when they do not say. It never fails a check: an estimate is no
	// reason to refuse an upload.
	length audio.Length
}

// preflightMeasured is Preflight that also fingerprints the file and reads
// its length from its headers, on the same open file, so that "started"
// records what was checked.
func preflightMeasured(ctx context.Context, path string, force bool) (checked, error) {
	info, f, err := openChecked(path, force)
	if err != nil {
		return checked{}, err
	}
	defer f.Close()
	fp, err := Fingerprint(f, info.Size())
	if err != nil {
		return checked{}, &FileError{Path: path, Problem: "cannot read: " + errText(err) + "; try again", Err: err}
	}
	// The fingerprint has just read the file's first and last MiB, where
	// the headers are: probing them costs no more disk reads.
	measured, _ := audio.Probe(ctx, f, info.Size())
	return checked{info: info, fingerprint: fp, length: measured.Length}, nil
}
