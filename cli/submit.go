package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

const submitLong = `Upload audio files to the batch API without the UI, --concurrency at a time.
A folder means the audio files directly inside it (.flac .mp3 .wav .m4a .ogg
.opus .webm .mp4 .mpeg .mpga .aac .wma .aiff, any case; not its subfolders).
Every upload goes through the history: "started" is on disk before the first
byte is sent, the outcome right after.

stdout: one line per file, as each one ends:
  talk.flac submitted batch_id=… account_id=… endpoint_id=audio-prod
  talk.flac failed: HTTP 401: invalid API key — check FIREWORKS_API_KEY
(--json: one object per line with file, id, outcome, batch_id, account_id,
endpoint_id, http_status, error). Outcomes: submitted, failed (no job
exists), unknown (a job may exist: resubmitting may make a duplicate),
interrupted. Errors also go to stderr, one line each. A progress bar per file
is drawn on stderr when it is a terminal.

Option flags not given take the values last used in the UI (config file),
then the defaults. Exit status: 0 every file submitted, 1 some file failed or
was interrupted (Ctrl-C), 2 usage or setup error (bad options, no API key,
history not writable). SIGHUP is ignored: uploads carry on when the SSH link
drops.`

const submitExample = `fwbatch submit talk.flac
fwbatch submit --response-format=srt --concurrency 8 ~/recordings
fwbatch submit -j --endpoint audio-turbo a.mp3 b.mp3 > submitted.jsonl
nohup fwbatch submit --diarize --response-format verbose_json --timestamp-granularities word big.wav &`

func (r *runner) newSubmitCmd(g *globalFlags) *cobra.Command {
	var o optionFlags
	var asJSON, dryRun bool
	cmd := &cobra.Command{
		Use:               "submit FILE|DIR...",
		Short:             "Submit audio files without the UI; one line per file",
		Long:              submitLong,
		Example:           submitExample,
		ValidArgsFunction: completeAudio,
		RunE: run(func(cmd *cobra.Command, paths []string) int {
			if dryRun && len(paths) > 0 {
				return r.dryRun(cmd.Flags(), &o, asJSON, paths)
			}
			return r.submitCmd(cmd.Flags(), g, &o, asJSON, paths)
		}),
	}
	o.register(cmd.Flags())
	registerDryRun(cmd.Flags(), &dryRun)
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print one JSON object per file instead of a line of text")
	return cmd
}

// submitLine is one line of `submit --json`.
type submitLine struct {
	File       string `json:"file"`
	ID         string `json:"id"` // local submission id; "" when nothing was recorded
	Outcome    string `json:"outcome"`
	BatchID    string `json:"batch_id"`
	AccountID  string `json:"account_id"`
	EndpointID string `json:"endpoint_id"`
	HTTPStatus int    `json:"http_status"`
	Error      string `json:"error"`
	// Note says what was odd about a reply that was usable anyway.
	Note string `json:"note,omitempty"`
}

