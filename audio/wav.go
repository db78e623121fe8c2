package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxChunks bounds a walk through RIFF, AIFF, MP4 or Matroska children: real
// files have a handful before the audio; a hostile one may have millions.
const maxChunks = 512

// wavFormat is what a WAVE "fmt " chunk says.
type wavFormat struct {
	tag        uint16 // WAVE_FORMAT_*; the sub-format's tag for WAVE_FORMAT_EXTENSIBLE
	channels   uint16
	rate       uint32
	byteRate   uint32
	blockAlign uint16
}

const (
	wavePCM        = 0x0001
	waveIEEEFloat  = 0x0003
	waveALaw       = 0x0006
	waveMuLaw      = 0x0007
	waveExtensible = 0xFFFE
)

// wav reads RIFF WAVE, RF64 and BW64 files (the last two carry 64-bit sizes in
// a ds64 chunk). PCM lengths come from the data size and the block size;
// compressed ones from the fact chunk's sample count, else the byte rate.
func (s *source) wav() (float64, error) {
	riff64 := string(s.head[:4]) != "RIFF"
	var (
		fmtChunk *wavFormat
		ds64Data uint64 // RF64: the data chunk's real size
		ds64Samp uint64 // RF64: the sample count
		factSamp uint64
		dataOff  int64
		dataSize int64 = -1
	)
	off := int64(12)
	for i := 0; ; i++ {
		if i == maxChunks {
			return 0, errors.New("too many chunks before the audio data")
		}
		if off+8 > s.size {
			break
		}
		h, err := s.at(off, 8)
		if err != nil {
			return 0, err
		}
		id, size := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
		body := off + 8
		switch id {
		case "ds64":
			if !riff64 || i != 0 {
				break
			}
			b, err := s.at(body, int(min(size, 24)))
			if err != nil || len(b) < 24 {
				return 0, errors.New("ds64 chunk too short")
			}
			ds64Data, ds64Samp = binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
		case "fmt ":
			b, err := s.at(body, int(min(size, 40)))
			if err != nil || len(b) < 16 {
				return 0, errors.New("fmt chunk too short")
			}
			f := wavFormat{
				tag:        binary.LittleEndian.Uint16(b),
				channels:   binary.LittleEndian.Uint16(b[2:]),
				rate:       binary.LittleEndian.Uint32(b[4:]),
				byteRate:   binary.LittleEndian.Uint32(b[8:]),
				blockAlign: binary.LittleEndian.Uint16(b[12:]),
			}
			if f.tag == waveExtensible {
				if len(b) < 40 {
					return 0, errors.New("WAVE_FORMAT_EXTENSIBLE fmt chunk too short")
				}
				f.tag = binary.LittleEndian.Uint16(b[24:]) // the sub-format GUID starts with the tag
			}
			fmtChunk = &f
		case "fact":
			if size >= 4 {
				b, err := s.at(body, 4)
				if err != nil {
					return 0, err
				}
				factSamp = uint64(binary.LittleEndian.Uint32(b))
			}
		case "data":
			dataOff, dataSize = body, size
			if riff64 && size == 0xFFFFFFFF {
				if ds64Data > uint64(s.size) {
					return 0, fmt.Errorf("ds64 declares %d bytes of data in a %d-byte file: truncated?", ds64Data, s.size)
				}
				dataSize = int64(ds64Data)
			}
		}
		if dataSize >= 0 && fmtChunk != nil {
			break
		}
		if id == "data" && size == 0xFFFFFFFF {
			break // streamed: the data runs to the end of the file
		}
		off = body + size + size&1 // chunks are padded to an even size
	}
	if fmtChunk == nil || dataSize < 0 {
		return 0, errors.New("no fmt or data chunk: truncated?")
	}
	f := *fmtChunk
	rest := s.size - dataOff
	switch {
	case dataSize == 0xFFFFFFFF && !riff64:
		// A writer that could not seek back (a pipe) leaves the placeholder:
		// the data runs to the end of the file.
		dataSize = rest
	case dataSize > rest:
		return 0, fmt.Errorf("data chunk declares %d bytes, the file holds %d: truncated?", dataSize, rest)
	case dataSize == 0 && rest > 1:
		return 0, fmt.Errorf("data chunk declares 0 bytes but %d follow", rest)
	}
	if !validRate(uint64(f.rate)) || f.channels == 0 {
		return 0, fmt.Errorf("fmt chunk declares %d Hz, %d channels", f.rate, f.channels)
	}
	switch {
	case isPCM(f.tag) && f.blockAlign > 0:
		return float64(dataSize/int64(f.blockAlign)) / float64(f.rate), nil
	case ds64Samp > 0:
		return float64(ds64Samp) / float64(f.rate), nil
	case factSamp > 0:
		return float64(factSamp) / float64(f.rate), nil
	case f.byteRate > 0:
		return float64(dataSize) / float64(f.byteRate), nil
	}
	return 0, fmt.Errorf("format 0x%04x with no block size, sample count or byte rate", f.tag)
}

func isPCM(tag uint16) bool {
	return tag == wavePCM || tag == waveIEEEFloat || tag == waveALaw || tag == waveMuLaw
}

// validRate reports whether a sample rate is one real audio uses; anything
// else is a corrupt header (and would make absurd durations).
func validRate(hz uint64) bool { return hz >= 1000 && hz <= 768000 }
