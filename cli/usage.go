package cli

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

const usageLong = `Audio hours and estimated cost per month and model, from the history: every
submission that got a batch id counts (hidden ones too: hiding an entry does
not cancel its job), in the month it was submitted (local time).

Lengths are those recorded when each file was submitted. Entries recorded
before fwbatch measured recordings have none: the file is measured now if it
is still where it was, with the size and modification time recorded then;
otherwise its length is unknown, and the totals it is part of read "≥" (at
least). Nothing is guessed.

The cost is an estimate at today's batch prices (the defaults, or "prices" in
the config file), not a bill: surcharges fwbatch does not know (diarization)
and taxes are not included.

--since DATE (YYYY-MM-DD or YYYY-MM, local time) leaves out what was submitted
before. --json: one object per month and model with month, model, files,
unknown_files, audio_s, audio_hours, estimate_usd (null without a price) and
at_least (some lengths unknown: the figures are lower bounds).
Exit status: 0, or 2 when the history or the config file cannot be read.`

const usageExample = `fwbatch usage
fwbatch usage --since 2026-01
fwbatch usage -j | jq -s 'map(.estimate_usd) | add'`

func (r *runner) newUsageCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	var since string
	cmd := &cobra.Command{
		Use:     "usage",
		Short:   "Audio hours and estimated cost per month and model",
		Long:    usageLong,
		Example: usageExample,
		Args:    noArgs,
		RunE: run(func(*cobra.Command, []string) int {
			return r.usageCmd(g, since, asJSON)
		}),
	}
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print one JSON object per month and model instead of a table")
	cmd.Flags().StringVar(&since, "since", "", "count only what was submitted from this day (YYYY-MM-DD) or month (YYYY-MM) on")
	return cmd
}

// usageLine is one line of `usage --json`.
type usageLine struct {
	Month        string   `json:"month"` // YYYY-MM, local time
	Model        string   `json:"model"`
	Files        int      `json:"files"`
	UnknownFiles int      `json:"unknown_files"` // files whose length is unknown
	AudioS       float64  `json:"audio_s"`       // the known lengths added up
	AudioHours   float64  `json:"audio_hours"`
	EstimateUSD  *float64 `json:"estimate_usd"` // null when no price is known for the model
	AtLeast      bool     `json:"at_least"`     // unknown_files > 0: audio and cost are lower bounds
}

// usageRow is one month and model of the report.
type usageRow struct {
	month, model string
	total        cost.Total
	estimate     cost.Estimate
}

func (r *runner) usageCmd(g *globalFlags, sinceArg string, asJSON bool) int {
	since, err := parseSince(sinceArg)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	e, err := r.setupCLI(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()
	prices, err := e.cfg.priceTable(e.cfgPath)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	h, err := r.loadHistory(e)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	var subs []*store.Submission
	for _, s := range h.Submissions() {
		if s.BatchID != "" && !s.Started.Before(since) {
			subs = append(subs, s)
		}
	}
	if len(subs) == 0 {
		what := "no submission with a batch id in the history " + e.store.Path()
		if !since.IsZero() {
			what += " since " + since.Format("2006-01-02")
		}
		fmt.Fprintln(r.stderr, "fwbatch: "+termsafe.Line(what))
		return ExitOK
	}
	lengths, measuredNow := usageLengths(context.Background(), subs)
	rows := usageRows(subs, lengths, prices)
	if asJSON {
		for _, row := range rows {
			printJSON(r.stdout, row.line())
		}
		return ExitOK
	}
	r.printUsage(rows, measuredNow)
	return ExitOK
}

// parseSince reads --since: a day or a month, in local time.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: not a date: give a day (2026-11-01) or a month (2026-11)", s)
}

// usageLengths is each submission's length: as recorded, or, for one
// recorded without a length, read from its file now if the file is still
// where it was with the size and modification time recorded then (the
// same file, as far as its path, size and mtime can tell; see
// recording/README.md). measuredNow counts those.
func usageLengths(ctx context.Context, subs []*store.Submission) (lengths []audio.Length, measuredNow int) {
	lengths = make([]audio.Length, len(subs))
	// Several submissions of one file (other options, a resubmission) are
	// measured once.
	unmeasured := map[string][]int{}
	for i, s := range subs {
		lengths[i] = s.Duration
		if !s.Duration.IsKnown() && s.File != "" && !s.MTime.IsZero() {
			unmeasured[s.File] = append(unmeasured[s.File], i)
		}
	}
	var paths []string
	for _, p := range slices.Sorted(maps.Keys(unmeasured)) {
		if unchanged(p, subs[unmeasured[p][0]]) {
			paths = append(paths, p)
		}
	}
	for i, m := range audio.ProbeFiles(ctx, paths, 4) {
		if !m.Info.Length.IsKnown() {
			continue
		}
		for _, j := range unmeasured[paths[i]] {
			// Each submission of the path is held to its own size and mtime.
			if unchanged(paths[i], subs[j]) {
				lengths[j] = m.Info.Length
				measuredNow++
			}
		}
	}
	return lengths, measuredNow
}