func (r *runner) submitCmd(fs *pflag.FlagSet, g *globalFlags, o *optionFlags, asJSON bool, paths []string) int {
	if len(paths) == 0 {
		return r.fail(ExitUsage, "give the audio files or folders to submit (see `fwbatch submit --help`)")
	}
	if o.concurrency < 1 {
		return r.fail(ExitUsage, "--concurrency %d: must be at least 1", o.concurrency)
	}
	e, err := r.setupCLI(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()

	opts := o.apply(fs, e.defaults())
	if err := opts.Validate(); err != nil {
		return r.fail(ExitUsage, "invalid options: %s (see `fwbatch submit --help`)", optionError(err))
	}
	if e.apiKey == "" {
		return r.fail(ExitUsage, "no API key: set FIREWORKS_API_KEY (or save one from the UI); `fwbatch --demo` tries everything without one")
	}
	client, err := e.client(e.apiKey)
	if err != nil {
		return r.fail(ExitUsage, "%v", submit.Redact(err.Error(), e.apiKey))
	}
	defer client.CloseIdleConnections()

	out := r.newSubmitOutput(e, asJSON)
	files, bad := expandPaths(paths)
	// Every file is checked before the first upload starts, so that a typo
	// is reported at once, not after an hour of uploading the others.
	// RunBatch checks each one again right before its upload.
	files = slices.DeleteFunc(files, func(f string) bool {
		if _, err := submit.Preflight(f, opts.Force); err != nil {
			bad = append(bad, badPath{f, err})
			return true
		}
		return false
	})
	for _, b := range bad {
		out.refused(b.path, b.err)
	}
	if len(files) == 0 {
		return ExitFailed
	}
	if err := e.store.CheckWritable(context.Background()); err != nil {
		return r.fail(ExitUsage, "nothing uploaded: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopSignals := cancelOnSignals(e, "submit", cancel, out.note, "cancelling the uploads; they are recorded as interrupted")
	defer stopSignals()

	items := make([]submit.BatchItem, len(files))
	for i, f := range files {
		items[i] = submit.BatchItem{ID: store.NewID(), File: f, Options: opts}
	}
	e.logf("submit: %d files, concurrency %d, base URL %s, options %v", len(items), o.concurrency, e.baseURL, opts.Extra())
	out.begin(len(items))
	client.RunBatch(ctx, e.store, items, o.concurrency, out.event)
	out.end()
	if len(bad) > 0 || out.failed > 0 {
		return ExitFailed
	}
	return ExitOK
}

// optionError names the flag behind an option error.
func optionError(err error) string {
	var fe *submit.FieldError
	if !errors.As(err, &fe) {
		return err.Error()
	}
	flagName := strings.ReplaceAll(fe.Field, "_", "-")
	if fe.Field == "endpoint_id" {
		flagName = "endpoint"
	}
	return fmt.Sprintf("--%s (%s): %s", flagName, fe.Field, fe.Problem)
}

type badPath struct {
	path string
	err  error
}

// expandPaths turns the arguments into files: a folder gives the audio
// files directly inside it, sorted; anything else is passed on as given
// for the pre-flight check to judge. The same file named twice is
// submitted once.
func expandPaths(args []string) (files []string, bad []badPath) {
	seen := map[string]bool{}
	add := func(p string) {
		key := p
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, p)
		}
	}
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil || !fi.IsDir() {
			add(arg)
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			bad = append(bad, badPath{arg, fmt.Errorf("%s: cannot read the folder: %s", arg, describeStat(err))})
			continue
		}
		n := 0
		for _, de := range entries {
			if !submit.IsAudioName(de.Name()) || de.IsDir() {
				continue
			}
			add(filepath.Join(arg, de.Name()))
			n++
		}
		if n == 0 {
			bad = append(bad, badPath{arg, fmt.Errorf("%s: a folder without audio files (looked for %s directly inside it); name the files, or the folder that holds them", arg, strings.Join(submit.AudioExts, " "))})
		}
	}
	return files, bad
}

// submitOutput prints what happens to each file: a line on stdout when it
// ends, an error line on stderr when it did not go through, and progress
// bars on stderr when that is a terminal.
type submitOutput struct {
	r      *runner
	e      *env
	json   bool
	view   *progressView // nil unless stderr is a terminal
	dupErr bool          // stdout and stderr are the same terminal: errors once

	mu      sync.Mutex
	started map[string]bool
	failed  int
}

func (r *runner) newSubmitOutput(e *env, asJSON bool) *submitOutput {
	return &submitOutput{r: r, e: e, json: asJSON, started: map[string]bool{}, dupErr: sameTerminal(r.stdout, r.stderr)}
}

func (o *submitOutput) begin(total int) {
	if f, ok := o.r.stderr.(*os.File); ok && isTerminal(f) && o.r.getenv("TERM") != "dumb" {
		o.view = newProgressView(f, total)
	}
}

func (o *submitOutput) end() {
	if o.view != nil {
		o.view.stop()
	}
}

