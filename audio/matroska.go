package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Matroska and WebM element IDs (EBML, with their length markers).
const (
	ebmlSegment         = 0x18538067
	ebmlSeekHead        = 0x114D9B74
	ebmlSeek            = 0x4DBB
	ebmlSeekID          = 0x53AB
	ebmlSeekPosition    = 0x53AC
	ebmlInfo            = 0x1549A966
	ebmlTimestampScale  = 0x2AD7B1
	ebmlDuration        = 0x4489
	ebmlCluster         = 0x1F43B675
	ebmlTimestamp       = 0xE7
	ebmlSimpleBlock     = 0xA3
	ebmlBlockGroup      = 0xA0
	ebmlBlock           = 0xA1
	ebmlBlockDuration   = 0x9B
	ebmlVoid            = 0xEC
	ebmlUnknownSize     = -1
	matroskaMaxInfoSize = 64 << 10 // a title, app names, a date: far less
)

// ebmlElement is an element header: its ID, where its data starts, and its
// data size (ebmlUnknownSize for a live stream's open-ended element).
type ebmlElement struct {
	id   uint32
	data int64
	size int64
}

// ebmlAt reads the element header at off.
func (s *source) ebmlAt(off int64) (ebmlElement, error) {
	b, err := s.upTo(off, 12)
	if err != nil {
		return ebmlElement{}, err
	}
	id, n := ebmlVint(b, 4)
	if n == 0 {
		return ebmlElement{}, fmt.Errorf("bad element ID at byte %d", off)
	}
	size, m := ebmlVint(b[n:], 8)
	if m == 0 {
		return ebmlElement{}, fmt.Errorf("bad element size at byte %d", off)
	}
	e := ebmlElement{id: uint32(id), data: off + int64(n+m), size: int64(size & (1<<(7*m) - 1))}
	if e.size == 1<<(7*m)-1 {
		e.size = ebmlUnknownSize
	} else if e.size > s.size-e.data {
		return e, fmt.Errorf("element 0x%X at byte %d declares %d bytes, the file holds %d: truncated?", e.id, off, e.size, s.size-e.data)
	}
	return e, nil
}

