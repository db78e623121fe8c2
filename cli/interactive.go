package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/ui"
)

// interactive runs the UI: the root command, with the submission flags as
// the form's defaults.
func (r *runner) interactive(cmd *cobra.Command, g *globalFlags, o *optionFlags, paths []string) int {
	for _, p := range paths {
		// A mistyped command lands here as a path: say which command it
		// looks like.
		if _, err := os.Stat(p); os.IsNotExist(err) && !strings.ContainsRune(p, filepath.Separator) {
			if s := cmd.SuggestionsFor(p); len(s) > 0 {
				return r.fail(ExitUsage, "%s: no such file or folder, nor a command; did you mean `fwbatch %s`?", p, s[0])
			}
		}
	}
	if !term.IsTerminal(r.stdin.Fd()) || !isTerminal(r.stdout) {
		return r.fail(ExitUsage, "the interactive UI needs a terminal: use `ssh -t host fwbatch`, or `fwbatch submit FILE...` in scripts")
	}
	startDir, startFiles, err := splitPaths(paths)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	e, err := r.setup(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()
	if g.demo && len(paths) == 0 {
		// Beside the demo's history: the demo never writes anywhere else.
		if startDir, err = unpackDemoRecordings(filepath.Join(filepath.Dir(e.store.Path()), "recordings")); err != nil {
			return r.fail(ExitUsage, "%v", err)
		}
	}

	deps := ui.Deps{
		Store:       e.store,
		Client:      e.client,
		APIKey:      e.apiKey,
		BaseURL:     e.baseURL,
		Demo:        g.demo,
		StartDir:    startDir,
		StartFiles:  startFiles,
		Defaults:    o.apply(cmd.Flags(), e.defaults()),
		Remember:    e.remember,
		SaveKey:     e.saveKey,
		ConfigPath:  e.cfgPath,
		Concurrency: o.concurrency,
		Force:       o.force,
	}
	// A bad price leaves the form without an estimate, saying why; it
	// never keeps the UI from submitting.
	if deps.Prices, err = e.cfg.priceTable(e.cfgPath); err != nil {
		deps.PricesProblem = err.Error()
	}
	if g.demo {
		// The demo's choices are the demo's: they never become the real
		// form defaults of the config file.
		deps.SaveKey, deps.Remember = nil, nil
		deps.PollFirst = 2 * time.Second
		deps.PollMax = 4 * time.Second
	}
	if r.getenv("FWBATCH_POLL_INTERVAL") != "" {
		d, err := pollInterval(r.getenv)
		if err != nil {
			return r.fail(ExitUsage, "%v", err)
		}
		deps.PollFirst, deps.PollMax = d, 2*d
	}
	opts := ui.Options{Plain: r.getenv("TERM") == "dumb", NoColor: r.getenv("NO_COLOR") != "", Debug: e.debug}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := ui.NewProgram(ctx, deps, opts, r.stdin, r.stdout)

	// SIGHUP (the SSH link dropped): the screen is gone, the uploads are not;
	// they finish and record their outcomes, then the process exits.
	// SIGINT/SIGTERM: cancel the uploads, record them as interrupted, exit.
	// The uploads are cancelled here too, not only by the program: after a
	// SIGHUP (a logout: hang-up, then SIGTERM) no program is left to do it.
	// Room for each signal: a logout sends SIGHUP and SIGTERM back to back,
	// and a signal that finds the channel full is lost.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var interrupted atomic.Bool // a signal cancelled uploads that were running
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGHUP:
				// Giving the terminal back may wait on it; a SIGTERM right
				// behind must not.
				go p.Kill()
			default:
				if p.Uploading() {
					interrupted.Store(true)
				}
				p.CancelUploads()
				p.Interrupt()
			}
		}
	}()

	_, runErr := p.Run()
	p.WaitUploads()
	switch {
	case runErr != nil && runErr != context.Canceled && !isKilled(runErr):
		fmt.Fprintf(r.stderr, "fwbatch: %v\n", runErr)
		return ExitFailed
	case interrupted.Load(), p.InterruptedUploads():
		return ExitFailed // as `fwbatch submit`: uploads were interrupted
	}
	return ExitOK
}

// splitPaths reads the UI's PATH arguments: one folder to browse, or files.
func splitPaths(paths []string) (dir string, files []string, err error) {
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %v", p, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %v", p, describeStat(err))
		}
		if fi.IsDir() {
			if dir != "" || len(paths) > 1 {
				return "", nil, fmt.Errorf("%s: give one folder to browse, or audio files, not both", p)
			}
			dir = abs
			continue
		}
		files = append(files, abs)
	}
	return dir, files, nil
}

func describeStat(err error) string {
	if os.IsNotExist(err) {
		return "no such file or folder"
	}
	if os.IsPermission(err) {
		return "permission denied"
	}
	return err.Error()
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func isKilled(err error) bool { return errors.Is(err, tea.ErrProgramKilled) }
