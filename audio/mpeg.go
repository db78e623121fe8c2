package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// mpegBitrates are the MPEG audio bit rates in kbit/s by [MPEG-1][layer-1][index].
var mpegBitrates = [2][3][15]int{
	{ // MPEG-2 and 2.5
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	},
	{ // MPEG-1
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	},
}

// parseMPEG decodes an MPEG-1/2/2.5 audio frame header (layers I–III).
func parseMPEG(b []byte) (frame, bool) {
	if len(b) < 4 {
		return frame{}, false
	}
	h := binary.BigEndian.Uint32(b)
	version, layerBits := h>>19&3, h>>17&3 // version: 0 = 2.5, 2 = 2, 3 = 1
	brIndex, rateIndex, pad := h>>12&15, h>>10&3, int(h>>9&1)
	if h>>21 != 0x7FF || version == 1 || layerBits == 0 || brIndex == 0 || brIndex == 15 || rateIndex == 3 || h&3 == 2 {
		return frame{}, false
	}
	f := frame{
		rate:   [3]int{44100, 48000, 32000}[rateIndex],
		mono:   h>>6&3 == 3,
		mpeg1:  version == 3,
		layer3: layerBits == 1,
	}
	switch version {
	case 2:
		f.rate /= 2
	case 0:
		f.rate /= 4
	}
	layer := 4 - int(layerBits)
	mpeg1 := 0
	if f.mpeg1 {
		mpeg1 = 1
	}
	f.bitrate = mpegBitrates[mpeg1][layer-1][brIndex] * 1000
	switch {
	case layer == 1:
		f.samples, f.size = 384, (12*f.bitrate/f.rate+pad)*4
	case layer == 2 || f.mpeg1:
		f.samples, f.size = 1152, 144*f.bitrate/f.rate+pad
	default:
		f.samples, f.size = 576, 72*f.bitrate/f.rate+pad
	}
	f.key = h & 0xFFFE0C00
	if f.mono {
		f.key |= 1
	}
	return f, true
}

// parseADTS decodes an ADTS (raw AAC) frame header.
func parseADTS(b []byte) (frame, bool) {
	if len(b) < 7 || b[0] != 0xFF || b[1]&0xF6 != 0xF0 {
		return frame{}, false
	}
	rateIndex := b[2] >> 2 & 15
	size := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5])>>5
	headerLen := 7
	if b[1]&1 == 0 {
		headerLen = 9 // with a CRC
	}
	if rateIndex > 12 || size < headerLen {
		return frame{}, false
	}
	return frame{
		size:    size,
		samples: (int(b[6]&3) + 1) * 1024,
		rate:    [13]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}[rateIndex],
		key:     uint32(b[1]&0x09)<<16 | uint32(b[2]&0xFD)<<8 | uint32(b[3]>>6),
	}, true
}

// firstWindow is how far into an MPEG or ADTS stream the first frame is
// looked for (encoders sometimes leave padding or junk before it).
const firstWindow = 32 << 10

// mpegOrADTS measures an MP3 or ADTS stream starting at start (after any
// ID3v2 tags), or reports that the bytes are neither.
func (s *source) mpegOrADTS(start int64) (Format, float64, error) {
	end, err := s.trailerStart(start)
	if err != nil {
		return "", 0, err
	}
	// Find the first frames in the first window, then read the rest of the
	// stream to walk it whole when it fits in what is left of the budget
	// (keeping some for the tail check).
	region := end - start
	b, err := s.at(start, int(min(region, firstWindow)))
	if err != nil {
		return "", 0, err
	}
	whole := int64(len(b)) == region
	format, parse := MP3, frameParser(parseMPEG)
	p, f, ok := findChain(b, parse, firstWindow, whole)
	if !ok {
		format, parse = ADTS, parseADTS
		if p, f, ok = findChain(b, parse, firstWindow, whole); !ok {
			return "", 0, ErrNotRecognised
		}
	}
	if rest := region - int64(len(b)); rest > 0 && rest <= int64(s.left-tailCheck) {
		more, err := s.at(start+int64(len(b)), int(rest))
		if err != nil {
			return "", 0, err
		}
		b, whole = append(b[:len(b):len(b)], more...), true
	}
	first := start + int64(p)
	if format == MP3 {
		if secs, ok, err := s.mp3Header(b[p:], f, first, end); ok || err != nil {
			return format, secs, err
		}
	}
	secs, estimated, err := s.frameSeconds(first, end, b[p:], whole, parse, f)
	s.estimated = estimated
	// Without a header saying otherwise, take off the silence every encoder
	// of the format puts first.
	var delay float64
	switch {
	case format == ADTS:
		delay = aacPriming
	case f.layer3:
		delay = mp3Delay
	}
	return format, max(0, secs-delay/float64(f.rate)), err
}

