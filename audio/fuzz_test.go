package audio_test

import (
	"testing"
	"time"
)

// Fuzz targets, one per family of readers, each seeded with its fixtures.
// Whatever the bytes: no panic, no more than MaxRead read, an error exactly
// when the length is unknown, and no length a file of that size cannot hold.
// Each input is also probed as the start of a 1 TiB file of zeros, to reach
// the paths for huge declared and real sizes.

func fuzzProbe(f *testing.F, seeds ...string) {
	for _, name := range seeds {
		b := fixture(f, name)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(r *virtualFile) {
			info, err := probe(t, r, r.size)
			d, known := info.Length.Duration()
			if known != (err == nil) {
				t.Errorf("known %v, error %v", known, err)
			}
			if known && (d < 0 || d.Seconds() > float64(r.size)) {
				t.Errorf("length %v for %d bytes", d, r.size)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			check(new(virtualFile).add(b, 1))
			check(new(virtualFile).add(b, 1).zeros(1<<40 - int64(len(b))))
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second): // a probe takes microseconds
			t.Fatalf("Probe did not return within 5 s")
		}
	})
}

func FuzzWAV(f *testing.F) {
	fuzzProbe(f, "speech.wav", "speech-extensible.wav", "speech-rf64.wav", "hello.wav")
}
func FuzzAIFF(f *testing.F) { fuzzProbe(f, "speech.aiff") }
func FuzzFLAC(f *testing.F) { fuzzProbe(f, "speech.flac", "hello.flac") }
func FuzzMPEG(f *testing.F) {
	fuzzProbe(f, "speech-cbr-info.mp3", "speech-vbr-xing.mp3", "speech-cbr-id3.mp3", "hello.mp3", "speech.aac")
}
func FuzzOgg(f *testing.F)      { fuzzProbe(f, "speech.opus", "speech.ogg", "hello.ogg") }
func FuzzMP4(f *testing.F)      { fuzzProbe(f, "speech.m4a", "speech.mov", "speech.mp4", "speech-frag.mp4") }
func FuzzMatroska(f *testing.F) { fuzzProbe(f, "speech.webm", "speech.mkv", "speech-live.webm") }
func FuzzASF(f *testing.F)      { fuzzProbe(f, "speech.wma") }
