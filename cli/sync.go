package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/folder"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/submit"
)

const syncLong = `Folder work, safe to run again and again (from cron, under nohup, after a
crash): send every recording of the folders that has no job yet for these
options, check the pending jobs, and write each completed transcript next to
its audio (talk.flac → talk.srt; --out DIR mirrors the tree there instead).

A recording is known by its content: renamed or moved, it is not sent again.
A job submitted, processing or completed with the same options counts as
done; a failed, interrupted or not found one does not. An upload whose
outcome is unknown may have made a job: it is never sent again
automatically, and it is reported (exit 1). Two fwbatch processes on one
history never send the same recording twice. A file changed less than
--settle ago is left for later (it may still be being copied in).

The options are the flags given and the defaults, never the form values last
used in the UI (those are submit's defaults): a sync from cron asks for the
same job every run.

fwbatch never overwrites a file it did not write itself, nor one it wrote and
you changed since (--force does). It records what it wrote beside the history
(history.jsonl.written).

stdout: one line per file:
  talk.flac submitted batch_id=…
  talk.flac skipped: done as batch …
  talk.flac processing batch_id=…
  talk.flac written: talk.srt, talk.vtt
  talk.flac failed: …
  talk.flac unknown: …
(--json: one object per line with file, state, id, batch_id, account_id,
status, written, message), and a summary line on stderr. With --wait or
--watch a file gets a line each time its state changes.

--output-format srt,vtt,txt,tsv,json (or all) writes every format from one
job; when the response format cannot give them all, the request asks for
verbose_json with segment timestamps instead (and says so).

Exit status: 0 nothing failed (jobs still processing are fine), 1 a file
failed or its outcome is unknown, 2 usage or setup error. SIGINT and SIGTERM
stop cleanly (uploads in flight are recorded as interrupted); SIGHUP is
ignored.`

const syncExample = `fwbatch sync ~/recordings
fwbatch sync -r --output-format srt,vtt --wait ~/recordings
*/15 * * * * fwbatch sync -r --response-format verbose_json ~/recordings   # crontab
nohup fwbatch sync --watch --output-format all ~/dropbox/calls &
fwbatch sync --dry-run -r ~/recordings`

// syncFlags are sync's own flags, beside the request options.
type syncFlags struct {
	recursive, force, asJSON bool
	dryRun, wait, watch      bool
	out, outputFormat        string
	settle                   time.Duration
}

