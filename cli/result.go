package cli

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

const resultLong = `Write a completed job's transcript: exactly what the API returned (JSON for
json and verbose_json, text for text, srt and vtt). It comes from the copy
saved under the results folder when there is one; otherwise it is fetched from
the API, saved there and recorded (needs FIREWORKS_API_KEY). ID is a batch id
or a local submission id (see ` + "`fwbatch list`" + `; TAB completes them,
completed jobs first).

--output-format srt,vtt,txt,tsv,json (or all) writes those formats instead,
made from the result: a verbose_json result gives every one (speakers
included when diarized); another result gives its own format only, and
asking for one it cannot give says so.

Where it goes: next to the audio file, named after it (talk.flac → talk.srt;
.json for json and verbose_json, .txt for text, .vtt for vtt); -o DIR writes
DIR/<audio name><ext>; -o FILE writes FILE; -o - writes to stdout (-o FILE and
-o - take one ID and one format). An existing file is never overwritten
unless --force.

stdout: the path of each file written, one per line. Errors go to stderr, one
line each. Exit status: 0 every transcript written, 1 some job not completed,
failed, not in the history, or a file exists, 2 usage or setup error.`

const resultExample = `fwbatch result 8b0f4c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f
fwbatch result -o transcripts/ ID1 ID2
fwbatch result -o - ID | less
fwbatch result --output-format srt,vtt,txt ID`

