package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MP4, M4A and MOV files are trees of boxes (QuickTime "atoms"). The length
// is in the movie box: the sound track's header (tkhd, in the movie's time
// scale, after edits such as the AAC encoder's priming samples), else its
// media header (mdhd), else the fragment duration of a fragmented file
// (mehd). Only box headers are read on the way, so an index written at the
// end behind gigabytes of media costs a few small reads.

func isMP4Start(boxType string) bool {
	switch boxType {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}

type box struct {
	typ       string
	body, end int64 // where the payload starts; where the box ends
}

// boxAt reads the header of the box at off, which must end by limit.
func (s *source) boxAt(off, limit int64) (box, error) {
	h, err := s.at(off, 8)
	if err != nil {
		return box{}, errors.New("box header cut short: truncated?")
	}
	b := box{typ: string(h[4:8]), body: off + 8}
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

// children calls fn for each box inside [from, to).
func (s *source) children(from, to int64, fn func(box) error) error {
	for i, off := 0, from; off+8 <= to; i++ {
		if i == maxChunks {
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

// mp4Track is what one trak box says.
type mp4Track struct {
	sound         bool
	duration      uint64 // tkhd, in the movie's time scale
	mediaDuration uint64 // mdhd
	mediaScale    uint32
}

func (s *source) mp4() (float64, error) {
	var moov *box
	err := s.children(0, s.size, func(b box) error {
		if b.typ == "moov" && moov == nil {
			moov = &b
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
		movieScale    uint32
		movieDuration uint64
		fragment      uint64
		sound         *mp4Track
	)
	err = s.children(moov.body, moov.end, func(b box) error {
		switch b.typ {
		case "mvhd":
			ts, d, err := s.fullBoxTime(b)
			movieScale, movieDuration = ts, d
			return err
		case "trak":
			t, err := s.mp4Track(b)
			if err == nil && t.sound && sound == nil {
				sound = &t
			}
			return err
		case "mvex":
			return s.children(b.body, b.end, func(c box) error {
				if c.typ == "mehd" {
					p, err := s.at(c.body, int(min(c.end-c.body, 12)))
					if err != nil || len(p) < 8 {
						return errors.New("mehd box cut short")
					}
					if p[0] == 1 && len(p) >= 12 {
						fragment = binary.BigEndian.Uint64(p[4:])
					} else {
						fragment = uint64(binary.BigEndian.Uint32(p[4:]))
					}
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
	case sound.duration > 0:
		return float64(sound.duration) / float64(movieScale), nil
	case sound.mediaDuration > 0 && sound.mediaScale > 0:
		return float64(sound.mediaDuration) / float64(sound.mediaScale), nil
	case fragment > 0:
		return float64(fragment) / float64(movieScale), nil
	case movieDuration == 0:
		return 0, errors.New("fragmented without a total duration (mehd)")
	}
	return 0, errors.New("the sound track declares no duration")
}

// mp4Track reads a trak box's tkhd, mdhd and hdlr.
func (s *source) mp4Track(trak box) (mp4Track, error) {
	var t mp4Track
	err := s.children(trak.body, trak.end, func(b box) error {
		switch b.typ {
		case "tkhd":
			_, d, err := s.fullBoxTime(b)
			t.duration = d
			return err
		case "mdia":
			return s.children(b.body, b.end, func(c box) error {
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
