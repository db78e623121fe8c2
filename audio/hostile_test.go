package audio_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

// probeHostile probes b and checks what must hold for any input: no panic
// (the test would die), no more than MaxRead bytes read, and no large
// allocation, whatever sizes the headers declare.
func probeHostile(t *testing.T, b []byte) (audio.Info, error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := probeBytes(t, b)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
	return info, err
}

// A cut file never reports the length it would have had: either unknown, or
// no more than what is left of it plays.
func TestTruncatedFiles(t *testing.T) {
	for _, fx := range fixtures {
		b := fixture(t, fx.name)
		for _, cut := range []int{0, 1, 4, 11, 12, 40, 44, 100, 600, len(b) / 4, len(b) / 2, len(b) * 3 / 4, len(b) - 1} {
			info, err := probeHostile(t, b[:cut])
			got, known := info.Length.Duration()
			if known != (err == nil) {
				t.Errorf("%s cut at %d: known %v but error %v", fx.name, cut, known, err)
			}
			// Bit rates vary along a recording, so what is left of it may
			// play a little longer than its share of the bytes.
			limit := time.Duration(float64(fx.want)*float64(cut)/float64(len(b))) + 600*time.Millisecond
			if known && got > limit {
				t.Errorf("%s cut at %d of %d bytes: length %v, more than %v", fx.name, cut, len(b), got, limit)
			}
		}
	}
}

// patch returns a copy of b with v written at the offset of the n-th byte
// after the first occurrence of marker.
func patch(t *testing.T, b []byte, marker string, after int, v []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		t.Fatalf("no %q", marker)
	}
	c := bytes.Clone(b)
	copy(c[i+after:], v)
	return c
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Hostile and broken headers give an unknown length, never a made-up one.
func TestHostileHeadersUnknown(t *testing.T) {
	wav := fixture(t, "speech.wav")
	aiff := fixture(t, "speech.aiff")
	flac := fixture(t, "speech.flac")
	mp3 := fixture(t, "speech-cbr-info.mp3")
	cbr := fixture(t, "speech-cbr.mp3")
	opus := fixture(t, "speech.opus")
	ogg := fixture(t, "speech.ogg")
	m4a := fixture(t, "speech.m4a")
	mov := fixture(t, "speech.mov")
	mkv := fixture(t, "speech.mkv")
	aac := fixture(t, "speech.aac")
	wma := fixture(t, "speech.wma")
	rf64 := fixture(t, "speech-rf64.wav")

	manyChunks := append([]byte(nil), wav[:12]...)
	for range 100_000 {
		manyChunks = append(manyChunks, "junk\x00\x00\x00\x00"...)
	}
	manyChunks = append(manyChunks, wav[12:]...)

	oggGranule := func(b []byte, g uint64) []byte {
		c := bytes.Clone(b)
		page := c[bytes.LastIndex(c, []byte("OggS")):]
		copy(page[6:], binary.LittleEndian.AppendUint64(nil, g))
		copy(page[22:], le32(oggCRC(page)))
		return c
	}
	mkvDuration := func(v []byte) []byte { return patch(t, mkv, "\x44\x89\x88", 3, v) }

	cases := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0xFF}},
		{"random 100 KiB", garbage(100 << 10)},
		{"0xFF filled", bytes.Repeat([]byte{0xFF}, 64<<10)},
		{"wav data size 0 with data after", patch(t, wav, "data", 4, le32(0))},
		{"wav data size huge", patch(t, wav, "data", 4, le32(0x7FFFFFF0))},
		{"wav rate 0", patch(t, wav, "fmt ", 12, le32(0))},
		{"wav rate 1", patch(t, wav, "fmt ", 12, le32(1))},
		{"wav rate 4 GHz", patch(t, wav, "fmt ", 12, le32(0xFFFFFFFF))},
		{"wav 0 channels", patch(t, wav, "fmt ", 10, []byte{0, 0})},
		{"wav 100,000 chunks", manyChunks},
		{"wav no data chunk", wav[:36]},
		{"wav garbage after fmt", append(bytes.Clone(wav[:36]), garbage(20000)...)},
		{"rf64 ds64 data size huge", patch(t, rf64, "ds64", 16, le64(1<<62))},
		{"aiff rate 0", patch(t, aiff, "COMM", 16, make([]byte, 10))},
		{"aiff rate infinite", patch(t, aiff, "COMM", 16, []byte{0x7F, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0})},
		{"aiff rate huge", patch(t, aiff, "COMM", 16, []byte{0x43, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0})},
		{"aiff frames huge", patch(t, aiff, "COMM", 10, be32(0xFFFFFFFF))},
		{"aiff frames 0 with data", patch(t, aiff, "COMM", 10, be32(0))},
		{"flac total samples huge", patch(t, flac, "fLaC", 8+13, []byte{0x0F, 0xFF, 0xFF, 0xFF, 0xFF})},
		{"flac total samples doubled", patch(t, flac, "fLaC", 8+14, be32(2*24000))},
		{"flac rate 0", patch(t, flac, "fLaC", 8+10, []byte{0, 0, 0x00})},
		{"flac garbage after STREAMINFO", append(bytes.Clone(flac[:8+34+200]), garbage(30000)...)},
		{"mp3 Xing frame count huge", patch(t, mp3, "Info", 8, be32(0xFFFFFFF0))},
		{"mp3 Xing byte count past the end", patch(t, mp3, "Info", 12, be32(1<<30))},
		{"mp3 Xing frame count 1", patch(t, mp3, "Info", 8, be32(1))},
		{"ID3v2 tag past the end", append([]byte("ID3\x04\x00\x00\x7f\x7f\x7f\x7f"), cbr...)},
		{"mp3 first frames then garbage", append(bytes.Clone(cbr[:1000]), garbage(50000)...)},
		{"mp3 Xing then garbage", append(bytes.Clone(mp3[:2000]), garbage(50000)...)},
		{"ogg granule huge", oggGranule(ogg, 1<<62)},
		{"ogg granule -2", oggGranule(ogg, math.MaxUint64-1)},
		{"opus first page then garbage", append(bytes.Clone(opus[:bytes.Index(opus[4:], []byte("OggS"))+4]), garbage(20000)...)},
		{"m4a mdhd/tkhd durations huge", patch(t, patch(t, m4a, "tkhd", 24, be32(0xFFFFFFF0)), "mdhd", 20, be32(0xFFFFFFF0))},
		{"m4a mdat past the end", patch(t, m4a, "mdat", -4, be32(0x7FFFFFFF))},
		{"m4a moov box of size 4", patch(t, m4a, "moov", -4, be32(4))},
		{"m4a 64-bit moov size 0", patch(t, m4a, "moov", -4, append(be32(1), append([]byte("moov"), be64(0)...)...))},
		{"mov ftyp then garbage", append(bytes.Clone(mov[:32]), garbage(20000)...)},
		{"mkv Duration NaN", mkvDuration(be64(math.Float64bits(math.NaN())))},
		{"mkv Duration huge", mkvDuration(be64(math.Float64bits(1e30)))},
		{"mkv Duration negative", mkvDuration(be64(math.Float64bits(-3000)))},
		{"mkv Segment past the end", patch(t, mkv, "\x18\x53\x80\x67", 4, []byte{0x01, 0, 0, 0, 0x7F, 0, 0, 0})},
		{"mkv EBML header then garbage", append(bytes.Clone(mkv[:40]), garbage(20000)...)},
		{"adts first frames then garbage", append(bytes.Clone(aac[:600]), garbage(50000)...)},
		{"wma play duration huge", patch(t, wma, "\xa1\xdc\xab\x8c", 24+40, le64(1<<62))},
		{"wma header size past the end", patch(t, wma, "\x30\x26\xb2\x75", 16, le64(1<<40))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := probeHostile(t, tc.b)
			if info.Length.IsKnown() || err == nil {
				d, _ := info.Length.Duration()
				t.Errorf("length %v, err %v: want unknown", d, err)
			}
		})
	}
}

