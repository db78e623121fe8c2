package audio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

// The fixtures were encoded by ffmpeg (sox for hello.*) from sources of known
// length: testdata/audio/README.md says how.
const (
	speechLength = 3 * time.Second            // speech-*: 132,300 samples at 44.1 kHz
	helloLength  = 13638 * time.Second / 8000 // hello.*: hello.wav's 13,638 samples at 8 kHz
)

var fixtures = []struct {
	name   string
	format audio.Format
	want   time.Duration
}{
	{"speech.wav", audio.WAV, speechLength},
	{"speech-extensible.wav", audio.WAV, speechLength},
	{"speech-rf64.wav", audio.WAV, speechLength},
	{"speech.aiff", audio.AIFF, speechLength},
	{"speech.flac", audio.FLAC, speechLength},
	{"speech-cbr-info.mp3", audio.MP3, speechLength},
	{"speech-vbr-xing.mp3", audio.MP3, speechLength},
	{"speech-cbr.mp3", audio.MP3, speechLength},
	{"speech-cbr-id3.mp3", audio.MP3, speechLength},
	{"speech-vbr.mp3", audio.MP3, speechLength},
	{"speech.opus", audio.Opus, speechLength},
	{"speech.ogg", audio.Vorbis, speechLength},
	{"speech.m4a", audio.MP4, speechLength},
	{"speech.mov", audio.MP4, speechLength},
	{"speech.mp4", audio.MP4, speechLength}, // 3.5 s of video: the sound track counts
	{"speech-frag.mp4", audio.MP4, speechLength},
	{"speech.webm", audio.Matroska, speechLength},
	{"speech-live.webm", audio.Matroska, speechLength}, // no Duration: measured by its last block
	{"speech.mkv", audio.Matroska, speechLength},
	{"speech.aac", audio.ADTS, speechLength},
	{"speech-8k.aac", audio.ADTS, speechLength},
	{"speech.wma", audio.ASF, speechLength},
	{"hello.wav", audio.WAV, helloLength},
	{"hello.flac", audio.FLAC, helloLength},
	{"hello.mp3", audio.MP3, helloLength}, // 8 kHz: one frame is 72 ms
	{"hello.ogg", audio.Vorbis, helloLength},
}

func TestFixturesAccurate(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			info, err := probeBytes(t, fixture(t, fx.name))
			if err != nil {
				t.Fatal(err)
			}
			got, known := info.Length.Duration()
			if !known || !within(got, fx.want) {
				t.Errorf("length %v (known %v), want %v ± max(0.5%%, 0.1 s)", got, known, fx.want)
			}
			if info.Format != fx.format {
				t.Errorf("format %q, want %q", info.Format, fx.format)
			}
			if info.Estimated {
				t.Error("a file small enough to walk was estimated")
			}
		})
	}
}

