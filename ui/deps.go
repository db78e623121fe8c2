package ui

import (
	"context"
	"time"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// Deps is everything the UI needs from the outside world. cli builds it from
// flags, environment and config; tests build it against submit/fakeapi. The
// same New is used by both, so tests run the real wiring.
type Deps struct {
	Store *store.Store

	// Client returns an API client for key. It is called again when the user
	// types a key into the prompt.
	Client func(apiKey string) (*submit.Client, error)
	APIKey string
	// BaseURL is shown (host only) in the header.
	BaseURL string
	Demo    bool

	// StartDir is the folder Files opens in; StartFiles, when set, skip Files
	// and open the Form for them.
	StartDir   string
	StartFiles []string

	// Defaults prefill the form: flags > environment > config > defaults,
	// already merged by the caller.
	Defaults submit.Options
	// Remember saves the form values the user last submitted with (config
	// file). Nil means nothing is remembered.
	Remember func(submit.Options) error
	// SaveKey stores an API key typed into the prompt (config file, 0600).
	SaveKey func(key string) error
	// ConfigPath is the config file SaveKey and Remember write, as the
	// key prompt names it.
	ConfigPath string

	Concurrency int
	Force       bool // upload files whose first bytes are not a known container

	// Prices are the batch prices the form's estimate uses (cost.Defaults
	// when zero, unless PricesProblem is set). PricesProblem says why there
	// is no estimate, in one line (a bad price in the config file): the form
	// shows it instead, and submits all the same.
	Prices        cost.Table
	PricesProblem string
	// MeasureFiles reads audio files' lengths from their headers, workers
	// at a time (nil: audio.ProbeFiles). Tests slow it down to show that
	// no screen waits for it.
	MeasureFiles func(ctx context.Context, paths []string, workers int) []audio.Measured

	// Timing, shrunk by tests.
	WatchEvery    time.Duration // how often another process's appends are looked for
	PollFirst     time.Duration // first background status check of a pending job
	PollMax       time.Duration // backoff cap for background status checks
	TickEvery     time.Duration // redraw rate while uploads run (rate, ETA, countdowns)
	InitialHidden bool          // start with hidden entries shown? (never, today)
}

func (d *Deps) withDefaults() {
	if d.Prices.IsZero() && d.PricesProblem == "" {
		d.Prices = cost.Defaults()
	}
	if d.MeasureFiles == nil {
		d.MeasureFiles = audio.ProbeFiles
	}
	if d.Concurrency <= 0 {
		d.Concurrency = 4
	}
	if d.WatchEvery <= 0 {
		d.WatchEvery = 2 * time.Second
	}
	if d.PollFirst <= 0 {
		d.PollFirst = 10 * time.Second
	}
	if d.PollMax <= 0 {
		d.PollMax = 10 * time.Minute
	}
	if d.TickEvery <= 0 {
		d.TickEvery = 500 * time.Millisecond
	}
}
