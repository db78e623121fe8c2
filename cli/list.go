package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
)

const listLong = `Print the history, newest first: when each file was submitted, the file, how
long it plays (? when not recorded), task, endpoint, response format, batch id
and status (the upload's outcome until a
job exists, then the server's status as last checked; ` + "`fwbatch status`" + ` checks
again). Entries hidden in the UI are left out unless --all. Lines of the
history file that cannot be read are reported on stderr in one line, never
dropped; the list is printed anyway.

--json: one object per line with id, time, file, size, duration_s (seconds, or
null), task, endpoint, model, response_format, options, outcome, batch_id, account_id, endpoint_id,
http_status, server_status, status, message, result_path and hidden.
Exit status: 0, or 2 when the history cannot be read.`

const listExample = `fwbatch list
fwbatch list -j | jq -r 'select(.status == "completed") | .batch_id'`

func (r *runner) newListCmd(g *globalFlags) *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "Print the history, newest first",
		Long:    listLong,
		Example: listExample,
		Args:    noArgs,
		RunE: run(func(*cobra.Command, []string) int {
			return r.listCmd(g, asJSON, all)
		}),
	}
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print one JSON object per submission instead of a table")
	cmd.Flags().BoolVar(&all, "all", false, "include hidden entries")
	return cmd
}

// listLine is one line of `list --json`.
type listLine struct {
	ID             string            `json:"id"`
	Time           time.Time         `json:"time"`
	File           string            `json:"file"`
	Size           int64             `json:"size"`
	DurationS      audio.Length      `json:"duration_s"` // null when not recorded
	Task           string            `json:"task"`
	Endpoint       string            `json:"endpoint"`
	Model          string            `json:"model"`
	ResponseFormat string            `json:"response_format"`
	Options        map[string]string `json:"options"`
	Outcome        string            `json:"outcome"`
	BatchID        string            `json:"batch_id"`
	AccountID      string            `json:"account_id"`
	EndpointID     string            `json:"endpoint_id"`
	HTTPStatus     int               `json:"http_status"`
	ServerStatus   string            `json:"server_status"`
	Status         string            `json:"status"` // the Status column
	Message        string            `json:"message"`
	ResultPath     string            `json:"result_path"`
	Hidden         bool              `json:"hidden"`
}

func (r *runner) listCmd(g *globalFlags, asJSON, all bool) int {
	e, err := r.setupCLI(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()
	h, err := r.loadHistory(e)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	var subs []*store.Submission
	for _, s := range h.Submissions() {
		if all || !s.Hidden {
			subs = append(subs, s)
		}
	}
	newestFirst(subs)
	if len(subs) == 0 {
		fmt.Fprintln(r.stderr, termsafe.Line(fmt.Sprintf("fwbatch: no submissions in the history %s yet", e.store.Path())))
		return ExitOK
	}
	if asJSON {
		for _, s := range subs {
			printJSON(r.stdout, listLine{
				ID: s.ID, Time: s.Started.UTC(), File: s.File, Size: s.Size, DurationS: s.Duration, Task: s.Task, Endpoint: s.Endpoint, Model: s.Model,
				ResponseFormat: formatOf(s), Options: s.Options, Outcome: string(s.Outcome),
				BatchID: s.BatchID, AccountID: s.AccountID, EndpointID: s.EndpointID, HTTPStatus: s.HTTPStatus,
				ServerStatus: s.ServerStatus, Status: statusWord(s), Message: s.Message, ResultPath: s.ResultPath, Hidden: s.Hidden,
			})
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBMITTED\tFILE\tLENGTH\tTASK\tENDPOINT\tFORMAT\tBATCH ID\tSTATUS")
	for _, s := range subs {
		status := statusWord(s)
		if s.Hidden {
			status += " (hidden)"
		}
		// Every cell comes from the history file, which anyone may have
		// edited, or from a server: made safe for the terminal.
		cells := []string{s.Started.Local().Format("2006-01-02 15:04"),
			shown(displayName(s)), cost.Length(s.Duration), orDash(s.Task), orDash(s.Endpoint), formatOf(s), orDash(s.BatchID), status}
		for i := range cells {
			cells[i] = termsafe.Line(cells[i])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	return ExitOK
}
