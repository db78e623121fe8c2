package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// oggPage is a parsed Ogg page header.
type oggPage struct {
	headerLen, bodyLen int
	flags              byte
	granule            int64
	serial             uint32
}

const (
	oggBOS       = 0x02
	oggMaxPage   = 27 + 255 + 255*255
	oggTailBytes = 2 * oggMaxPage // the last page, even with junk after it
)

// parseOggPage decodes the page header at the start of b; the body need not
// be in b.
func parseOggPage(b []byte) (oggPage, bool) {
	if len(b) < 27 || string(b[:4]) != "OggS" || b[4] != 0 {
		return oggPage{}, false
	}
	n := int(b[26])
	if len(b) < 27+n {
		return oggPage{}, false
	}
	p := oggPage{
		headerLen: 27 + n,
		flags:     b[5],
		granule:   int64(binary.LittleEndian.Uint64(b[6:])),
		serial:    binary.LittleEndian.Uint32(b[14:]),
	}
	for _, l := range b[27 : 27+n] {
		p.bodyLen += int(l)
	}
	return p, true
}

// ogg measures Ogg Vorbis, Opus and FLAC: the first pages say which codec and
// at what rate; the granule position of the stream's last page is the number
// of samples at its end. Opus counts from its pre-skip, which does not play.
func (s *source) ogg() (Format, float64, error) {
	var (
		format  Format
		serial  uint32
		rate    int
		preSkip int64
	)
	off := int64(0)
	// The first page of every logical stream comes first (BOS); take the
	// first audio one.
	for i := 0; format == "" && i < 16; i++ {
		h, err := s.upTo(off, 27+255)
		if err != nil {
			return "", 0, err
		}
		page, ok := parseOggPage(h)
		if !ok || page.flags&oggBOS == 0 {
			break
		}
		body, err := s.at(off+int64(page.headerLen), min(page.bodyLen, 64))
		if err != nil {
			return "", 0, errors.New("first page cut short")
		}
		switch {
		case len(body) >= 19 && string(body[:8]) == "OpusHead":
			format, rate, preSkip = Opus, 48000, int64(binary.LittleEndian.Uint16(body[10:]))
		case len(body) >= 16 && string(body[:7]) == "\x01vorbis":
			format, rate = Vorbis, int(binary.LittleEndian.Uint32(body[12:]))
		case len(body) >= 51 && string(body[:5]) == "\x7fFLAC" && string(body[9:13]) == "fLaC":
			si, err := parseStreamInfo(body[17:])
			if err != nil {
				return OggFLAC, 0, err
			}
			format, rate = OggFLAC, si.rate
		}
		serial = page.serial
		off += int64(page.headerLen + page.bodyLen)
	}
	if format == "" {
		return "", 0, ErrNotRecognised
	}
	if !validRate(uint64(rate)) {
		return format, 0, fmt.Errorf("the stream declares %d Hz", rate)
	}
	granule, err := s.oggLastGranule(serial)
	if err != nil {
		return format, 0, err
	}
	if granule < preSkip {
		return format, 0, fmt.Errorf("last granule position %d is before the pre-skip %d", granule, preSkip)
	}
	return format, float64(granule-preSkip) / float64(rate), nil
}

// oggLastGranule returns the granule position of the last intact page of the
// stream serial (intact: its CRC matches) in the file's tail.
func (s *source) oggLastGranule(serial uint32) (int64, error) {
	from := max(0, s.size-oggTailBytes)
	b, err := s.upTo(from, int(s.size-from))
	if err != nil {
		return 0, err
	}
	// A real file's last page is intact; checking a few candidates allows
	// for junk after it without letting a hostile tail cost seconds of CRCs.
	checks := 0
	for i := len(b) - 27; i >= 0 && checks < 64; i-- {
		if b[i] != 'O' {
			continue
		}
		page, ok := parseOggPage(b[i:])
		if !ok || page.serial != serial || page.granule == -1 || i+page.headerLen+page.bodyLen > len(b) {
			continue
		}
		checks++
		if oggCRC(b[i:i+page.headerLen+page.bodyLen]) == binary.LittleEndian.Uint32(b[i+22:]) {
			return page.granule, nil
		}
	}
	return 0, errors.New("no intact page of the stream in the file's tail: truncated or garbage at the end?")
}

// oggCRCTable is the Ogg CRC-32 (polynomial 0x04C11DB7, not reflected),
// which hash/crc32 does not offer.
var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// oggCRC is the checksum of a page, computed with its CRC field as zeros.
func oggCRC(page []byte) uint32 {
	var crc uint32
	for i, c := range page {
		if i >= 22 && i < 26 {
			c = 0
		}
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^c]
	}
	return crc
}