// note prints a line on stderr, above the bars.
func (o *submitOutput) note(format string, args ...any) {
	print := func() { fmt.Fprintln(o.r.stderr, "fwbatch: "+termsafe.Line(fmt.Sprintf(format, args...))) }
	if o.view != nil {
		o.view.above(print)
		return
	}
	print()
}

// refused reports a path that never became an upload.
func (o *submitOutput) refused(path string, err error) {
	o.mu.Lock()
	o.failed++
	o.mu.Unlock()
	o.line(submitLine{File: path, Outcome: string(store.KindFailed), Error: reasonFor(path, err, o.e.apiKey)})
}

func (o *submitOutput) event(ev submit.BatchEvent) {
	it := ev.Item
	switch ev.Type {
	case submit.EventStarted:
		o.mu.Lock()
		o.started[it.ID] = true
		o.mu.Unlock()
		o.e.logf("submit %s: started id=%s size=%d", it.File, it.ID, ev.Progress.Total)
		if o.view != nil {
			o.view.started(it.ID, it.File, ev.Progress.Total)
		}
	case submit.EventProgress:
		if ev.Progress.RetryIn > 0 {
			o.e.logf("submit %s: %s; try %d in %s", it.File, ev.Progress.RetryReason, ev.Progress.Attempt, ev.Progress.RetryIn)
		}
		if o.view != nil {
			o.view.progress(it.ID, ev.Progress)
		}
	case submit.EventDone:
		o.mu.Lock()
		recorded := o.started[it.ID] || ev.Recorded
		if ev.Outcome != store.KindSubmitted || ev.Err != nil {
			o.failed++
		}
		o.mu.Unlock()
		l := submitLine{File: it.File, Outcome: string(ev.Outcome)}
		if recorded {
			l.ID = it.ID
		}
		if ev.Reply != nil {
			l.BatchID, l.AccountID, l.EndpointID = ev.Reply.BatchID, ev.Reply.AccountID, ev.Reply.EndpointID
		}
		if ev.Err != nil {
			l.HTTPStatus = submit.HTTPStatusOf(ev.Err)
			l.Error = reasonFor(it.File, ev.Err, o.e.apiKey)
		} else if ev.Reply != nil {
			l.Note = ev.Reply.Odd
		}
		o.e.logf("submit %s: %s id=%s batch_id=%s http_status=%d recorded=%v %s%s", it.File, l.Outcome, it.ID, l.BatchID, l.HTTPStatus, ev.Recorded, l.Error, l.Note)
		if o.view != nil {
			o.view.finished(it.ID, func() { o.print(l) })
			return
		}
		o.print(l)
	}
}

// line prints l, above the bars if there are any.
func (o *submitOutput) line(l submitLine) {
	if o.view != nil {
		o.view.above(func() { o.print(l) })
		return
	}
	o.print(l)
}

func (o *submitOutput) print(l submitLine) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		printJSON(o.r.stdout, l)
	} else {
		var b strings.Builder
		b.WriteString(shown(l.File) + " " + l.Outcome)
		if l.BatchID != "" {
			fmt.Fprintf(&b, " batch_id=%s account_id=%s endpoint_id=%s", l.BatchID, l.AccountID, l.EndpointID)
		}
		if l.Error != "" {
			b.WriteString(": " + l.Error)
		}
		fmt.Fprintln(o.r.stdout, termsafe.Line(b.String()))
	}
	if l.Error != "" && (o.json || !o.dupErr) {
		fmt.Fprintln(o.r.stderr, "fwbatch: "+termsafe.Line(l.File+": "+l.Error))
	}
	if l.Note != "" {
		fmt.Fprintln(o.r.stderr, "fwbatch: "+termsafe.Line(l.File+": submitted, but "+l.Note))
	}
}

// sameTerminal reports whether a and b are the same terminal, where an
// error line on each would show twice.
func sameTerminal(a, b any) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 || !isTerminal(fa) || !isTerminal(fb) {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
