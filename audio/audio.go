// Package audio tells how long a recording plays by reading its headers and
// index, never by decoding it: the first and last few kilobytes of a file are
// enough for every format fwbatch takes, so a folder of gigabyte recordings is
// measured in the time it takes to list it.
//
// Every reader here is written by hand for the same reason: each format needs
// a few fields from a few boxes, chunks or frames, and the libraries that parse
// whole containers either read far more than MaxRead bytes, allocate what a
// hostile header declares, or (github.com/abema/go-mp4) are not reachable
// through the module proxy this project builds from.
package audio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// MaxRead is the most bytes Probe reads from one file, head and tail together.
const MaxRead = 256 << 10

// Format names the container (and, for Ogg, the codec) Probe recognised.
type Format string

// The formats Probe knows. An MP4 covers .m4a, .mp4 and .mov (ISO base media
// and QuickTime); Matroska covers .mkv and .webm.
const (
	WAV      Format = "wav"
	AIFF     Format = "aiff"
	FLAC     Format = "flac"
	MP3      Format = "mp3" // MPEG-1/2/2.5 audio, layers I–III
	ADTS     Format = "aac" // raw AAC in ADTS frames
	Vorbis   Format = "ogg-vorbis"
	Opus     Format = "ogg-opus"
	OggFLAC  Format = "ogg-flac"
	MP4      Format = "mp4"
	Matroska Format = "matroska"
	ASF      Format = "wma"
)

// Info is what Probe learned about a file.
type Info struct {
	Format Format // "" when the file is not a format Probe knows
	Length Length // unknown when the headers do not say; Probe's error says why
	// Estimated is set when the length was worked out from frames sampled
	// across the file rather than read from a header or counted: an MP3 with
	// neither a Xing header nor a constant bit rate, or an ADTS stream, too
	// large to walk within MaxRead. Such a length may be a few percent off.
	Estimated bool
}

// ErrNotRecognised is returned for a file whose first bytes match no format
// Probe knows.
var ErrNotRecognised = errors.New("not an audio format fwbatch can measure")

// errBudget stops a reader that would need more than MaxRead bytes.
var errBudget = fmt.Errorf("needs more than %d KiB of headers", MaxRead>>10)

// Probe reads the duration of the audio in r, which holds size bytes. It reads
// at most MaxRead bytes. When it returns an error the Length is unknown; the
// Format is still set when the container was recognised. Probe never panics,
// whatever r holds, and allocates little more than the bytes it reads.
func Probe(ctx context.Context, r io.ReaderAt, size int64) (Info, error) {
	s := &source{ctx: ctx, r: r, size: size, left: MaxRead}
	format, secs, err := s.probe()
	info := Info{Format: format}
	if err == nil {
		info.Length, err = s.length(secs)
		info.Estimated = s.estimated && err == nil
	}
	if err != nil {
		if format != "" {
			err = fmt.Errorf("%s: %w", format, err)
		}
		return info, err
	}
	return info, nil
}

// ProbeFile is Probe on the file at path. It refuses anything but a regular
// file without opening it, so a FIFO never blocks it.
func ProbeFile(ctx context.Context, path string) (Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, err
	}
	if !st.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	info, err := Probe(ctx, f, st.Size())
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return info, err
}

// maxSeconds bounds what any header may claim: a year of audio in one file
// is a corrupt header, not a recording, and it keeps time.Duration far from
// overflowing.
const maxSeconds = 366 * 24 * 3600

// length turns seconds read from headers into a Length, refusing values no
// real file has: negative, not a number, or more than one second of audio per
// byte of file (8 bit/s, far below any codec, even for silence).
func (s *source) length(secs float64) (Length, error) {
	switch {
	case math.IsNaN(secs) || secs < 0:
		return Length{}, errors.New("the headers declare a negative duration")
	case secs > maxSeconds || secs > float64(s.size):
		return Length{}, fmt.Errorf("the headers declare %.0f s of audio in %d bytes", secs, s.size)
	}
	return KnownLength(time.Duration(math.Round(secs * float64(time.Second)))), nil
}