// unchanged reports whether the file at path has the size and modification
// time s recorded.
func unchanged(path string, s *store.Submission) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == s.Size && fi.ModTime().Equal(s.MTime)
}

// usageRows adds up the submissions by month and model, oldest month first.
func usageRows(subs []*store.Submission, lengths []audio.Length, prices cost.Table) []usageRow {
	type key struct{ month, model string }
	totals := map[key]*cost.Total{}
	for i, s := range subs {
		k := key{s.Started.Local().Format("2006-01"), modelOf(s)}
		if totals[k] == nil {
			totals[k] = &cost.Total{}
		}
		totals[k].Add(lengths[i])
	}
	rows := make([]usageRow, 0, len(totals))
	for k, t := range totals {
		rows = append(rows, usageRow{month: k.month, model: k.model, total: *t, estimate: prices.Estimate(k.model, *t)})
	}
	slices.SortFunc(rows, func(a, b usageRow) int {
		return cmp.Or(strings.Compare(a.month, b.month), strings.Compare(a.model, b.model))
	})
	return rows
}

// modelOf is the model a submission was sent to: as recorded, else its
// endpoint's.
func modelOf(s *store.Submission) string {
	if s.Model != "" {
		return s.Model
	}
	if m := submit.ModelFor(s.Endpoint); m != "" {
		return m
	}
	return "unknown model"
}

func (row usageRow) line() usageLine {
	l := usageLine{Month: row.month, Model: row.model, Files: row.total.Files, UnknownFiles: row.total.Unknown,
		AudioS: row.total.Known.Round(time.Millisecond).Seconds(), AtLeast: row.total.Unknown > 0}
	l.AudioHours = math.Round(l.AudioS/3600*1e6) / 1e6 // to the 3.6 ms: no float noise
	if row.estimate.Known {
		usd := row.estimate.USD
		l.EstimateUSD = &usd
	}
	return l
}

// printUsage prints the table, a total when there is more than one row,
// and what the figures rest on.
func (r *runner) printUsage(rows []usageRow, measuredNow int) {
	tw := tabwriter.NewWriter(r.stdout, 0, 0, 2, ' ', 0)
	row(tw, "MONTH", "MODEL", "FILES", "AUDIO", "ESTIMATE")
	var all cost.Total
	var sum cost.Estimate
	models := map[string]cost.Estimate{}
	for i, u := range rows {
		row(tw, u.month, u.model, fmt.Sprint(u.total.Files), u.total.String(), u.estimate.String())
		all.Known += u.total.Known
		all.Files += u.total.Files
		all.Unknown += u.total.Unknown
		if i == 0 {
			sum = u.estimate
		} else {
			sum = sum.Plus(u.estimate)
		}
		models[u.model] = u.estimate
	}
	if len(rows) > 1 {
		row(tw, "total", "", fmt.Sprint(all.Files), all.String(), sum.String())
	}
	tw.Flush()
	fmt.Fprintln(r.stdout)
	for _, m := range slices.Sorted(maps.Keys(models)) {
		fmt.Fprintln(r.stdout, termsafe.Line(models[m].Basis()))
	}
	fmt.Fprintln(r.stdout, "at today's prices; "+cost.NotIncludedText())
	if measuredNow > 0 {
		fmt.Fprintf(r.stdout, "lengths measured now: %d %s recorded without one (the file is still there, unchanged)\n",
			measuredNow, plural(measuredNow, "submission"))
	}
	if all.Unknown > 0 {
		fmt.Fprintf(r.stdout, "≥: the length of %d %s is unknown (its headers do not say, or it was not recorded and the file has gone or changed): the figures are at least these\n",
			all.Unknown, plural(all.Unknown, "file"))
	}
}

// completeMonths offers --since the last twelve months, this one first: the
// values people give it most. A day (YYYY-MM-DD) is typed.
func completeMonths(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	now := time.Now()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.Local)
	months := make([]cobra.Completion, 12)
	for i := range months {
		months[i] = first.AddDate(0, -i, 0).Format("2006-01")
	}
	return months, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}
