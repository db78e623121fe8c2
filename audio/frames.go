package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MP3 and ADTS files are plain runs of frames with no index: a frame header
// says how long the frame is and how many samples it holds. A file that fits
// in the read budget is walked frame by frame (exact). A larger one is
// measured from frames sampled at evenly spaced windows: when every sampled
// frame has the same bit rate (CBR, the common case without a Xing header)
// the length follows from the size and that rate; otherwise from the average
// number of samples per byte.

// frame is one decoded frame header.
type frame struct {
	size    int // bytes, header included
	samples int
	rate    int    // samples per second
	bitrate int    // bits per second (MP3), 0 when the header has none (ADTS)
	key     uint32 // the header fields every frame of one stream shares
	mono    bool   // MP3: single channel (the side information is shorter)
	mpeg1   bool   // MP3: MPEG-1 rather than 2 or 2.5
	layer3  bool
}

// frameParser decodes the header at the start of b (which may be short).
type frameParser func(b []byte) (frame, bool)

// chainLen is how many consecutive agreeing frames make a sync point
// trustworthy: one header-shaped word in random data is common, three in a
// row each exactly where the previous one ends is not.
const chainLen = 3

// findChain returns the offset in b of the first frame that starts a chain of
// chainLen agreeing frames (fewer when b ends first and atEnd says that is the
// end of the stream), searching no further than limit.
func findChain(b []byte, parse frameParser, limit int, atEnd bool) (int, frame, bool) {
	limit = min(limit, len(b))
	for p := 0; p < limit; p++ {
		if b[p] != 0xFF {
			continue
		}
		first, ok := parse(b[p:])
		if !ok {
			continue
		}
		q, f, n := p, first, 0
		for ok && f.key == first.key {
			n++
			q += f.size
			if n == chainLen || q == len(b) && atEnd {
				return p, first, true
			}
			if q >= len(b) {
				break
			}
			f, ok = parse(b[q:])
		}
	}
	return 0, frame{}, false
}

// frameStats adds up the frames walked.
type frameStats struct {
	frames, samples, bytes int64
	minRate, maxRate       int // bit rates seen
	gap                    int64
}

// walk adds the frames of b from p on, resyncing after damage, and counts
// the bytes that were not frames. It stops at a frame cut by the end of b.
func (st *frameStats) walk(b []byte, p int, parse frameParser, key uint32, atEnd bool) {
	for p < len(b) {
		f, ok := parse(b[p:])
		if !ok || f.key != key {
			q, _, found := findChain(b[p+1:], parse, len(b), atEnd)
			if !found {
				st.gap += int64(len(b) - p)
				return
			}
			st.gap += int64(q + 1)
			p += q + 1
			continue
		}
		if p+f.size > len(b) {
			if !atEnd {
				return // the window ends inside this frame
			}
			st.gap += int64(len(b) - p) // a cut last frame does not play
			return
		}
		st.add(f)
		p += f.size
	}
}

func (st *frameStats) add(f frame) {
	if st.frames == 0 || f.bitrate < st.minRate {
		st.minRate = f.bitrate
	}
	st.maxRate = max(st.maxRate, f.bitrate)
	st.frames++
	st.samples += int64(f.samples)
	st.bytes += int64(f.size)
}

// sampleWindows is how many evenly spaced windows measure a file too large to
// walk; windowSize how big each is (a few hundred frames at common rates).
const (
	sampleWindows = 12
	windowSize    = 16 << 10
)

// frameSeconds measures the frames in [first, end), where first is the
// offset of a trusted frame f and head holds the file's bytes from first on
// (all of them when whole is true).
func (s *source) frameSeconds(first, end int64, head []byte, whole bool, parse frameParser, f frame) (float64, error) {
	region := end - first
	var st frameStats
	if whole {
		st.walk(head, 0, parse, f.key, true)
		if st.gap > max(region/100, 1024) {
			return 0, fmt.Errorf("%d of %d bytes are not audio frames: garbage?", st.gap, region)
		}
		return float64(st.samples) / float64(f.rate), nil
	}
	// Windows spread from the first frame to the end; the first is head.
	st.walk(head[:min(len(head), windowSize)], 0, parse, f.key, false)
	step := (region - windowSize) / (sampleWindows - 1)
	for i := int64(1); i < sampleWindows; i++ {
		off := first + i*step
		if i == sampleWindows-1 {
			off = end - windowSize
		}
		b, err := s.at(off, windowSize)
		if err != nil {
			return 0, err
		}
		p, g, ok := findChain(b, parse, len(b), i == sampleWindows-1)
		if !ok || g.key != f.key {
			return 0, fmt.Errorf("no audio frames at byte %d: garbage?", off)
		}
		st.walk(b, p, parse, f.key, i == sampleWindows-1)
	}
	if st.bytes == 0 {
		return 0, errors.New("no whole frame in the sampled windows")
	}
	if st.minRate > 0 && st.minRate == st.maxRate {
		return float64(region) * 8 / float64(st.minRate), nil // constant bit rate
	}
	return float64(region) * float64(st.samples) / float64(st.bytes) / float64(f.rate), nil
}

// trailerStart returns where the tags appended after the frames begin (an
// ID3v1 tag, an APEv2 tag), or the file size when there are none.
func (s *source) trailerStart(start int64) (int64, error) {
	end := s.size
	if end-start >= 128 {
		b, err := s.at(end-128, 3)
		if err != nil {
			return 0, err
		}
		if string(b) == "TAG" {
			end -= 128
		}
	}
	if end-start >= 32 {
		b, err := s.at(end-32, 32)
		if err != nil {
			return 0, err
		}
		if string(b[:8]) == "APETAGEX" {
			size := int64(binary.LittleEndian.Uint32(b[12:])) // footer and items
			if b[23]&0x80 != 0 {                              // a header too
				size += 32
			}
			if size >= 32 && size <= end-start {
				end -= size
			}
		}
	}
	return end, nil
}