func (r *runner) newSyncCmd(g *globalFlags) *cobra.Command {
	var o optionFlags
	var f syncFlags
	cmd := &cobra.Command{
		Use:               "sync DIR|FILE...",
		Short:             "Folder work, rerunnable: send what has no job yet, check, write transcripts next to the audio",
		Long:              syncLong,
		Example:           syncExample,
		ValidArgsFunction: completeAudio,
		RunE: run(func(cmd *cobra.Command, args []string) int {
			return r.syncCmd(cmd.Flags(), g, &o, &f, args)
		}),
	}
	fs := cmd.Flags()
	o.registerRequest(fs)
	fs.IntVar(&o.concurrency, "concurrency", 4, "how many files upload at once")
	fs.BoolVarP(&f.recursive, "recursive", "r", false, "descend into subfolders (those whose names start with a dot are left out)")
	fs.StringVar(&f.out, "out", "", "write the transcripts under this folder, mirroring the tree, instead of next to the audio")
	fs.StringVar(&f.outputFormat, "output-format", "", "write these formats from each result: srt, vtt, txt, tsv, json, comma-separated, or all (default: the result as returned)")
	fs.BoolVar(&f.force, "force", false, "overwrite transcripts fwbatch did not write, or that were changed since")
	fs.BoolVarP(&f.asJSON, "json", "j", false, "print one JSON object per line instead of a line of text")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what would be submitted (with each file's length and estimated cost), skipped and written; send, check and write nothing")
	fs.BoolVar(&f.wait, "wait", false, "keep checking, with backoff, until every job is completed or failed, writing transcripts as they come")
	fs.BoolVar(&f.watch, "watch", false, "keep running: send new files once still for --settle, follow the jobs, write transcripts; until SIGINT or SIGTERM")
	fs.DurationVar(&f.settle, "settle", 10*time.Second, "send a file only once its size and mtime have been still this long")
	return cmd
}

// syncLine is one line of `sync --json`.
type syncLine struct {
	File      string   `json:"file"`
	State     string   `json:"state"`
	ID        string   `json:"id"`
	BatchID   string   `json:"batch_id"`
	AccountID string   `json:"account_id"`
	Status    string   `json:"status"`
	Written   []string `json:"written"`
	Message   string   `json:"message"`
	// A dry run's "would submit" lines also carry what the upload would
	// cost, as `submit --dry-run --json` does.
	*dryRunCost
}

// dryRunCost is a file's size, length and estimate in a dry run's JSON.
type dryRunCost struct {
	Size        int64        `json:"size"`
	DurationS   audio.Length `json:"duration_s"`
	EstimateUSD *float64     `json:"estimate_usd"`
}

func (r *runner) syncCmd(fs *pflag.FlagSet, g *globalFlags, o *optionFlags, f *syncFlags, args []string) int {
	switch {
	case len(args) == 0:
		return r.fail(ExitUsage, "give the folders (or files) to sync (see `fwbatch sync --help`)")
	case o.concurrency < 1:
		return r.fail(ExitUsage, "--concurrency %d: must be at least 1", o.concurrency)
	case f.settle < 0:
		return r.fail(ExitUsage, "--settle %s: must not be negative", f.settle)
	case f.dryRun && (f.wait || f.watch):
		return r.fail(ExitUsage, "--dry-run sends and checks nothing, so there is nothing to --wait or --watch for")
	case f.wait && f.watch:
		return r.fail(ExitUsage, "--wait and --watch: give one (--wait ends once every job is done; --watch keeps running for new files)")
	}
	if f.out != "" {
		if fi, err := os.Stat(f.out); err != nil || !fi.IsDir() {
			return r.fail(ExitUsage, "--out %s: not a folder; make it first", f.out)
		}
	}
	if err := folder.CheckArgs(args); err != nil {
		return r.fail(ExitUsage, "%v (see `fwbatch sync --help`)", err)
	}
	var formats []string
	if f.outputFormat != "" {
		var err error
		if formats, err = submit.ParseOutputFormats(f.outputFormat); err != nil {
			return r.fail(ExitUsage, "%v", err)
		}
	}
	interval, err := pollInterval(r.getenv)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	e, err := r.setupCLI(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()

	// A sync's options are its flags and the documented defaults, never
	// the form values last used in the UI (submit's defaults): a run from
	// cron must ask for the same job every time, or using the UI once
	// would have the next run pay for the whole folder again.
	opts := o.apply(fs, submit.Options{}.WithDefaults())
	if note := forFormats(&opts, formats); note != "" {
		fmt.Fprintln(r.stderr, "fwbatch: "+note)
	}
	if err := opts.Validate(); err != nil {
		return r.fail(ExitUsage, "invalid options: %s (see `fwbatch sync --help`)", optionError(err))
	}
	cfg := folder.Config{
		Store: e.store, Options: opts, Formats: formats, Recursive: f.recursive, Out: f.out, Force: f.force,
		Concurrency: o.concurrency, DryRun: f.dryRun, Wait: f.wait, Watch: f.watch, Settle: f.settle,
		PollFirst: interval, PollMax: min(interval*maxPollFactor, maxPollWait), Logf: e.logf,
		Warn: func(w string) { fmt.Fprintln(r.stderr, "fwbatch: warning: "+termsafe.Line(w)) },
	}
	if !f.dryRun {
		if e.apiKey == "" {
			return r.fail(ExitUsage, "no API key: set FIREWORKS_API_KEY (or save one from the UI); `fwbatch sync --dry-run` shows what would be done without one")
		}
		client, err := e.client(e.apiKey)
		if err != nil {
			return r.fail(ExitUsage, "%v", submit.Redact(err.Error(), e.apiKey))
		}
		defer client.CloseIdleConnections()
		cfg.Client = client
		// Uploads and checks are recorded: a history that cannot be
		// written stops the run before anything is sent.
		if err := e.store.CheckWritable(context.Background()); err != nil {
			return r.fail(ExitUsage, "nothing sent: %v", err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncOutput{r: r, json: f.asJSON, key: e.apiKey, dupErr: sameTerminal(r.stdout, r.stderr)}
	if f.dryRun {
		prices, err := e.cfg.priceTable(e.cfgPath)
		if err != nil {
			return r.fail(ExitUsage, "%v", err)
		}
		out.plan = &dryRunPlan{prices: prices, model: opts.Model}
	}
	stop := cancelOnSignals(e, "sync", cancel, out.note, "stopping; uploads in flight are recorded as interrupted")
	defer stop()
	e.logf("sync: %v, options %v, formats %v, base URL %s", args, opts.Extra(), formats, e.baseURL)
	sum, err := folder.Run(ctx, cfg, args, out.print)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	out.summary(sum, f.dryRun)
	if sum.Failed() || out.interrupted {
		return ExitFailed
	}
	return ExitOK
}

// forFormats makes opts ask for what the output formats need: a result
// that cannot give them all is asked for as verbose_json with segment
// timestamps instead, which gives every format. It returns what it
// changed, to be said once, or "".
func forFormats(opts *submit.Options, formats []string) string {
	var cannot []string
	for _, f := range formats {
		if !submit.CanRender(opts.ResponseFormat, f) {
			cannot = append(cannot, f)
		}
	}
	if len(cannot) == 0 {
		return ""
	}
	was := opts.ResponseFormat
	opts.ResponseFormat = "verbose_json"
	switch opts.TimestampGranularities {
	case "":
		opts.TimestampGranularities = "segment"
	case "word":
		opts.TimestampGranularities = "word,segment"
	}
	return fmt.Sprintf("--output-format %s cannot be made from a %s result: asking for verbose_json with timestamps %s instead, which gives every format",
		strings.Join(cannot, ","), was, opts.TimestampGranularities)
}

// syncOutput prints sync's lines: one per report on stdout, failures also
// on stderr, and the summary.
type syncOutput struct {
	r      *runner
	json   bool
	key    string
	dupErr bool // stdout and stderr are the same terminal: errors once

	mu          sync.Mutex
	interrupted bool
	plan        *dryRunPlan // a dry run's files that would be sent, measured and priced
}

// dryRunPlan measures and prices, as `submit --dry-run` does, each file a
// dry run would send, and adds them up for the summary.
type dryRunPlan struct {
	prices cost.Table
	model  string
	files  []cost.File
}

// add measures the file (its headers only) and returns its plan item.
func (p *dryRunPlan) add(path string) cost.PlanItem {
	f := cost.File{Name: path}
	if fi, err := os.Stat(path); err == nil {
		f.Size = fi.Size()
	}
	if info, err := audio.ProbeFile(context.Background(), path); err == nil {
		f.Length = info.Length
	}
	p.files = append(p.files, f)
	return p.prices.Plan(p.model, []cost.File{f}).Items[0]
}

func (o *syncOutput) note(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintln(o.r.stderr, "fwbatch: "+termsafe.Line(fmt.Sprintf(format, args...)))
}

func (o *syncOutput) print(rep folder.Report) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rep.Message = submit.Redact(rep.Message, o.key)
	if rep.State == folder.Interrupted {
		o.interrupted = true
	}
	var item *cost.PlanItem
	if o.plan != nil && rep.State == folder.WouldSubmit {
		it := o.plan.add(rep.File)
		item = &it
	}
	if o.json {
		written := rep.Written
		if written == nil {
			written = []string{}
		}
		l := syncLine{File: rep.File, State: string(rep.State), ID: rep.ID, BatchID: rep.BatchID,
			AccountID: rep.AccountID, Status: rep.Status, Written: written, Message: rep.Message}
		if item != nil {
			l.dryRunCost = &dryRunCost{Size: item.Size, DurationS: item.Length}
			if item.Estimate.Known {
				usd := item.Estimate.USD
				l.EstimateUSD = &usd
			}
		}
		printJSON(o.r.stdout, l)
	} else {
		line := syncText(rep)
		if item != nil {
			line += fmt.Sprintf(" (%s, %s, %s)", cost.Bytes(item.Size), cost.Length(item.Length), item.Estimate)
		}
		fmt.Fprintln(o.r.stdout, termsafe.Line(line))
	}
	if rep.State.Bad() && (o.json || !o.dupErr) {
		fmt.Fprintln(o.r.stderr, "fwbatch: "+termsafe.Line(rep.File+": "+string(rep.State)+": "+rep.Message))
	}
}

// syncText is a report as a line of text: the file, its state, the batch
// id where that is the news, and what the state needs said.
func syncText(rep folder.Report) string {
	var b strings.Builder
	b.WriteString(shown(rep.File) + " " + string(rep.State))
	switch rep.State {
	case folder.Submitted, folder.Processing, folder.Uploading:
		if rep.BatchID != "" {
			b.WriteString(" batch_id=" + rep.BatchID)
		}
		if rep.State == folder.Processing && rep.Status != "" && !strings.EqualFold(rep.Status, "processing") {
			b.WriteString(" status=" + shown(rep.Status))
		}
	}
	if rep.Message != "" {
		b.WriteString(": " + rep.Message)
	}
	return b.String()
}

// summaryOrder is the order of the summary's counts.
var summaryOrder = []folder.State{
	folder.Submitted, folder.Written, folder.Skipped, folder.Processing, folder.Uploading, folder.Waiting, folder.Kept,
	folder.WouldSubmit, folder.WouldWrite, folder.Failed, folder.Unknown, folder.Interrupted,
}

func (o *syncOutput) summary(sum folder.Summary, dryRun bool) {
	parts := []string{}
	for _, st := range summaryOrder {
		if n := sum.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	for st, n := range sum.Counts { // a state this list does not know yet
		if !slices.Contains(summaryOrder, st) {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	what := "sync"
	if dryRun {
		what = "sync --dry-run (nothing sent, checked or written)"
	}
	line := fmt.Sprintf("%s: %d %s", what, sum.Files, plural(sum.Files, "file"))
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	o.note("%s", line)
	if o.plan != nil && len(o.plan.files) > 0 {
		p := o.plan.prices.Plan(o.plan.model, o.plan.files)
		o.note("would submit %d %s, %s, %s of audio: %s (%s; %s)", len(p.Items), plural(len(p.Items), "file"),
			cost.Bytes(p.Bytes), p.Total, p.Estimate, p.Estimate.Basis(), cost.NotIncludedText())
	}
}
