package cli

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// cancelOnSignals cancels a command's run on SIGINT or SIGTERM (uploads in
// flight are recorded as interrupted; the signals' default action is back,
// so a second one ends the process at once) and ignores SIGHUP and SIGPIPE,
// so that a dropped SSH link or a closed pipe never stops an upload: its
// outcome still lands in the history. cmd names the command in the debug
// log; note says stopping, then what becomes of the uploads, to the user.
func cancelOnSignals(e *env, cmd string, cancel context.CancelFunc, note func(format string, args ...any), stopping string) (stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-quit:
				return
			case s := <-sigs:
				switch s {
				case syscall.SIGHUP, syscall.SIGPIPE:
					e.logf("%s: %v ignored; the uploads carry on", cmd, s)
				default:
					e.logf("%s: %v: stopping", cmd, s)
					signal.Reset(syscall.SIGINT, syscall.SIGTERM)
					note("%v: %s (again to quit at once)", s, stopping)
					cancel()
				}
			}
		}
	})
	return func() {
		signal.Stop(sigs)
		close(quit)
		wg.Wait()
	}
}
