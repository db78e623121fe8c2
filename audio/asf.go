package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ASF (.wma) object GUIDs, as stored (little-endian fields).
var (
	asfHeaderGUID         = [16]byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
	asfFilePropertiesGUID = [16]byte{0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65}
	asfDataGUID           = [16]byte{0x36, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
)

// asf reads the play duration of a Windows Media file from its File
// Properties object (100-ns units, with the preroll in milliseconds to take
// off). fwbatch accepts .wma files, so it measures them too.
func (s *source) asf() (float64, error) {
	h, err := s.at(0, 30)
	if err != nil {
		return 0, errors.New("header object cut short")
	}
	headerEnd := int64(binary.LittleEndian.Uint64(h[16:]))
	if headerEnd < 30 || headerEnd > s.size {
		return 0, fmt.Errorf("header object declares %d bytes in a %d-byte file: truncated?", headerEnd, s.size)
	}
	var secs float64
	found := false
	for i, off := 0, int64(30); off+24 <= headerEnd && !found; i++ {
		if i == maxChunks {
			return 0, errors.New("too many header objects")
		}
		o, err := s.at(off, 24)
		if err != nil {
			return 0, err
		}
		size := binary.LittleEndian.Uint64(o[16:])
		if size < 24 || size > uint64(headerEnd-off) {
			return 0, fmt.Errorf("header object at byte %d declares %d bytes: truncated?", off, size)
		}
		if [16]byte(o[:16]) == asfFilePropertiesGUID {
			p, err := s.at(off+24, 80)
			if err != nil {
				return 0, errors.New("file properties cut short")
			}
			play := binary.LittleEndian.Uint64(p[40:])     // 100 ns
			preroll := binary.LittleEndian.Uint64(p[56:])  // ms
			if binary.LittleEndian.Uint32(p[64:])&1 != 0 { // broadcast: durations not set
				return 0, errors.New("a broadcast stream: no duration")
			}
			secs = float64(play)/1e7 - float64(preroll)/1e3
			found = true
		}
		off += int64(size)
	}
	if !found {
		return 0, errors.New("no file properties object")
	}
	// The data object follows the header; a cut file cannot hold all of it.
	d, err := s.at(headerEnd, 24)
	if err != nil || [16]byte(d[:16]) != asfDataGUID {
		return 0, errors.New("no data object after the header: truncated?")
	}
	if size := binary.LittleEndian.Uint64(d[16:]); size > uint64(s.size-headerEnd) {
		return 0, fmt.Errorf("data object declares %d bytes, the file holds %d: truncated?", size, s.size-headerEnd)
	}
	return secs, nil
}