// A layer III stream starts with LAME's encoder delay (576 samples) and the
// decoder's (529): silence that is not part of the recording, which a LAME tag
// declares exactly and a file without one still has. An AAC stream starts
// with 1024 samples of encoder priming, and ADTS has nowhere to say so.
const (
	mp3Delay   = 576 + 529
	aacPriming = 1024
)

// mp3Header reads the frame count of a Xing, Info (LAME's name for the same
// header in a CBR file) or VBRI header in the first frame f at first, with
// the encoder delay and padding of a LAME tag when there is one. It reports
// false when the frame carries no such header.
func (s *source) mp3Header(b []byte, f frame, first, end int64) (float64, bool, error) {
	frameBytes := b[:min(len(b), f.size)]
	var frames, bytes int64
	trim := int64(mp3Delay) // unless a LAME tag says otherwise
	xing := 0
	if f.layer3 {
		xing = xingAt(frameBytes, f)
	}
	switch {
	case xing > 0:
		x := frameBytes[xing:]
		flags := binary.BigEndian.Uint32(x[4:])
		p := 8
		if flags&1 == 0 {
			return 0, false, nil // no frame count: measure the frames instead
		}
		for i, size := range []int{4, 4, 100, 4} {
			if flags&(1<<i) == 0 {
				continue
			}
			if p+size > len(x) {
				return 0, true, errors.New("Xing header cut short")
			}
			switch i {
			case 0:
				frames = int64(binary.BigEndian.Uint32(x[p:]))
			case 1:
				bytes = int64(binary.BigEndian.Uint32(x[p:]))
			}
			p += size
		}
		if lame := x[p:]; len(lame) >= 24 && isEncoderName(lame[:4]) {
			delay := int64(lame[21])<<4 | int64(lame[22]>>4)
			padding := int64(lame[22]&15)<<8 | int64(lame[23])
			trim = delay + padding
		}
	case len(frameBytes) >= 36+18 && string(frameBytes[36:40]) == "VBRI":
		v := frameBytes[36:]
		bytes = int64(binary.BigEndian.Uint32(v[10:]))
		frames = int64(binary.BigEndian.Uint32(v[14:]))
	default:
		return 0, false, nil
	}
	// The header counts the frames after it, and the bytes from its own frame
	// on. More bytes than the file holds is a cut file; far fewer frames than
	// the bytes can hold is a header that belongs to something else.
	switch {
	case frames == 0:
		return 0, false, nil // measure the frames instead
	case bytes > end-first+int64(f.size):
		return 0, true, fmt.Errorf("the header declares %d bytes of frames, the file holds %d: truncated?", bytes, end-first)
	case (end-first)/frames > maxMPEGFrame:
		return 0, true, fmt.Errorf("the header declares %d frames, too few for %d bytes", frames, end-first)
	}
	if err := s.framesAtEnd(first, end, f); err != nil {
		return 0, true, err
	}
	samples := frames * int64(f.samples)
	if trim < samples {
		samples -= trim
	}
	return float64(samples) / float64(f.rate), true, nil
}

// xingAt returns where a Xing or Info header starts in the first frame, or 0.
// It sits after the side information, whose size depends on the version and
// channels; some encoders count the CRC's two bytes too.
func xingAt(b []byte, f frame) int {
	side := 17
	switch {
	case f.mpeg1 && !f.mono:
		side = 32
	case !f.mpeg1 && f.mono:
		side = 9
	}
	for _, off := range []int{4 + side, 6 + side} {
		if len(b) >= off+8 && (string(b[off:off+4]) == "Xing" || string(b[off:off+4]) == "Info") {
			return off
		}
	}
	return 0
}

// isEncoderName reports whether b looks like the start of the LAME tag's
// encoder name ("LAME3.100", "Lavc59.37"…), which says the tag is there.
func isEncoderName(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.') {
			return false
		}
	}
	return true
}

// framesAtEnd checks that the stream still has frames like f near its end,
// so that a header followed by garbage, or by another file, is not believed.
func (s *source) framesAtEnd(first, end int64, f frame) error {
	from := max(first, end-tailCheck)
	b, err := s.at(from, int(end-from))
	if err != nil {
		return err
	}
	p, g, ok := findChain(b, parseMPEG, len(b), true)
	if ok && g.key == f.key && p <= 4096 {
		var st frameStats
		st.walk(b, p, parseMPEG, f.key, true)
		if st.gap <= 4096 {
			return nil
		}
	}
	return fmt.Errorf("no audio frames in the last %d bytes: garbage at the end?", len(b))
}

// maxMPEGFrame is the size of the largest MPEG audio frame (layer II at
// 384 kbit/s and 32 kHz).
const maxMPEGFrame = 1729

// tailCheck is how much of the end of an MP3 with a Xing or VBRI header is
// read to find the frames still there.
const tailCheck = 16 << 10
