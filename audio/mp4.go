package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// MP4, M4A and MOV files are trees of boxes (QuickTime "atoms"). The length
// is in the movie box: the sound track's header (tkhd, in the movie's time
// scale, after edits such as the AAC encoder's priming samples), else its
// media header (mdhd). A fragmented file's movie box describes at most its
// first part: its length is the fragment duration (mehd), else where the
// last fragment's samples end. Only box headers are read on the way, so an
// index written at the end behind gigabytes of media costs a few small reads.
//
// This box reader is hand-written: github.com/abema/go-mp4 would be the
// library to use, but the module proxy this project builds from answers
// "403 Forbidden" for it, and the few boxes needed here are simple.

func isMP4Start(boxType string) bool {
	switch boxType {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}

type box struct {
	typ              string
	start, body, end int64 // where the box, and its payload, start; where it ends
}

// boxAt reads the header of the box at off, which must end by limit.
func (s *source) boxAt(off, limit int64) (box, error) {
	h, err := s.at(off, 8)
	if err != nil {
		return box{}, errors.New("box header cut short: truncated?")
	}
	b := box{typ: string(h[4:8]), start: off, body: off + 8}
	size := uint64(binary.BigEndian.Uint32(h))
	switch size {
	case 0: // to the end of the container
		size = uint64(limit - off)
	case 1: // a 64-bit size follows
		h, err := s.at(off+8, 8)
		if err != nil {
			return box{}, errors.New("box header cut short: truncated?")
		}
		size, b.body = binary.BigEndian.Uint64(h), off+16
	}
	if size < uint64(b.body-off) || size > uint64(limit-off) {
		return box{}, fmt.Errorf("box %q at byte %d declares %d bytes, its container holds %d: truncated?", b.typ, off, size, limit-off)
	}
	b.end = off + int64(size)
	return b, nil
}

// children calls fn for each box inside [from, to), at most limit of them.
func (s *source) children(from, to int64, limit int, fn func(box) error) error {
	for i, off := 0, from; off+8 <= to; i++ {
		if i == limit {
			return errors.New("too many boxes")
		}
		b, err := s.boxAt(off, to)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		off = b.end
	}
	return nil
}

// maxTopBoxes bounds the top level, where a fragmented file has a moof and
// an mdat per fragment: two hours in 2-second fragments is 7,200 boxes.
const maxTopBoxes = 1 << 15

// mp4Track is what one trak box says.
type mp4Track struct {
	id            uint32
	sound         bool
	duration      uint64 // tkhd, in the movie's time scale
	mediaDuration uint64 // mdhd
	mediaScale    uint32
	mediaStart    int64 // the first edit's media time: where playing starts
}

func (s *source) mp4() (float64, error) {
	var moov *box
	lastMoof := int64(-1)
	err := s.children(0, s.size, maxTopBoxes, func(b box) error {
		switch {
		case b.typ == "moov" && moov == nil:
			moov = &b
		case b.typ == "moof":
			lastMoof = b.start
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if moov == nil {
		return 0, errors.New("no movie box (moov), which a cut file often lacks")
	}
	var (
		movieScale uint32
		fragment   uint64            // mehd: the duration of a fragmented movie
		trexes     map[uint32]uint32 // default sample duration per track
		sound      *mp4Track
	)
	err = s.children(moov.body, moov.end, maxChunks, func(b box) error {
		switch b.typ {
		case "mvhd":
			ts, _, err := s.fullBoxTime(b)
			movieScale = ts
			return err
		case "trak":
			t, err := s.mp4Track(b)
			if err == nil && t.sound && sound == nil {
				sound = &t
			}
			return err
		case "mvex":
			trexes = map[uint32]uint32{}
			return s.children(b.body, b.end, maxChunks, func(c box) error {
				p, err := s.at(c.body, int(min(c.end-c.body, 16)))
				if err != nil || len(p) < 8 {
					return fmt.Errorf("%s box cut short", c.typ)
				}
				switch {
				case c.typ == "mehd" && p[0] == 1 && len(p) >= 12:
					fragment = binary.BigEndian.Uint64(p[4:])
				case c.typ == "mehd":
					fragment = uint64(binary.BigEndian.Uint32(p[4:]))
				case c.typ == "trex" && len(p) >= 16:
					trexes[binary.BigEndian.Uint32(p[4:])] = binary.BigEndian.Uint32(p[12:])
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	switch {
	case sound == nil:
		return 0, errors.New("no sound track")
	case movieScale == 0:
		return 0, errors.New("no movie header (mvhd) or a zero time scale")
	case sound.duration == undefinedDuration || sound.mediaDuration == undefinedDuration:
		return 0, errors.New("the sound track's duration is undefined")
	case lastMoof >= 0:
		// Fragmented: the movie box describes at most the first part.
		if fragment > 0 {
			return float64(fragment) / float64(movieScale), nil
		}
		end, err := s.fragmentEnd(lastMoof, sound.id, trexes[sound.id])
		if err != nil {
			return 0, err
		}
		if sound.mediaScale == 0 || end < sound.mediaStart {
			return 0, errors.New("the last fragment ends before the sound starts")
		}
		return float64(end-sound.mediaStart) / float64(sound.mediaScale), nil
	case sound.duration > 0:
		return float64(sound.duration) / float64(movieScale), nil
	case sound.mediaDuration > 0 && sound.mediaScale > 0:
		return float64(sound.mediaDuration) / float64(sound.mediaScale), nil
	}
	return 0, errors.New("the sound track declares no duration")
}

// mp4Track reads a trak box's tkhd, edit list, mdhd and hdlr.
func (s *source) mp4Track(trak box) (mp4Track, error) {
	var t mp4Track
	err := s.children(trak.body, trak.end, maxChunks, func(b box) error {
		switch b.typ {
		case "tkhd":
			_, d, err := s.fullBoxTime(b)
			if err != nil {
				return err
			}
			// The track id follows two times, 32- or 64-bit; fullBoxTime
			// has checked the box holds it.
			p, err := s.at(b.body, 24)
			if err != nil {
				return err
			}
			at := 12
			if p[0] == 1 {
				at = 20
			}
			t.id, t.duration = binary.BigEndian.Uint32(p[at:]), d
			return nil
		case "edts":
			return s.children(b.body, b.end, maxChunks, func(c box) error {
				if c.typ != "elst" {
					return nil
				}
				p, err := s.at(c.body, int(min(c.end-c.body, 8+20)))
				if err != nil || len(p) < 8+12 {
					return nil // no edit: playing starts at 0
				}
				if p[0] == 1 && len(p) >= 8+16 {
					t.mediaStart = max(0, int64(binary.BigEndian.Uint64(p[16:])))
				} else {
					t.mediaStart = max(0, int64(int32(binary.BigEndian.Uint32(p[12:]))))
				}
				return nil
			})
		case "mdia":
			return s.children(b.body, b.end, maxChunks, func(c box) error {
				switch c.typ {
				case "mdhd":
					ts, d, err := s.fullBoxTime(c)
					t.mediaScale, t.mediaDuration = ts, d
					return err
				case "hdlr":
					p, err := s.at(c.body, int(min(c.end-c.body, 12)))
					if err != nil || len(p) < 12 {
						return errors.New("hdlr box cut short")
					}
					t.sound = string(p[8:12]) == "soun"
				}
				return nil
			})
		}
		return nil
	})
	return t, err
}

// maxTrunBytes bounds the sample table of the last fragment that is read:
// a fragment of a few seconds lists a few hundred samples.
const maxTrunBytes = 64 << 10

// fragmentEnd returns where (in the track's media time scale) the track's
// samples in the movie fragment at off end: the fragment's decode time
// (tfdt) plus the durations its runs (trun) list, or the default duration
// (tfhd, else trex) for each sample.
func (s *source) fragmentEnd(off int64, track, trexDuration uint32) (int64, error) {
	moof, err := s.boxAt(off, s.size)
	if err != nil {
		return 0, err
	}
	var (
		found, haveTime bool
		start, total    uint64
	)
	err = s.children(moof.body, moof.end, maxChunks, func(traf box) error {
		if traf.typ != "traf" {
			return nil
		}
		mine, defaultDuration := false, uint64(trexDuration)
		return s.children(traf.body, traf.end, maxChunks, func(b box) error {
			if b.end-b.body > maxTrunBytes {
				return errors.New("the last fragment's sample table is too large to read")
			}
			p, err := s.at(b.body, int(b.end-b.body))
			if err != nil || len(p) < 8 {
				return fmt.Errorf("%s box cut short", b.typ)
			}
			flags := binary.BigEndian.Uint32(p) & 0xFFFFFF
			switch b.typ {
			case "tfhd":
				mine = binary.BigEndian.Uint32(p[4:]) == track
				at := 8
				for _, f := range []struct {
					bit  uint32
					size int
				}{{0x01, 8}, {0x02, 4}} {
					if flags&f.bit != 0 {
						at += f.size
					}
				}
				if flags&0x08 != 0 && len(p) >= at+4 {
					defaultDuration = uint64(binary.BigEndian.Uint32(p[at:]))
				}
				found = found || mine
			case "tfdt":
				if !mine {
					return nil
				}
				if p[0] == 1 && len(p) >= 12 {
					start = binary.BigEndian.Uint64(p[4:])
				} else {
					start = uint64(binary.BigEndian.Uint32(p[4:]))
				}
				haveTime = true
			case "trun":
				if !mine {
					return nil
				}
				count := uint64(binary.BigEndian.Uint32(p[4:]))
				at := 8 // then the optional data offset and first sample flags
				if flags&0x01 != 0 {
					at += 4
				}
				if flags&0x04 != 0 {
					at += 4
				}
				if flags&0x100 == 0 {
					total += count * defaultDuration
					return nil
				}
				entry := 0
				for _, bit := range []uint32{0x100, 0x200, 0x400, 0x800} {
					if flags&bit != 0 {
						entry += 4
					}
				}
				if len(p) < at || uint64(len(p)-at)/uint64(entry) < count {
					return errors.New("trun box cut short")
				}
				for i := range int(count) {
					total += uint64(binary.BigEndian.Uint32(p[at+i*entry:]))
				}
			}
			return nil
		})
	})
	switch {
	case err != nil:
		return 0, err
	case !found || !haveTime:
		return 0, errors.New("the last fragment has no timed samples of the sound track")
	case start > math.MaxInt64/2 || total > math.MaxInt64/2:
		return 0, errors.New("the last fragment's times are out of range")
	}
	return int64(start + total), nil
}

// undefinedDuration is what a header holds for "not known" (all ones, in 32
// or 64 bits); fullBoxTime reads both as this.
const undefinedDuration = ^uint64(0)

// fullBoxTime reads a time scale and a duration from an mvhd or mdhd box
// (scale then duration after two times that are 32-bit in version 0 and
// 64-bit in version 1), or just the duration from a tkhd box (two times, the
// track id and a reserved word before it; no scale).
func (s *source) fullBoxTime(b box) (uint32, uint64, error) {
	p, err := s.at(b.body, int(min(b.end-b.body, 36)))
	if err != nil || len(p) < 4 {
		return 0, 0, fmt.Errorf("%s box cut short", b.typ)
	}
	wide := p[0] == 1
	scaleAt := 12 // after version+flags and two 32-bit times
	if wide {
		scaleAt = 20
	}
	durationAt := scaleAt + 4
	if b.typ == "tkhd" {
		durationAt, scaleAt = scaleAt+8, -1
	}
	width := 4
	if wide {
		width = 8
	}
	if len(p) < durationAt+width {
		return 0, 0, fmt.Errorf("%s box cut short", b.typ)
	}
	var scale uint32
	if scaleAt >= 0 {
		scale = binary.BigEndian.Uint32(p[scaleAt:])
	}
	var d uint64
	if wide {
		d = binary.BigEndian.Uint64(p[durationAt:])
	} else if d = uint64(binary.BigEndian.Uint32(p[durationAt:])); d == 0xFFFFFFFF {
		d = undefinedDuration
	}
	return scale, d, nil
}
