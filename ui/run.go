package ui

import (
	"context"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Program is a running UI: the Bubble Tea program and the uploads it started,
// which may outlive it (a dropped SSH link ends the screen, not the uploads).
type Program struct {
	*tea.Program
	model *Model
}

// NewProgram wires a Model into a Bubble Tea program reading in and drawing
// to out. Signals are left to the caller (cli), which decides what SIGHUP,
// SIGINT and SIGTERM do to running uploads.
func NewProgram(ctx context.Context, deps Deps, opts Options, in io.Reader, out io.Writer, extra ...tea.ProgramOption) *Program {
	m := New(deps, opts)
	po := []tea.ProgramOption{
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithoutSignalHandler(),
		// The renderer wakes up this often whether or not anything
		// changed: 30 a second keeps typing and progress smooth, and
		// halves what an idle screen costs (BenchmarkIdleProgram).
		tea.WithFPS(30),
	}
	if opts.NoColor && !opts.Plain {
		// TERM=dumb already gets no styling at all from Bubble Tea.
		po = append(po, tea.WithColorProfile(colorprofile.ASCII))
	}
	po = append(po, extra...)
	return &Program{Program: tea.NewProgram(m, po...), model: m}
}

// Uploading reports whether uploads are still running. Safe from any goroutine.
func (p *Program) Uploading() bool { return p.model.uploads.active.Load() > 0 }

// WaitUploads blocks until every upload started by the UI has recorded its
// outcome in the history.
func (p *Program) WaitUploads() { p.model.uploads.Wait() }

// CancelUploads cancels running uploads; each records "interrupted".
// Safe from any goroutine.
func (p *Program) CancelUploads() { p.model.uploads.cancelAll() }

// interruptMsg: SIGINT or SIGTERM. Uploads are cancelled (and recorded as
// interrupted), then the program quits.
type interruptMsg struct{}

// InterruptedUploads reports whether the user stopped uploads that were
// running (quitting or cancelling them): the process should exit 1, as
// fwbatch submit does. Safe from any goroutine.
func (p *Program) InterruptedUploads() bool { return p.model.uploads.interrupted.Load() }

// Interrupt asks the program to cancel uploads and quit. Safe from any goroutine.
func (p *Program) Interrupt() { p.Send(interruptMsg{}) }
