package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// aiff reads AIFF and AIFF-C: the COMM chunk holds the number of sample
// frames and the rate. The SSND chunk must hold the frames it declares, so a
// cut file is not measured by its header alone.
func (s *source) aiff() (float64, error) {
	compressed := string(s.head[8:12]) == "AIFC"
	var (
		frames, rate float64
		frameBytes   int64 // bytes per sample frame when uncompressed, else 0
		haveComm     bool
		ssndOff      int64 = -1
		ssndSize     int64
	)
	off := int64(12)
	for i := 0; i < maxChunks && off+8 <= s.size && !(haveComm && ssndOff >= 0); i++ {
		h, err := s.at(off, 8)
		if err != nil {
			return 0, err
		}
		id, size := string(h[:4]), int64(binary.BigEndian.Uint32(h[4:]))
		switch id {
		case "COMM":
			b, err := s.at(off+8, int(min(size, 22)))
			if err != nil || len(b) < 18 {
				return 0, errors.New("COMM chunk too short")
			}
			channels, bits := int64(binary.BigEndian.Uint16(b)), int64(binary.BigEndian.Uint16(b[6:]))
			frames = float64(binary.BigEndian.Uint32(b[2:]))
			rate = extended(b[8:18])
			if channels == 0 || !validRate(uint64(rate)) {
				return 0, fmt.Errorf("COMM chunk declares %g Hz, %d channels", rate, channels)
			}
			frameBytes = channels * ((bits + 7) / 8)
			if compressed {
				if len(b) < 22 {
					return 0, errors.New("AIFF-C COMM chunk too short")
				}
				switch string(b[18:22]) {
				case "NONE", "sowt", "twos", "raw ", "in24", "in32", "fl32", "fl64", "FL32", "FL64":
					// PCM under another name: the byte count still holds.
				default:
					frameBytes = 0
				}
			}
			haveComm = true
		case "SSND":
			ssndOff, ssndSize = off+8, size
		}
		off += 8 + size + size&1
	}
	switch {
	case !haveComm:
		return 0, errors.New("no COMM chunk")
	case frames == 0 && ssndOff >= 0 && s.size-ssndOff > 8:
		return 0, fmt.Errorf("COMM declares 0 frames but %d bytes of sound follow (written to a pipe?)", s.size-ssndOff-8)
	case frames == 0:
		return 0, nil
	case ssndOff < 0:
		return 0, errors.New("no SSND chunk: truncated?")
	case ssndOff+ssndSize > s.size:
		return 0, fmt.Errorf("SSND chunk declares %d bytes, the file holds %d: truncated?", ssndSize, s.size-ssndOff)
	case frameBytes > 0 && ssndSize-8 < int64(frames)*frameBytes:
		return 0, fmt.Errorf("COMM declares %.0f frames, SSND holds %d bytes", frames, ssndSize-8)
	}
	return frames / rate, nil
}

// extended decodes the 80-bit IEEE 754 extended number AIFF stores its sample
// rate in; negative, infinite and NaN values come back as 0.
func extended(b []byte) float64 {
	signExp := binary.BigEndian.Uint16(b)
	if signExp&0x8000 != 0 || signExp == 0x7FFF {
		return 0
	}
	return math.Ldexp(float64(binary.BigEndian.Uint64(b[2:])), int(signExp)-16383-63)
}
