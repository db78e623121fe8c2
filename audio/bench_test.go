package audio_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fwbatch/fwbatch/audio"
)

// mixedFolder writes 1,000 audio files of mixed formats into a temporary
// folder: copies of every fixture, and long recordings (a 1 GB WAV and a
// 500 MB MOV, both sparse; MP3 and ADTS streams of tens of megabytes, which
// are sampled rather than walked) linked many times over.
func mixedFolder(tb testing.TB) []string {
	tb.Helper()
	dir := tb.TempDir()
	var paths []string
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	repeat := func(b []byte, n int) []byte {
		out := make([]byte, 0, len(b)*n)
		for range n {
			out = append(out, b...)
		}
		return out
	}
	var large []string
	large = append(large,
		write("long-cbr.mp3", repeat(frameRun(tb, "speech-cbr.mp3"), 1000)),
		write("long-vbr.mp3", repeat(frameRun(tb, "speech-vbr.mp3"), 500)),
		write("long.aac", repeat(frameRun(tb, "speech.aac"), 1000)))

	wav := write("long.wav", fixture(tb, "speech-extensible.wav")[:68]) // header up to the data size
	f, err := os.OpenFile(wav, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var size [4]byte
	binary.LittleEndian.PutUint32(size[:], 1_000_000_000)
	if _, err := f.WriteAt(size[:], 64); err != nil {
		tb.Fatal(err)
	}
	if err := f.Truncate(68 + 1_000_000_000); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	large = append(large, wav)

	mov := fixture(tb, "speech.mov")
	mdatAt, moovAt := boxOffset(tb, mov, "mdat"), boxOffset(tb, mov, "moov")
	head := append([]byte(nil), mov[:mdatAt]...)
	head = binary.BigEndian.AppendUint32(head, 1)
	head = append(head, "mdat"...)
	head = binary.BigEndian.AppendUint64(head, 16+500<<20)
	p := write("long.mov", head)
	if f, err = os.OpenFile(p, os.O_WRONLY, 0); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteAt(mov[moovAt:], int64(len(head))+500<<20); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	large = append(large, p)

	for i := range 16 {
		for _, l := range large {
			link := filepath.Join(dir, fmt.Sprintf("%d-%s", i, filepath.Base(l)))
			if err := os.Link(l, link); err != nil {
				tb.Fatal(err)
			}
			paths = append(paths, link)
		}
	}
	for i := 0; len(paths) < 1000; i++ {
		fx := fixtures[i%len(fixtures)]
		paths = append(paths, write(fmt.Sprintf("%d-%s", i, fx.name), fixture(tb, fx.name)))
	}
	return paths
}

// boxOffset returns where the top-level box typ starts in an MP4 file.
func boxOffset(tb testing.TB, b []byte, typ string) int {
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if string(b[off+4:off+8]) == typ {
			return off
		}
		if size < 8 {
			break
		}
		off += size
	}
	tb.Fatalf("no %s box", typ)
	return 0
}

// Every file of the benchmark's folder is measured, reading no more than
// MaxRead bytes of it (probe fails the test otherwise).
func TestMixedFolderWithinBudget(t *testing.T) {
	for _, p := range mixedFolder(t) {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		info, err := probe(t, f, st.Size())
		f.Close()
		if err != nil || !info.Length.IsKnown() {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}

// BenchmarkProbeFiles measures 1,000 files of mixed formats with ProbeFile,
// as a folder listing would, once the page cache is warm. One op is the
// whole folder (ns/op is per 1,000 files). It also reports the most and the mean bytes read per file.
func BenchmarkProbeFiles(b *testing.B) {
	paths := mixedFolder(b)
	var most, total int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := f.Stat()
		c := &countingReader{r: f, size: st.Size()}
		if _, err := audio.Probe(context.Background(), c, st.Size()); err != nil {
			b.Fatalf("%s: %v", p, err)
		}
		f.Close()
		most, total = max(most, c.read), total+c.read
	}
	ctx := context.Background()
	for b.Loop() {
		for _, p := range paths {
			if _, err := audio.ProbeFile(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(most), "max-bytes/file")
	b.ReportMetric(float64(total)/float64(len(paths)), "mean-bytes/file")
}
