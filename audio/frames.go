package audio

import (
	"encoding/binary"
	"fmt"
	"math"
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
// the bytes that were not frames. It stops at a frame cut by the end of b and
// returns where that frame starts (len(b) when none is cut).
func (st *frameStats) walk(b []byte, p int, parse frameParser, key uint32, atEnd bool) int {
	for p < len(b) {
		f, ok := parse(b[p:])
		if !ok || f.key != key {
			q, _, found := findChain(b[p+1:], parse, len(b), atEnd)
			if !found {
				st.gap += int64(len(b) - p)
				return len(b)
			}
			st.gap += int64(q + 1)
			p += q + 1
			continue
		}
		if p+f.size > len(b) {
			if atEnd {
				st.gap += int64(len(b) - p) // a cut last frame does not play
			}
			return p
		}
		st.samples += int64(f.samples)
		st.largest = max(st.largest, f.size)
		p += f.size
	}
	return p
}

// A stream too large to walk is walked as far as the first read goes, and
// the rest is measured at windows: one in each of equal strata, at the place
// the golden-ratio sequence (i × 0.618… mod 1) gives. Evenly spaced windows
// keep landing on the same part of anything that repeats at their spacing;
// these places do not, and unlike random ones they stay evenly spread.
// In each window the frames whose headers start in its first span bytes are
// counted, whatever their size: on average over where a window falls, that
// is exactly span ÷ the mean frame size, whereas counting only the frames
// that fit in a window would leave out big frames more often than small ones.
//
// The estimate has no bias but can have a large variance: a pause in a VBR
// recording, or digital silence in any AAC stream, is encoded in frames a
// tenth to a fiftieth of the size of speech frames, so its many frames hide
// in few bytes that windows seldom hit. What lowers it is the number of bytes
// counted (small or large windows of the same total do about as well), so a
// window counts most of what it reads: beyond its span it reads only enough
// to confirm the frames near its end, twice the largest frame seen.
// Info.Estimated says the result is an estimate.
const (
	maxWindows  = 128
	minSpan     = 4 << 10
	goldenRatio = 0.6180339887498949 // (√5 − 1) ÷ 2
	maxSpread   = 0.05
)

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
	// The head is counted exactly; windows measure what follows it.
	walked := int64(st.walk(head, 0, parse, f.key, false))
	largest := max(f.size, st.largest)
	span := max(minSpan, 4*largest)
	readLen := span + 2*largest + 16
	rest := region - walked
	windows := int(min(maxWindows, int64((s.left-readLen)/readLen), rest/int64(readLen)))
	if windows < 8 {
		return 0, false, errBudget
	}
	var samples int64
	var squares float64 // of each window's samples, for the estimate's spread
	minRate, maxRate := f.bitrate, f.bitrate
	step := (rest - int64(readLen)) / int64(windows)
	for i := range int64(windows) {
		_, phase := math.Modf(float64(i) * goldenRatio)
		off := first + walked + i*step + int64(phase*float64(step))
		b, err := s.at(off, readLen)
		if err != nil {
			return 0, false, err
		}
		p, ok := syncTo(b, parse, f.key, span)
		if !ok {
			return 0, false, fmt.Errorf("no audio frames at byte %d: garbage?", off)
		}
		var counted int64
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
			counted += int64(g.samples)
			minRate, maxRate = min(minRate, g.bitrate), max(maxRate, g.bitrate)
			p += g.size
		}
		samples += counted
		squares += float64(counted) * float64(counted)
	}
	if minRate > 0 && minRate == maxRate {
		// Constant bit rate: the size says it exactly.
		return float64(region) * 8 / float64(minRate), false, nil
	}
	// The windows' counts say how far off their mean may be: its standard
	// error. Past maxSpread the length is too uncertain to show as a number.
	n := float64(windows)
	mean := float64(samples) / n
	spread := math.Sqrt(max(0, squares/n-mean*mean)/(n-1)) / mean
	if spread > maxSpread {
		return 0, false, fmt.Errorf("frame sizes vary too much to estimate the length from %d KiB of %.3g MiB (±%.0f%%)", MaxRead>>10, float64(s.size)/(1<<20), 100*spread)
	}
	perByte := float64(samples) / float64(windows*span)
	return (float64(st.samples) + float64(rest)*perByte) / float64(f.rate), true, nil
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
