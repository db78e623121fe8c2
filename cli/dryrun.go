package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/submit"
)

// registerDryRun adds --dry-run to a command that sends files.
func registerDryRun(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "dry-run", false, "print each file's size, length and estimated cost, and the total; upload and record nothing (no API key needed)")
}

// dryRunLine is one line of `--dry-run --json`: a file that would be sent
// (error empty), or one that would be refused.
type dryRunLine struct {
	File      string       `json:"file"`
	Size      int64        `json:"size"`
	DurationS audio.Length `json:"duration_s"` // null when the headers do not say
	// EstimateUSD is null when it cannot be made: the length is unknown, or
	// no price is known for the model.
	EstimateUSD *float64 `json:"estimate_usd"`
	Model       string   `json:"model"`
	Error       string   `json:"error,omitempty"`
}

// dryRun is `submit --dry-run`: the files are checked as an upload would
// check them, measured and priced, and nothing is sent or written. It needs
// no API key and never opens the history.
func (r *runner) dryRun(fs *pflag.FlagSet, o *optionFlags, asJSON bool, paths []string) int {
	cfgPath, err := configPath(r.getenv)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	opts := o.apply(fs, cfg.Form.options().WithDefaults())
	if err := opts.Validate(); err != nil {
		return r.fail(ExitUsage, "invalid options: %s (see `fwbatch submit --help`)", optionError(err))
	}
	prices, err := cfg.priceTable(cfgPath)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	files, bad := expandPaths(paths)
	var sizes []int64
	files = slices.DeleteFunc(files, func(f string) bool {
		info, err := submit.Preflight(f, opts.Force)
		if err != nil {
			bad = append(bad, badPath{f, err})
			return true
		}
		sizes = append(sizes, info.Size())
		return false
	})
	for _, b := range bad {
		r.printRefusal(b, opts.Model, asJSON)
	}
	plan := measurePlan(context.Background(), prices, opts.Model, files, sizes)
	r.printPlan(plan, asJSON)
	fmt.Fprintln(r.stderr, "fwbatch: dry run: nothing was uploaded or recorded")
	if len(bad) > 0 {
		return ExitFailed
	}
	return ExitOK
}

// measurePlan reads the files' lengths from their headers and prices them
// at model's price. sizes are the files' sizes, as checked.
func measurePlan(ctx context.Context, prices cost.Table, model string, files []string, sizes []int64) cost.Plan {
	measured := audio.ProbeFiles(ctx, files, 4)
	priced := make([]cost.File, len(files))
	for i, f := range files {
		priced[i] = cost.File{Name: f, Size: sizes[i], Length: measured[i].Info.Length}
	}
	return prices.Plan(model, priced)
}

// printPlan prints a plan on stdout: a line per file with its size, length
// and estimate, then the total and what the estimate rests on. With
// asJSON, one dryRunLine per file on stdout, and the basis on stderr.
func (r *runner) printPlan(p cost.Plan, asJSON bool) {
	basis := p.Estimate.Basis() + "; " + cost.NotIncludedText()
	if asJSON {
		for _, it := range p.Items {
			l := dryRunLine{File: it.Name, Size: it.Size, DurationS: it.Length, Model: p.Model}
			if it.Estimate.Known {
				usd := it.Estimate.USD
				l.EstimateUSD = &usd
			}
			printJSON(r.stdout, l)
		}
		fmt.Fprintln(r.stderr, "fwbatch: "+termsafe.Line(basis))
		return
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 0, 2, ' ', 0)
	for _, it := range p.Items {
		row(tw, shown(it.Name), cost.Bytes(it.Size), cost.Length(it.Length), it.Estimate.String())
	}
	row(tw, fmt.Sprintf("total: %d %s", len(p.Items), plural(len(p.Items), "file")), cost.Bytes(p.Bytes), p.Total.String(), p.Estimate.String())
	tw.Flush()
	fmt.Fprintln(r.stdout, termsafe.Line(basis))
}

// printRefusal says that a file would be refused, and why.
func (r *runner) printRefusal(b badPath, model string, asJSON bool) {
	reason := reasonFor(b.path, b.err, "")
	if asJSON {
		l := dryRunLine{File: b.path, Model: model, Error: reason}
		if fi, err := os.Stat(b.path); err == nil && fi.Mode().IsRegular() {
			l.Size = fi.Size()
		}
		printJSON(r.stdout, l)
	} else {
		fmt.Fprintln(r.stdout, termsafe.Line(shown(b.path)+" would be refused: "+reason))
	}
	if asJSON || !sameTerminal(r.stdout, r.stderr) {
		fmt.Fprintln(r.stderr, "fwbatch: "+termsafe.Line(b.path+": "+reason))
	}
}

// row writes tab-separated cells, made safe for the terminal.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(w, "\t")
		}
		fmt.Fprint(w, termsafe.Line(c))
	}
	fmt.Fprintln(w)
}
