package audio

import (
	"encoding/binary"
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
	samples int64
	largest int   // bytes of the largest frame
	gap     int64 // bytes that were not frames
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
			if atEnd {
				st.gap += int64(len(b) - p) // a cut last frame does not play
			}
			return
		}
		st.samples += int64(f.samples)
		st.largest = max(st.largest, f.size)
		p += f.size
	}
}

// A stream too large to walk is measured at evenly spaced windows. In each,
// the frames whose headers start in its first span bytes are counted,
// whatever their size: counting only the frames that fit in a window would
// leave out big frames more often than small ones and overstate a VBR
// file's length. Many small windows follow a recording's quiet and busy
// stretches better than a few large ones; still, a VBR stream measured this
// way can be a few percent off, and Info.Estimated says so.
const maxWindows = 128

// frameSeconds measures the frames in [first, end), where first is the
// offset of a trusted frame f and head holds the file's bytes from first on
// (all of them when whole is true). It reports whether the result is an
// estimate from sampled frames.
func (s *source) frameSeconds(first, end int64, head []byte, whole bool, parse frameParser, f frame) (float64, bool, error) {
	region := end - first
	var st frameStats
	if whole {
		st.walk(head, 0, parse, f.key, true)
		if st.gap > max(region/100, 1024) {
			return 0, false, fmt.Errorf("%d of %d bytes are not audio frames: garbage?", st.gap, region)
		}
		return float64(st.samples) / float64(f.rate), false, nil
	}
	// A window reads its span and enough after it to confirm the first frame
	// in it by the one that follows, at twice the largest frame seen so far.
	st.walk(head, 0, parse, f.key, false)
	largest := max(f.size, st.largest)
	span := max(1024, 2*largest)
	readLen := span + 4*largest + 16
	windows := min(maxWindows, (s.left-readLen)/readLen)
	if windows < 8 || region < int64(windows*readLen) {
		return 0, false, errBudget
	}
	var samples int64
	minRate, maxRate := f.bitrate, f.bitrate
	step := (region - int64(readLen)) / int64(windows-1)
	for i := range int64(windows) {
		off := first + i*step
		b, err := s.at(off, readLen)
		if err != nil {
			return 0, false, err
		}
		p, ok := syncTo(b, parse, f.key, span)
		if !ok {
			return 0, false, fmt.Errorf("no audio frames at byte %d: garbage?", off)
		}
		for p < span {
			g, ok := parse(b[p:])
			if !ok || g.key != f.key {
				q, ok := syncTo(b[p+1:], parse, f.key, span-p-1)
				if !ok {
					break
				}
				p += q + 1
				continue
			}
			samples += int64(g.samples)
			minRate, maxRate = min(minRate, g.bitrate), max(maxRate, g.bitrate)
			p += g.size
		}
	}
	if minRate > 0 && minRate == maxRate {
		// Constant bit rate: the size says it exactly.
		return float64(region) * 8 / float64(minRate), false, nil
	}
	return float64(region) * float64(samples) / float64(windows*span) / float64(f.rate), true, nil
}

// syncTo returns the first offset before limit where a frame of the stream
// (key) starts and the next one follows it.
func syncTo(b []byte, parse frameParser, key uint32, limit int) (int, bool) {
	for p := range min(limit, len(b)) {
		if b[p] != 0xFF {
			continue
		}
		if f, ok := parse(b[p:]); ok && f.key == key && p+f.size < len(b) {
			if g, ok := parse(b[p+f.size:]); ok && g.key == key {
				return p, true
			}
		}
	}
	return 0, false
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
