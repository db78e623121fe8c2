package ui

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/fwbatch/fwbatch/internal/benchdata"
	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
)

// go test -run '^$' -bench FilesStates -benchtime 5x ./ui
//
// Files opened on a folder of 10,000 recordings with a history of 100,000
// submissions (benchdata: 7,000 of the files sent before, 2,000 of them
// from another folder), run as Bubble Tea runs it: Init's commands (the
// history's load, the folder's listing) in goroutines, their messages
// through Update, and the commands those return, until every file's state
// is known. Reported: the first frame (it must not wait: it shows the
// listing, or "reading the folder…"), the time until every state is
// shown, of which the history's read (History's cost, paid anyway), and
// the CPU time of the whole (every goroutine). warm: the
// fingerprint cache knows the moved files (every look after the first);
// cold: it is gone, and they are read.

var filesBench struct {
	once sync.Once
	fx   benchdata.Fixture
	err  error
}

func BenchmarkFilesStates10k(b *testing.B) {
	filesBench.once.Do(func() {
		dir, err := os.MkdirTemp("", "fwbatch-files-bench-")
		if err != nil {
			filesBench.err = err
			return
		}
		filesBench.fx, filesBench.err = benchdata.Make(dir)
	})
	if filesBench.err != nil {
		b.Fatal(filesBench.err)
	}
	fx := filesBench.fx
	st, err := store.Open(fx.History)
	if err != nil {
		b.Fatal(err)
	}
	deps := Deps{Store: st, StartDir: fx.Folder, PollFirst: time.Hour, PollMax: time.Hour, WatchEvery: time.Hour}
	open := func(b *testing.B) (first, read, all time.Duration) {
		t0 := time.Now()
		m := New(deps, Options{})
		run := newCmdRunner()
		defer run.stop()
		run.start(m.Init())
		m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		frame := ansi.Strip(m.View().Content)
		first = time.Since(t0)
		if !strings.Contains(frame, "Files") || len(m.files.states.by) > 0 {
			b.Fatalf("the first frame waited:\n%s", frame)
		}
		for !(m.files.states.done && m.files.states.known == benchdata.Files) {
			msg := run.next()
			if msg == nil {
				continue
			}
			if _, ok := msg.(historySnapshotMsg); ok {
				read = time.Since(t0)
			}
			_, cmd := m.Update(msg)
			run.start(cmd)
		}
		if v := ansi.Strip(m.View().Content); !strings.Contains(v, "✓ done") {
			b.Fatalf("no state on screen:\n%s", v)
		}
		done := 0
		for _, s := range m.files.states.by {
			if s.State == recording.StateDone {
				done++
			}
		}
		if done != benchdata.InPlace+benchdata.Moved {
			b.Fatalf("%d files done, want %d", done, benchdata.InPlace+benchdata.Moved)
		}
		return first, read, time.Since(t0)
	}
	for _, warm := range []bool{true, false} {
		name := "cold"
		if warm {
			name = "warm"
			open(b) // fills the cache
		}
		b.Run(name, func(b *testing.B) {
			var first, read, all, cpu time.Duration
			for b.Loop() {
				if !warm {
					b.StopTimer()
					os.Remove(recording.CachePath(fx.History))
					b.StartTimer()
				}
				c0 := cpuTime()
				f, r, a := open(b)
				cpu += cpuTime() - c0
				first, read, all = first+f, read+r, all+a
			}
			n := float64(b.N) * 1e6
			b.ReportMetric(float64(first)/n, "first-frame-ms")
			b.ReportMetric(float64(all)/n, "every-state-ms")
			b.ReportMetric(float64(read)/n, "history-read-ms")
			b.ReportMetric(float64(cpu)/n, "cpu-ms/op")
		})
	}
}

// cmdRunner runs commands as Bubble Tea does, each in a goroutine, and
// hands their messages back one at a time; batches are unpacked. Timers
// that never fire in a benchmark's time are left behind when it stops.
type cmdRunner struct {
	msgs chan tea.Msg
	done chan struct{}
}

func newCmdRunner() *cmdRunner {
	return &cmdRunner{msgs: make(chan tea.Msg, 64), done: make(chan struct{})}
}

func (r *cmdRunner) start(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if cmds, ok := commands(msg); ok {
			for _, c := range cmds {
				r.start(c)
			}
			return
		}
		select {
		case r.msgs <- msg:
		case <-r.done:
		}
	}()
}

func (r *cmdRunner) next() tea.Msg { return <-r.msgs }

func (r *cmdRunner) stop() { close(r.done) }
