package submit_test

import (
	"context"
	"errors"
	"testing"
	"time"
)

// callDeadline bounds one client call of a test. The faults the fake
// injects (a server that stops reading, headers that never come, a reply
// that trickles) end only because the client's own watchdogs and timeouts
// end them; if one of those broke, the call would wait forever. With this
// deadline the test fails in seconds, naming the call, instead of at go
// test's timeout. The slowest such call takes about two seconds here.
const callDeadline = 10 * time.Second

// bounded returns a context for one call, ending callDeadline from now, and
// a check to run when the call returns: it fails the test, naming what,
// when the deadline is what ended the call.
func bounded(t *testing.T, what string) (context.Context, func()) {
	ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
	return ctx, func() {
		t.Helper()
		defer cancel()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("%s did not return within %s: it hung, and only the test's deadline ended it", what, callDeadline)
		}
	}
}
