package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// skipID3v2 returns where the audio starts after any ID3v2 tags at off (a
// tag may hold megabytes of cover art: its header says how far to jump).
func (s *source) skipID3v2(off int64) (int64, error) {
	for range 8 { // some taggers stack several tags; more is garbage
		h, err := s.upTo(off, 10)
		if err != nil {
			return 0, err
		}
		if len(h) < 10 || string(h[:3]) != "ID3" || h[3] == 0xFF || h[4] == 0xFF ||
			h[6]|h[7]|h[8]|h[9] >= 0x80 {
			return off, nil
		}
		size := int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9])
		off += 10 + size
		if h[5]&0x10 != 0 { // footer present
			off += 10
		}
	}
	return off, nil
}

// streamInfo is what FLAC's STREAMINFO block says.
type streamInfo struct {
	maxBlock     int
	maxFrameSize int
	rate         int
	channels     int
	bits         int
	samples      uint64 // 0 when the encoder did not know (a pipe)
}

func parseStreamInfo(b []byte) (streamInfo, error) {
	if len(b) < 34 {
		return streamInfo{}, errors.New("STREAMINFO too short")
	}
	si := streamInfo{
		maxBlock:     int(binary.BigEndian.Uint16(b[2:])),
		maxFrameSize: int(b[7])<<16 | int(b[8])<<8 | int(b[9]),
		rate:         int(b[10])<<12 | int(b[11])<<4 | int(b[12])>>4,
		channels:     int(b[12]>>1&7) + 1,
		bits:         int(b[12]&1)<<4 | int(b[13]>>4) + 1,
		samples:      uint64(b[13]&0x0F)<<32 | uint64(binary.BigEndian.Uint32(b[14:])),
	}
	if !validRate(uint64(si.rate)) {
		return si, fmt.Errorf("STREAMINFO declares %d Hz", si.rate)
	}
	return si, nil
}

// flac reads the total sample count from STREAMINFO and checks it against the
// last frame in the file: a cut file, or a stream written to a pipe (which
// leaves the count 0), is measured by where its last frame ends.
func (s *source) flac(start int64) (float64, error) {
	b, err := s.at(start+4, 4+34)
	if err != nil {
		return 0, errors.New("no STREAMINFO: truncated?")
	}
	if b[0]&0x7F != 0 || int(b[1])<<16|int(b[2])<<8|int(b[3]) < 34 {
		return 0, errors.New("the first metadata block is not STREAMINFO")
	}
	si, err := parseStreamInfo(b[4:])
	if err != nil {
		return 0, err
	}
	end, err := s.flacLastFrameEnd(start, si)
	if err != nil {
		return 0, err
	}
	if si.samples != 0 && end != si.samples {
		return 0, fmt.Errorf("STREAMINFO declares %d samples, the last frame ends at %d: truncated?", si.samples, end)
	}
	return float64(end) / float64(si.rate), nil
}

// flacLastFrameEnd finds the last frame header in the file's tail and returns
// the sample at which that frame ends. A frame header is trusted when its
// CRC-8 matches, it agrees with STREAMINFO, and it ends where STREAMINFO says
// the stream ends, or the frame header before it ends where it starts.
func (s *source) flacLastFrameEnd(start int64, si streamInfo) (uint64, error) {
	window := 64 << 10
	if si.maxFrameSize > 0 {
		window = max(window, min(2*si.maxFrameSize+64, 192<<10))
	}
	from := max(start, s.size-int64(window))
	tail, err := s.upTo(from, int(s.size-from))
	if err != nil {
		return 0, err
	}
	// Scanning back from the end, a header whose end meets the start of one
	// found later (nearer the end) is trusted, and so is that later one. A
	// hostile tail full of false headers gives up after a few.
	var later []flacFrame
	for i := len(tail) - 2; i >= 0 && len(later) < 32; i-- {
		if tail[i] != 0xFF || tail[i+1]&0xFE != 0xF8 {
			continue
		}
		f, ok := parseFLACFrame(tail[i:], si)
		if !ok {
			continue
		}
		if si.samples != 0 && f.end() == si.samples {
			return f.end(), nil
		}
		for _, l := range later {
			if f.end() == l.first {
				return l.end(), nil
			}
		}
		later = append(later, f)
	}
	if si.samples != 0 && len(later) > 0 {
		return later[0].end(), nil // the caller reports the mismatch with STREAMINFO
	}
	return 0, errors.New("no frame header in the last frames: truncated or garbage at the end?")
}