func (r *runner) newResultCmd(g *globalFlags) *cobra.Command {
	var out, outputFormat string
	var force bool
	cmd := &cobra.Command{
		Use:               "result ID...",
		Short:             "Write a completed job's transcript",
		Long:              resultLong,
		Example:           resultExample,
		ValidArgsFunction: r.completeIDs(g, doneFirst),
		RunE: run(func(_ *cobra.Command, ids []string) int {
			return r.resultCmd(g, out, outputFormat, force, ids)
		}),
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE, into DIR, or - for stdout (default: next to the audio file)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite a file that exists")
	cmd.Flags().StringVar(&outputFormat, "output-format", "", "write these formats, made from the result: srt, vtt, txt, tsv, json, comma-separated, or all (default: the result as returned)")
	return cmd
}

func (r *runner) resultCmd(g *globalFlags, out, outputFormat string, force bool, ids []string) int {
	var formats []string
	if outputFormat != "" {
		var err error
		if formats, err = submit.ParseOutputFormats(outputFormat); err != nil {
			return r.fail(ExitUsage, "%v", err)
		}
	}
	switch {
	case len(ids) == 0:
		return r.fail(ExitUsage, "give the batch ids (or submission ids) to write; `fwbatch list` shows them (see `fwbatch result --help`)")
	case len(ids) > 1 && out == "-":
		return r.fail(ExitUsage, "-o - (stdout) takes one id only: give one, or -o DIR to write each into a folder")
	case len(formats) > 1 && out == "-":
		return r.fail(ExitUsage, "-o - (stdout) takes one format only: give one --output-format, or -o DIR to write each into a folder")
	case len(ids) > 1 && out != "" && !isDirTarget(out):
		return r.fail(ExitUsage, "-o %s: with several IDs, -o must be a folder (it does not exist or is a file)", out)
	case len(formats) > 1 && out != "" && !isDirTarget(out):
		return r.fail(ExitUsage, "-o %s: with several formats, -o must be a folder (it does not exist or is a file)", out)
	}
	e, err := r.setupCLI(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()
	h, err := r.loadHistory(e)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	code := ExitOK
	found, unknown := lookup(h, ids)
	for _, id := range unknown {
		code = r.fail(ExitFailed, "%s", unknownID(id, e.store.Path()))
	}
	f := &resultFetcher{r: r, e: e}
	defer func() {
		if f.client != nil {
			f.client.CloseIdleConnections()
		}
	}()
	for _, s := range found {
		what := fmt.Sprintf("%s (batch %s)", displayName(s), orDash(s.BatchID))
		data, err := f.get(ctx, s)
		if errors.Is(err, errNoKey) {
			return r.fail(ExitUsage, "%s: %v", what, err)
		}
		if err != nil {
			code = r.fail(ExitFailed, "%s: %s", what, submit.Redact(submit.Explain(err), e.apiKey))
			continue
		}
		for _, w := range resultOutputs(what, s, data, formats) {
			if w.err != nil {
				code = r.fail(ExitFailed, "%s", submit.Explain(w.err))
				continue
			}
			if out == "-" {
				if _, err := r.stdout.Write(w.data); err != nil {
					return r.fail(ExitFailed, "%s: writing to stdout: %v", what, err)
				}
				continue
			}
			dst, err := resultDest(out, s, w.ext)
			if err != nil {
				code = r.fail(ExitFailed, "%s: %v", what, err)
				continue
			}
			err = submit.WriteResult(dst, w.data, force)
			switch {
			case errors.Is(err, iofs.ErrExist):
				code = r.fail(ExitFailed, "%s exists: not overwritten; pass --force to overwrite it, or -o FILE|DIR to write elsewhere", dst)
			case err != nil:
				code = r.fail(ExitFailed, "%s: %v", what, err)
			default:
				e.logf("result %s: wrote %s", s.ID, dst)
				fmt.Fprintln(r.stdout, termsafe.Line(dst))
			}
		}
	}
	return code
}

// resultOutput is one file result writes: its content and extension, or
// why it cannot be made.
type resultOutput struct {
	data []byte
	ext  string
	err  error
}

// resultOutputs is what result writes for s: the result as returned, or
// each of formats made from it.
func resultOutputs(what string, s *store.Submission, data []byte, formats []string) []resultOutput {
	if len(formats) == 0 {
		return []resultOutput{{data: data, ext: submit.ResultExt(formatOf(s))}}
	}
	out := make([]resultOutput, len(formats))
	for i, f := range formats {
		b, err := submit.Render(what, formatOf(s), data, f)
		out[i] = resultOutput{data: b, ext: submit.OutputExt(f), err: err}
	}
	return out
}

// isDirTarget reports whether -o names a folder: one that exists, or a
// path ending in a slash.
func isDirTarget(out string) bool {
	if strings.HasSuffix(out, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(out)
	return err == nil && fi.IsDir()
}

// resultDest is where a submission's transcript, a file with extension
// ext, goes for -o out.
func resultDest(out string, s *store.Submission, ext string) (string, error) {
	stem := strings.TrimSuffix(filepath.Base(s.File), filepath.Ext(s.File))
	switch {
	case out == "":
		if s.File == "" {
			return "", errors.New("the history has no audio file for it to write next to; pass -o FILE")
		}
		dst := filepath.Join(filepath.Dir(s.File), stem+ext)
		if dst == s.File {
			return "", fmt.Errorf("the transcript would replace the audio file %s; pass -o FILE", s.File)
		}
		return dst, nil
	case isDirTarget(out):
		if fi, err := os.Stat(out); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("-o %s: no such folder", out)
		}
		if s.File == "" {
			stem = s.ID
		}
		return filepath.Join(out, stem+ext), nil
	}
	return out, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// readSaved reads a saved result; false when there is none to read.
func readSaved(path string) ([]byte, bool) {
	if path == "" {
		return nil, false
	}
	data, err := os.ReadFile(path)
	return data, err == nil
}

// resultFetcher gets a completed job's transcript: the saved copy when
// there is one, else from the API (which saves and records it).
type resultFetcher struct {
	r      *runner
	e      *env
	client *submit.Client
}

// errNoKey: a result must be fetched and there is no key.
var errNoKey = errors.New("no saved result, and no API key to fetch it: set FIREWORKS_API_KEY (or save one from the UI)")

func (f *resultFetcher) get(ctx context.Context, s *store.Submission) ([]byte, error) {
	if data, ok := readSaved(s.ResultPath); ok {
		f.e.logf("result %s: from the saved copy %s", s.ID, s.ResultPath)
		return data, nil
	}
	if !submit.Checkable(s) {
		return nil, errors.New(submit.NoJobReason(s))
	}
	if f.client == nil {
		if f.e.apiKey == "" {
			return nil, errNoKey
		}
		c, err := f.e.client(f.e.apiKey)
		if err != nil {
			return nil, errors.New(submit.Redact(err.Error(), f.e.apiKey))
		}
		f.client = c
	}
	res, err := f.client.CheckRecorded(ctx, f.e.store, *s)
	if err != nil {
		return nil, err
	}
	switch res.State {
	case submit.Pending:
		return nil, fmt.Errorf("not completed yet (status %s); wait for it with `fwbatch status --wait %s`", res.Job.Status, s.BatchID)
	case submit.Failed:
		msg := ""
		if res.Job.Message != "" {
			msg = ": " + res.Job.Message
		}
		return nil, fmt.Errorf("the job ended with status %q%s; there is no transcript: submit the file again", res.Job.Status, msg)
	case submit.NotFound:
		return nil, fmt.Errorf("not found: the server does not know batch %s (%s); it may have expired: submit the file again", s.BatchID, res.Job.Message)
	}
	data, ok := readSaved(res.ResultPath)
	if !ok {
		return nil, fmt.Errorf("completed, but its saved result %s cannot be read", res.ResultPath)
	}
	f.e.logf("result %s: fetched and saved to %s", s.ID, res.ResultPath)
	return data, nil
}
