package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/keytest"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// noKeyPiece fails when 8 or more characters of the key show in s.
func noKeyPiece(t *testing.T, what, s string) {
	t.Helper()
	if piece := keytest.Piece(canary, s, 8); piece != "" {
		t.Errorf("%s holds %q, part of the key:\n%s", what, piece, s)
	}
}

// TestKeyEchoedAtAnOffset: a server that echoes the key deep in a long
// message leaks none of it to stdout, stderr, the history or the debug log,
// wherever the message is cut.
func TestKeyEchoedAtAnOffset(t *testing.T) {
	t.Parallel()
	for _, offset := range []string{"0", "175", "190", "199"} {
		t.Run(offset, func(t *testing.T) {
			h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "1:echo-key="+offset+",s1:echo-key="+offset)})
			first := h.run("submit", h.audio("hello.wav", "refused.wav"))
			ok := h.submitted(h.audio("hello.wav", "ok.wav"))[1]
			checked := h.run("status", ok.BatchID)
			if first.code != 1 || checked.code != 1 {
				t.Errorf("exit %d and %d, want 1 and 1", first.code, checked.code)
			}
			contains(t, "submit's stderr", first.errOut, "HTTP 401")
			contains(t, "status's stderr", checked.errOut, "HTTP 401")
			for what, s := range map[string]string{"submit's stdout": first.out, "submit's stderr": first.errOut,
				"status's stdout": checked.out, "status's stderr": checked.errOut} {
				noKeyPiece(t, what, s)
			}
			for _, f := range []string{h.hist, h.debug} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				noKeyPiece(t, f, string(data))
			}
		})
	}
}

// TestUnconfirmedJobBecomesNotFound: a reply that names a batch id with
// another status than "submitted" is unknown, with the id printed and
// recorded; status checks it, the server does not know it, and it is "not
// found" from then on, in status, list and their --json, until asked again.
func TestUnconfirmedJobBecomesNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "1:not-submitted,2:not-submitted-noid")})
	file := h.audio("hello.wav", "talk.wav")
	res := h.run("submit", file)
	sub := h.only()
	if res.code != 1 || sub.Outcome != store.OutcomeUnknown || sub.BatchID == "" || sub.AccountID != "fake-account" {
		t.Fatalf("exit %d, recorded %+v", res.code, sub)
	}
	contains(t, "stdout", oneLine(t, "stdout", res.out), file+" unknown batch_id="+sub.BatchID+" account_id=fake-account endpoint_id=audio-prod: ",
		`HTTP 200: the server answered status "error", not "submitted": could not queue the request`, "resubmitting may create a duplicate")

	res = h.run("submit", h.audio("hello.wav", "refused.wav"))
	contains(t, "stdout", oneLine(t, "stdout", res.out), "refused.wav failed: HTTP 200: the server answered status \"error\"", "no batch id came back")

	res = h.run("list")
	contains(t, "list", res.out, sub.BatchID+"  unknown")

	// status without IDs checks it: the fake made no job.
	res = h.run("status")
	if res.code != 1 || oneLine(t, "stdout", res.out) != "talk.wav not found batch_id="+sub.BatchID+": HTTP 404: batch job "+sub.BatchID+" not found" {
		t.Errorf("status: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", res.errOut, "talk.wav (batch "+sub.BatchID+"): not found", "`fwbatch status "+sub.BatchID+"` asks again")
	evs := statusEvents(h.events(), sub.ID)
	if len(evs) != 1 || evs[0].HTTPStatus != 404 || evs[0].Status != "" {
		t.Errorf("status events %+v", evs)
	}
	res = h.run("list")
	contains(t, "list", res.out, sub.BatchID+"  not found")
	res = h.run("list", "--json")
	var l listLine
	if err := json.Unmarshal([]byte(lines(t, res.out)[1]), &l); err != nil || l.Status != "not found" || l.BatchID != sub.BatchID {
		t.Errorf("list --json: %+v %v\n%s", l, err, res.out)
	}

	// Not checked again unasked; asked, it is.
	n := h.fake.StatusCount()
	res = h.run("status")
	if res.code != 0 || !strings.Contains(res.errOut, "no pending jobs") || h.fake.StatusCount() != n {
		t.Errorf("status without IDs: exit %d, %q, %d requests", res.code, res.errOut, h.fake.StatusCount()-n)
	}
	res = h.run("status", "--json", sub.BatchID)
	var sl statusLine
	if err := json.Unmarshal([]byte(oneLine(t, "stdout", res.out)), &sl); err != nil || sl.State != "not found" || sl.Status != "" || h.fake.StatusCount() != n+1 {
		t.Errorf("status --json: %+v %v, %d requests", sl, err, h.fake.StatusCount()-n)
	}
	if len(statusEvents(h.events(), sub.ID)) != 1 {
		t.Error("the same 404 was recorded twice")
	}
}