// source reads from the file within the MaxRead budget. The first headSize
// bytes are read once and served from memory: most headers live there.
type source struct {
	ctx  context.Context
	r    io.ReaderAt
	size int64
	left int // bytes still allowed
	head []byte
	// estimated is set by a reader whose result is an estimate.
	estimated bool
}

const headSize = 4 << 10

// at returns exactly n bytes at off, or an error when they are not in the
// file (a truncated header), not within the budget, or not readable.
func (s *source) at(off int64, n int) ([]byte, error) {
	if n < 0 || off < 0 || off > s.size || int64(n) > s.size-off {
		return nil, io.ErrUnexpectedEOF
	}
	return s.read(off, n)
}

// upTo returns the n bytes at off, or fewer when the file ends first.
func (s *source) upTo(off int64, n int) ([]byte, error) {
	if off < 0 || off > s.size {
		return nil, io.ErrUnexpectedEOF
	}
	if int64(n) > s.size-off {
		n = int(s.size - off)
	}
	return s.read(off, n)
}

func (s *source) read(off int64, n int) ([]byte, error) {
	if s.head == nil {
		if err := s.loadHead(); err != nil {
			return nil, err
		}
	}
	if off+int64(n) <= int64(len(s.head)) {
		return s.head[off : off+int64(n)], nil
	}
	if n > s.left {
		return nil, errBudget
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	s.left -= n
	b := make([]byte, n)
	if err := readFull(s.r, b, off); err != nil {
		return nil, err
	}
	return b, nil
}

// readFull fills b from off. A ReaderAt may return io.EOF along with the last
// bytes of the file; only a short read is an error.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	if len(b) == 0 {
		return nil
	}
	m, err := r.ReadAt(b, off)
	if m == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at %d: %w", len(b), off, err)
}

func (s *source) loadHead() error {
	n := int(min(s.size, headSize))
	if err := s.ctx.Err(); err != nil {
		return err
	}
	s.left -= n
	b := make([]byte, n)
	if err := readFull(s.r, b, 0); err != nil {
		return err
	}
	s.head = b
	return nil
}

// probe recognises the container from its first bytes and hands over to its
// reader, which returns the duration in seconds.
func (s *source) probe() (Format, float64, error) {
	if s.size < 0 {
		return "", 0, errors.New("negative size")
	}
	if _, err := s.upTo(0, 0); err != nil {
		return "", 0, err
	}
	b := s.head
	switch {
	case hasPrefix(b, "RIFF", "RF64", "BW64") && len(b) >= 12 && string(b[8:12]) == "WAVE":
		secs, err := s.wav()
		return WAV, secs, err
	case hasPrefix(b, "FORM") && len(b) >= 12 && (string(b[8:12]) == "AIFF" || string(b[8:12]) == "AIFC"):
		secs, err := s.aiff()
		return AIFF, secs, err
	case hasPrefix(b, "OggS"):
		return s.ogg()
	case len(b) >= 8 && isMP4Start(string(b[4:8])):
		secs, err := s.mp4()
		return MP4, secs, err
	case hasPrefix(b, "\x1a\x45\xdf\xa3"):
		secs, err := s.matroska()
		return Matroska, secs, err
	case hasPrefix(b, string(asfHeaderGUID[:])):
		secs, err := s.asf()
		return ASF, secs, err
	}
	// FLAC, MP3 and ADTS streams may start with ID3v2 tags.
	start, err := s.skipID3v2(0)
	if err != nil {
		return "", 0, err
	}
	if start >= s.size {
		return "", 0, errors.New("nothing but ID3v2 tags")
	}
	magic, err := s.upTo(start, 4)
	if err != nil {
		return "", 0, err
	}
	if string(magic) == "fLaC" {
		secs, err := s.flac(start)
		return FLAC, secs, err
	}
	return s.mpegOrADTS(start)
}

func hasPrefix(b []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			return true
		}
	}
	return false
}