// A Matroska SeekHead that sends the reader back to itself, or to a
// Cluster, ends with an unknown length, quickly.
func TestSeekHeadLoopsEnd(t *testing.T) {
	build := func(position byte) []byte {
		seek := []byte{0x4D, 0xBB, 0x8B, 0x53, 0xAB, 0x84, 0x15, 0x49, 0xA9, 0x66, 0x53, 0xAC, 0x81, position}
		head := append([]byte{0x11, 0x4D, 0x9B, 0x74, 0x80 | byte(len(seek))}, seek...)
		segment := append(head, 0x1F, 0x43, 0xB6, 0x75, 0x80) // an empty Cluster
		b := []byte{0x1A, 0x45, 0xDF, 0xA3, 0x80, 0x18, 0x53, 0x80, 0x67, 0x80 | byte(len(segment))}
		return append(b, segment...)
	}
	for _, tc := range []struct {
		name     string
		position byte
	}{{"at itself", 0}, {"at the Cluster", 19}, {"past the end", 100}} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				if info, err := probeHostile(t, build(tc.position)); err == nil {
					t.Errorf("length %v", info.Length)
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Probe did not return")
			}
		})
	}
}

// oggCRC is the Ogg page checksum (CRC-32, polynomial 0x04C11DB7, not
// reflected, over the page with its CRC field as zeros), written out here so
// the test does not trust the code it checks.
func oggCRC(page []byte) uint32 {
	var crc uint32
	for i, c := range page {
		if i >= 22 && i < 26 {
			c = 0
		}
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// A page that looks like the stream's last but fails its CRC (junk after the
// end, or a forged page) is not believed.
func TestOggForgedLastPage(t *testing.T) {
	for _, name := range []string{"speech.ogg", "speech.opus"} {
		b := fixture(t, name)
		last := b[bytes.LastIndex(b, []byte("OggS")):]
		forged := bytes.Clone(last)
		copy(forged[6:], le64(3600*48000)) // an hour, CRC left as it was
		info, err := probeHostile(t, append(bytes.Clone(b), forged...))
		if got, _ := info.Length.Duration(); err != nil || !within(got, speechLength) {
			t.Errorf("%s with a forged last page: %v, %v; want %v", name, got, err, speechLength)
		}
	}
}