// TestStatusSilentServer: a server that takes status requests and never
// answers ends a check after 3 tries, saying it timed out.
func TestStatusSilentServer(t *testing.T) {
	// Not parallel: it changes the client configuration of every command (clientConfig).
	defer func(old func(*submit.Config)) { clientConfig = old }(clientConfig)
	old := clientConfig
	clientConfig = func(c *submit.Config) {
		old(c)
		c.Retry.MaxAttempts = 5 // uploads' tries; status stops at 3
		c.StatusHeaderTimeout = 50 * time.Millisecond
	}
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "s*:hang")})
	sub := h.submitted(h.audio("hello.wav", "talk.wav"))[0]
	res := h.run("status", sub.BatchID)
	if res.code != 1 || res.out != "" {
		t.Errorf("exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "stderr", res.errOut), "talk.wav (batch "+sub.BatchID+"): network error checking the status",
		"no reply headers in time (50ms) (gave up after 3 tries)")
	if strings.Contains(res.errOut, "interrupted") {
		t.Errorf("says interrupted: %s", res.errOut)
	}
	if n := h.fake.StatusCount(); n != 3 {
		t.Errorf("%d status requests, want 3", n)
	}
}

// TestUntrustedCertificate: an https server whose certificate is not
// trusted fails at once, saying so and what to do.
func TestUntrustedCertificate(t *testing.T) {
	// Not parallel: it reads the retry waits of every client (takeSleeps).
	h := newHarness(t, fakeapi.Config{TLS: true})
	file := h.audio("hello.wav", "talk.wav")
	res := h.run("submit", file)
	if res.code != 1 {
		t.Errorf("exit %d", res.code)
	}
	contains(t, "stderr", oneLine(t, "stderr", res.errOut), "TLS certificate not trusted", "set SSL_CERT_FILE")
	if waits := takeSleeps(); len(waits) != 0 || h.fake.SubmitCount() != 0 {
		t.Errorf("waits %v, %d submits reached the fake", waits, h.fake.SubmitCount())
	}
	if sub := h.only(); sub.Outcome != store.OutcomeFailed || !strings.Contains(sub.Message, "TLS certificate not trusted") {
		t.Errorf("recorded %+v", sub)
	}
}

// TestOddReplyIsSaid: a reply usable despite something odd in it (a number
// where the API gives a string) is a submission, and what was odd is said:
// on stderr and in --json by submit, on sync's line, and in the history.
func TestOddReplyIsSaid(t *testing.T) {
	t.Parallel()
	const odd = "odd reply: account_id is a number, not a string"
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "1:typed-fields,2:typed-fields")})
	res := h.run("submit", "--json", h.audio("hello.wav", "odd.wav"))
	if res.code != 0 {
		t.Fatalf("submit: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	contains(t, "submit's stderr", res.errOut, "odd.wav: submitted, but "+odd)
	contains(t, "submit --json", res.out, `"note":"`+odd)
	if subs := h.subs(); len(subs) != 1 || !strings.Contains(subs[0].Message, odd) {
		t.Fatalf("the history does not keep what was odd: %+v", subs)
	}

	dir := filepath.Dir(h.recordings("rec", 1)[0])
	res = h.run("sync", dir)
	if res.code != 0 {
		t.Fatalf("sync: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	contains(t, "sync's line", res.out, " submitted batch_id=")
	contains(t, "sync's line", res.out, odd)
}

// TestUserAgentNamesTheVersion: requests say which fwbatch sent them, "dev"
// for a build without a version (never a bare "fwbatch/").
func TestUserAgentNamesTheVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	h.submitted(h.audio("hello.wav", "ua.wav"))
	reqs := h.fake.Requests()
	if len(reqs) != 1 || reqs[0].Header.Get("User-Agent") != "fwbatch/"+buildInfo().version || buildInfo().version == "" {
		t.Fatalf("User-Agent %q, want fwbatch/%s", reqs[0].Header.Get("User-Agent"), buildInfo().version)
	}
}