func TestProbeFile(t *testing.T) {
	info, err := audio.ProbeFile(context.Background(), filepath.Join("..", "testdata", "audio", "speech.flac"))
	if d, ok := info.Length.Duration(); err != nil || !ok || d != speechLength {
		t.Errorf("ProbeFile(speech.flac) = %v, %v, %v", d, ok, err)
	}
	_, err = audio.ProbeFile(context.Background(), filepath.Join("..", "testdata", "audio", "not-audio.txt"))
	if !errors.Is(err, audio.ErrNotRecognised) {
		t.Errorf("not-audio.txt: %v, want ErrNotRecognised", err)
	}
	_, err = audio.ProbeFile(context.Background(), filepath.Join(t.TempDir(), "missing.wav"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	_, err = audio.ProbeFile(context.Background(), t.TempDir())
	if err == nil {
		t.Error("a folder was measured")
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := fixture(t, "speech.wav")
	if _, err := audio.Probe(ctx, &countingReader{r: bytes.NewReader(b), size: int64(len(b))}, int64(len(b))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled probe: %v", err)
	}
}

// frameRun returns the frames of an MP3 or ADTS fixture without its tags,
// for building long streams out of them.
func frameRun(t testing.TB, name string) []byte {
	t.Helper()
	b := fixture(t, name)
	if string(b[:3]) == "ID3" {
		b = b[10+int(b[6])<<21|int(b[7])<<14|int(b[8])<<7|int(b[9]):]
	}
	for len(b) > 0 && b[0] != 0xFF {
		b = b[1:]
	}
	return b
}

// Large files are measured within the budget: only headers are read, and
// tags, media data or cover art on the way are jumped over.
func TestLargeFilesWithinBudget(t *testing.T) {
	cbr := frameRun(t, "speech-cbr.mp3") // 32 kbit/s at 44.1 kHz, 3.03 s of frames
	cbrSecs := float64(len(cbr)) * 8 / 32000
	const copies = 2000 // 100 minutes, 24 MB

	wavHeader := func(dataSize uint32) []byte {
		h := make([]byte, 44)
		copy(h, "RIFF")
		binary.LittleEndian.PutUint32(h[4:], dataSize+36)
		copy(h[8:], "WAVEfmt ")
		binary.LittleEndian.PutUint32(h[16:], 16)
		binary.LittleEndian.PutUint16(h[20:], 1)      // PCM
		binary.LittleEndian.PutUint16(h[22:], 2)      // stereo
		binary.LittleEndian.PutUint32(h[24:], 48000)  // Hz
		binary.LittleEndian.PutUint32(h[28:], 192000) // bytes/s
		binary.LittleEndian.PutUint16(h[32:], 4)      // block
		binary.LittleEndian.PutUint16(h[34:], 16)     // bits
		copy(h[36:], "data")
		binary.LittleEndian.PutUint32(h[40:], dataSize)
		return h
	}
	id3 := []byte("ID3\x03\x00\x00\x00\x7f\x7f\x7f") // 2 MiB of tag (cover art)

	mov := fixture(t, "speech.mov") // ftyp, free, mdat, moov
	mdatAt, moovAt := boxOffset(t, mov, "mdat"), boxOffset(t, mov, "moov")
	bigMdat := make([]byte, 16)
	binary.BigEndian.PutUint32(bigMdat, 1)
	copy(bigMdat[4:], "mdat")
	binary.BigEndian.PutUint64(bigMdat[8:], 16+500<<20)

	for _, tc := range []struct {
		name string
		file *virtualFile
		want time.Duration
	}{
		{"wav 1 GB", new(virtualFile).add(wavHeader(1_000_000_000), 1).zeros(1_000_000_000), 5208333 * time.Millisecond},
		{"mp3 cbr 100 min", new(virtualFile).add(cbr, copies), secs(cbrSecs*copies - 1105.0/44100)},
		{"mp3 after 2 MiB of ID3v2", new(virtualFile).add(id3, 1).zeros(2<<20-1).add(fixture(t, "speech-cbr-info.mp3"), 1), speechLength},
		{"mov with 500 MiB of media before its index", new(virtualFile).add(mov[:mdatAt], 1).add(bigMdat, 1).zeros(500<<20).add(mov[moovAt:], 1), speechLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := probe(t, tc.file, tc.file.size)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := info.Length.Duration(); !within(got, tc.want) {
				t.Errorf("length %v, want %v", got, tc.want)
			}
		})
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Streams without an index and too large to walk are measured from frames
// sampled across the file: an estimate, and said to be one, unless the bit
// rate is constant.
func TestSampledStreams(t *testing.T) {
	for _, tc := range []struct {
		name      string
		frames    []byte
		samples   int // per frame
		rate      int
		delay     int
		estimated bool
	}{
		{"mp3 vbr without a header", frameRun(t, "speech-vbr.mp3"), 1152, 44100, 1105, true},
		{"adts", frameRun(t, "speech.aac"), 1024, 44100, 1024, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const copies = 1000
			n := countFrames(t, tc.frames)
			want := secs(float64(n*tc.samples*copies-tc.delay) / float64(tc.rate))
			f := new(virtualFile).add(tc.frames, copies)
			info, err := probe(t, f, f.size)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := info.Length.Duration()
			// Repeating one short recording makes a stream whose bit rate
			// varies little over minutes: a sample of it is close.
			if diff := float64(got-want) / float64(want); diff < -0.02 || diff > 0.02 {
				t.Errorf("length %v, want %v ± 2%%", got, want)
			}
			if info.Estimated != tc.estimated {
				t.Errorf("Estimated = %v", info.Estimated)
			}
		})
	}
}

// A recording with a long digital silence near its start: AAC encodes it in
// frames of a few bytes, so 44 s of it hide in 20 KiB that sampled windows
// would almost never hit. The head of a stream is read anyway and must be
// counted frame by frame, not sampled.
func TestSampledStreamSilenceInTheHead(t *testing.T) {
	speech := frameRun(t, "speech.aac")
	silent := silentADTS(speech)
	const silences, copies = 1900, 300 // 44 s of silence, 15 min of speech
	n := silences + countFrames(t, speech)*(1+copies)
	want := secs(float64(n*1024-1024) / 44100)
	f := new(virtualFile).add(speech, 1).add(silent, silences).add(speech, copies)
	info, err := probe(t, f, f.size)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := info.Length.Duration()
	if diff := float64(got-want) / float64(want); diff < -0.02 || diff > 0.02 {
		t.Errorf("length %v, want %v ± 2%%", got, want)
	}
}

// silentADTS returns a frame of digital silence as AAC encodes it: a few
// bytes after the header of the stream's first frame.
func silentADTS(stream []byte) []byte {
	silent := make([]byte, 11) // an ADTS header and 4 bytes
	copy(silent, stream[:7])
	silent[3] = silent[3]&^3 | byte(len(silent)>>11)
	silent[4] = byte(len(silent) >> 3)
	silent[5] = silent[5]&0x1F | byte(len(silent)<<5)
	return silent
}

// Speech with pauses of digital silence: a pause of 8 s takes 4 KiB, a
// fifth of the 6 s of speech between two, so the windows that land in one
// count seven times the frames of the others. Too uncertain to be a number.
func TestSampledStreamTooUncertainIsUnknown(t *testing.T) {
	speech := frameRun(t, "speech.aac")
	silent := silentADTS(speech)
	f := new(virtualFile)
	for range 400 {
		f.add(speech, 2).add(silent, 372)
	}
	info, err := probe(t, f, f.size)
	if err == nil || info.Length.IsKnown() {
		t.Fatalf("length %v, error %v: want unknown", info.Length, err)
	}
	if !strings.Contains(err.Error(), "vary too much") {
		t.Errorf("error %q does not say why", err)
	}
}

// countFrames walks MPEG or ADTS frames by their headers' lengths.
func countFrames(t *testing.T, b []byte) int {
	n := 0
	for off := 0; off+7 <= len(b); n++ {
		h := b[off:]
		var size int
		if h[1]&0x06 == 0 { // ADTS
			size = int(h[3]&3)<<11 | int(h[4])<<3 | int(h[5])>>5
		} else {
			br := []int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}[h[2]>>4] * 1000
			size = 144*br/44100 + int(h[2]>>1&1)
		}
		off += size
	}
	return n
}

// No encoder this project can install writes VBRI (Fraunhofer's VBR header),
// so this test puts one in front of a VBR stream that has no header: the
// length must come from its frame count.
func TestVBRIHeader(t *testing.T) {
	frames := frameRun(t, "speech-vbr.mp3")
	n := countFrames(t, frames)
	vbri := func(count int) []byte {
		size := 144 * 128000 / 44100 // a 128 kbit/s frame: room for the header
		f := make([]byte, size)
		copy(f, []byte{0xFF, 0xFB, 0x90, 0xC4}) // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, mono
		v := f[36:]
		copy(v, "VBRI")
		binary.BigEndian.PutUint16(v[4:], 1)                         // version
		binary.BigEndian.PutUint32(v[10:], uint32(size+len(frames))) // bytes
		binary.BigEndian.PutUint32(v[14:], uint32(count))            // frames
		return append(f, frames...)
	}
	for _, tc := range []struct {
		count int
		want  time.Duration
	}{
		{n, speechLength},
		{2 * n, secs(float64(2*n*1152-1105) / 44100)}, // the header, not the frames, decides
	} {
		info, err := probeBytes(t, vbri(tc.count))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := info.Length.Duration(); !within(got, tc.want) || info.Estimated {
			t.Errorf("VBRI with %d frames: length %v (estimated %v), want %v", tc.count, got, info.Estimated, tc.want)
		}
	}
}

func TestProbeFiles(t *testing.T) {
	dir := t.TempDir()
	paths := []string{
		filepath.Join("..", "testdata", "audio", "speech.flac"),
		filepath.Join(dir, "missing.wav"),
		filepath.Join("..", "testdata", "audio", "not-audio.txt"),
		filepath.Join("..", "testdata", "audio", "hello.wav"),
	}
	for _, workers := range []int{0, 1, 3, 10} {
		got := audio.ProbeFiles(context.Background(), paths, workers)
		if len(got) != len(paths) {
			t.Fatalf("%d results for %d files", len(got), len(paths))
		}
		for i, want := range []time.Duration{3 * time.Second, -1, -1, 1705 * time.Millisecond} {
			d, ok := got[i].Info.Length.Duration()
			if want < 0 && (ok || got[i].Err == nil) || want >= 0 && (!ok || d.Round(time.Millisecond) != want) {
				t.Errorf("workers %d, %s: %v %v (%v), want %v", workers, filepath.Base(paths[i]), d, ok, got[i].Err, want)
			}
		}
	}
}

// Streams just too large to walk whole are sampled at windows that cover
// most of them: every size there is measured, none is unknown.
func TestSampledStreamsJustOverTheBudget(t *testing.T) {
	speech := frameRun(t, "speech.aac")
	n := countFrames(t, speech)
	for copies := int64(18); copies <= 30; copies++ {
		want := secs(float64(n*int(copies)*1024-1024) / 44100)
		f := new(virtualFile).add(speech, copies)
		info, err := probe(t, f, f.size)
		if err != nil {
			t.Errorf("%d bytes: %v", f.size, err)
			continue
		}
		got, _ := info.Length.Duration()
		if diff := float64(got-want) / float64(want); diff < -0.02 || diff > 0.02 {
			t.Errorf("%d bytes: length %v, want %v ± 2%%", f.size, got, want)
		}
	}
}