type flacFrame struct {
	first uint64 // the number of the frame's first sample
	block uint64 // samples in the frame
}

func (f flacFrame) end() uint64 { return f.first + f.block }

// parseFLACFrame decodes the frame header at the start of b.
func parseFLACFrame(b []byte, si streamInfo) (flacFrame, bool) {
	if len(b) < 6 {
		return flacFrame{}, false
	}
	variable := b[1]&1 == 1
	blockCode, rateCode := b[2]>>4, b[2]&0x0F
	chanCode, sizeCode := b[3]>>4, b[3]>>1&7
	if blockCode == 0 || rateCode == 15 || chanCode > 10 || sizeCode == 3 || sizeCode == 7 || b[3]&1 != 0 {
		return flacFrame{}, false
	}
	channels := int(chanCode) + 1
	if chanCode >= 8 {
		channels = 2
	}
	if channels != si.channels {
		return flacFrame{}, false
	}
	// The coded number: frame number (fixed block size) or sample number.
	n, pos, ok := utf8Number(b, 4)
	if !ok {
		return flacFrame{}, false
	}
	var block uint64
	switch {
	case blockCode == 1:
		block = 192
	case blockCode <= 5:
		block = 576 << (blockCode - 2)
	case blockCode == 6:
		if pos+1 > len(b) {
			return flacFrame{}, false
		}
		block, pos = uint64(b[pos])+1, pos+1
	case blockCode == 7:
		if pos+2 > len(b) {
			return flacFrame{}, false
		}
		block, pos = uint64(binary.BigEndian.Uint16(b[pos:]))+1, pos+2
	default:
		block = 256 << (blockCode - 8)
	}
	switch rateCode {
	case 12:
		pos++
	case 13, 14:
		pos += 2
	}
	if pos+1 > len(b) || crc8(b[:pos]) != b[pos] {
		return flacFrame{}, false
	}
	if si.maxBlock > 0 && block > uint64(si.maxBlock) {
		return flacFrame{}, false
	}
	if variable {
		return flacFrame{first: n, block: block}, true
	}
	return flacFrame{first: n * uint64(si.maxBlock), block: block}, true
}

// utf8Number decodes FLAC's UTF-8-like coded number (up to 36 bits) at b[pos].
func utf8Number(b []byte, pos int) (uint64, int, bool) {
	if pos >= len(b) {
		return 0, 0, false
	}
	c := b[pos]
	var n uint64
	var extra int
	switch {
	case c < 0x80:
		return uint64(c), pos + 1, true
	case c&0xE0 == 0xC0:
		n, extra = uint64(c&0x1F), 1
	case c&0xF0 == 0xE0:
		n, extra = uint64(c&0x0F), 2
	case c&0xF8 == 0xF0:
		n, extra = uint64(c&0x07), 3
	case c&0xFC == 0xF8:
		n, extra = uint64(c&0x03), 4
	case c&0xFE == 0xFC:
		n, extra = uint64(c&0x01), 5
	case c == 0xFE:
		n, extra = 0, 6
	default:
		return 0, 0, false
	}
	if pos+1+extra > len(b) {
		return 0, 0, false
	}
	for _, c := range b[pos+1 : pos+1+extra] {
		if c&0xC0 != 0x80 {
			return 0, 0, false
		}
		n = n<<6 | uint64(c&0x3F)
	}
	return n, pos + 1 + extra, true
}

// crc8 is FLAC's frame header check (polynomial x^8 + x^2 + x + 1).
func crc8(b []byte) byte {
	var crc byte
	for _, c := range b {
		crc ^= c
		for range 8 {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x07
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