// ebmlVint reads a variable-length integer of at most maxLen bytes, marker
// bit included (an ID keeps it; a size masks it off). It returns its length,
// 0 when b does not start with one.
func ebmlVint(b []byte, maxLen int) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > maxLen || n > len(b) {
		return 0, 0
	}
	var v uint64
	for _, c := range b[:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// matroska reads Segment Info's Duration, in units of its TimestampScale
// (nanoseconds per unit, a million by default). Info normally precedes the
// clusters; when it does not, the SeekHead says where it is.
func (s *source) matroska() (float64, error) {
	header, err := s.ebmlAt(0)
	if err != nil || header.size == ebmlUnknownSize {
		return 0, errors.New("bad EBML header")
	}
	off := header.data + header.size
	var seg ebmlElement
	for i := 0; ; i++ {
		if seg, err = s.ebmlAt(off); err != nil {
			return 0, err
		}
		if seg.id == ebmlSegment {
			break
		}
		if seg.id != ebmlVoid || seg.size == ebmlUnknownSize || i == 8 {
			return 0, fmt.Errorf("expected a Segment at byte %d", off)
		}
		off = seg.data + seg.size
	}
	end := s.size
	if seg.size != ebmlUnknownSize {
		end = seg.data + seg.size
	}
	infoAt := int64(-1)
	for i, off := 0, seg.data; infoAt < 0 && off < end; i++ {
		if i == maxChunks {
			return 0, errors.New("too many elements before Segment Info")
		}
		e, err := s.ebmlAt(off)
		if err != nil {
			return 0, err
		}
		switch {
		case e.id == ebmlInfo:
			infoAt = off
		case e.id == ebmlSeekHead && e.size != ebmlUnknownSize:
			if at, ok := s.seekHeadInfo(e); ok {
				if at = seg.data + at; at > off && at < end {
					infoAt = at
				}
			}
		}
		if e.id == ebmlCluster || e.size == ebmlUnknownSize {
			break
		}
		off = e.data + e.size
	}
	if infoAt < 0 {
		return 0, errors.New("no Segment Info before the clusters")
	}
	scale, duration, ok, err := s.matroskaInfo(infoAt)
	if err != nil || ok {
		return duration * float64(scale) / 1e9, err
	}
	// A recording written live or to a pipe (a browser's MediaRecorder
	// writes WebM this way) has no Duration: its last block says where it
	// ends.
	last, err := s.matroskaLastBlock(seg.data, end)
	if err != nil {
		return 0, fmt.Errorf("no Duration in Segment Info, and %w", err)
	}
	return float64(last) * float64(scale) / 1e9, nil
}

// seekHeadInfo returns the position of Info (from the Segment's data) that a
// SeekHead lists.
func (s *source) seekHeadInfo(head ebmlElement) (int64, bool) {
	if head.size > 4<<10 {
		return 0, false // a SeekHead lists a handful of elements
	}
	b, err := s.at(head.data, int(head.size))
	if err != nil {
		return 0, false
	}
	var found bool
	var pos int64
	walkEBML(b, func(id uint32, data []byte) {
		if id != ebmlSeek {
			return
		}
		var isInfo, havePos bool
		var p uint64
		walkEBML(data, func(id uint32, v []byte) {
			switch id {
			case ebmlSeekID:
				isInfo = len(v) == 4 && binary.BigEndian.Uint32(v) == ebmlInfo
			case ebmlSeekPosition:
				p, havePos = ebmlUint(v)
			}
		})
		if isInfo && havePos && !found && p < math.MaxInt32 {
			pos, found = int64(p), true
		}
	})
	return pos, found
}

// matroskaInfo reads TimestampScale and Duration from the Info at off, and
// whether there is a Duration.
func (s *source) matroskaInfo(off int64) (uint64, float64, bool, error) {
	info, err := s.ebmlAt(off)
	if err != nil || info.id != ebmlInfo || info.size == ebmlUnknownSize || info.size > matroskaMaxInfoSize {
		return 0, 0, false, errors.New("bad Segment Info")
	}
	b, err := s.at(info.data, int(info.size))
	if err != nil {
		return 0, 0, false, err
	}
	scale, duration, found := uint64(1_000_000), 0.0, false
	walkEBML(b, func(id uint32, v []byte) {
		switch id {
		case ebmlTimestampScale:
			if u, ok := ebmlUint(v); ok {
				scale = u
			}
		case ebmlDuration:
			switch len(v) {
			case 4:
				duration, found = float64(math.Float32frombits(binary.BigEndian.Uint32(v))), true
			case 8:
				duration, found = math.Float64frombits(binary.BigEndian.Uint64(v)), true
			}
		}
	})
	switch {
	case math.IsNaN(duration) || duration < 0:
		return 0, 0, false, fmt.Errorf("Duration %v", duration)
	case scale == 0 || scale > 1e12:
		return 0, 0, false, fmt.Errorf("TimestampScale %d", scale)
	}
	return scale, duration, found, nil
}

// matroskaTail is how much of the end of a Matroska file is searched for its
// last cluster: clusters of audio are a few seconds, tens of kilobytes.
const matroskaTail = 128 << 10

// matroskaLastBlock returns the timestamp (in TimestampScale units) at which
// the last block of the last cluster in the file's tail ends, as far as the
// blocks say (a block without a BlockDuration is counted at its start).
func (s *source) matroskaLastBlock(segData, end int64) (int64, error) {
	from := max(segData, end-matroskaTail)
	b, err := s.at(from, int(end-from))
	if err != nil {
		return 0, err
	}
	tries := 0
	for i := len(b) - 4; i >= 0 && tries < 64; i-- {
		if binary.BigEndian.Uint32(b[i:]) != ebmlCluster {
			continue
		}
		tries++
		size, n := ebmlVint(b[i+4:], 8)
		if n == 0 {
			continue
		}
		body := b[i+4+n:]
		if size &= 1<<(7*n) - 1; size != 1<<(7*n)-1 && size < uint64(len(body)) {
			body = body[:size]
		}
		if last, ok := clusterEnd(body); ok {
			return last, nil
		}
	}
	return 0, errors.New("no cluster with a timestamp and blocks in the file's tail")
}

// clusterEnd returns when the last block of a cluster ends. The cluster's
// Timestamp must come first, as muxers write it: a lookalike of the cluster
// ID inside media data is not mistaken for one.
func clusterEnd(cluster []byte) (int64, bool) {
	var (
		base   uint64
		last   int64
		blocks int
		first  = true
		bad    bool
	)
	blockEnd := func(block []byte, duration uint64) {
		_, n := ebmlVint(block, 8) // the track number
		if n == 0 || len(block) < n+2 {
			return
		}
		at := int64(base) + int64(int16(binary.BigEndian.Uint16(block[n:]))) + int64(duration)
		last, blocks = max(last, at), blocks+1
	}
	walkEBML(cluster, func(id uint32, v []byte) {
		if first && id != ebmlTimestamp {
			bad = true
		}
		first = false
		switch id {
		case ebmlTimestamp:
			u, ok := ebmlUint(v)
			base, bad = u, bad || !ok || u > math.MaxInt32*1000
		case ebmlSimpleBlock:
			blockEnd(v, 0)
		case ebmlBlockGroup:
			var block []byte
			var duration uint64
			walkEBML(v, func(id uint32, v []byte) {
				switch id {
				case ebmlBlock:
					block = v
				case ebmlBlockDuration:
					duration, _ = ebmlUint(v)
					duration = min(duration, math.MaxInt32)
				}
			})
			if block != nil {
				blockEnd(block, duration)
			}
		}
	})
	return last, !bad && blocks > 0
}

// walkEBML calls fn with each child element of known size in b.
func walkEBML(b []byte, fn func(id uint32, data []byte)) {
	for len(b) > 0 {
		id, n := ebmlVint(b, 4)
		if n == 0 {
			return
		}
		size, m := ebmlVint(b[n:], 8)
		if m == 0 {
			return
		}
		size &= 1<<(7*m) - 1
		if size > uint64(len(b)-n-m) {
			return
		}
		fn(uint32(id), b[n+m:n+m+int(size)])
		b = b[n+m+int(size):]
	}
}

// ebmlUint decodes an unsigned integer element of up to 8 bytes.
func ebmlUint(v []byte) (uint64, bool) {
	if len(v) > 8 {
		return 0, false
	}
	var u uint64
	for _, c := range v {
		u = u<<8 | uint64(c)
	}
	return u, true
}
