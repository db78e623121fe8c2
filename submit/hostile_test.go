package submit_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/keytest"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// The cases in this file come from trying fwbatch against network parts
// nobody on the project wrote: nginx, squid, tinyproxy, TLS with private
// CAs. Each runs against the fake, with the fault that imitates it.

// noKeyPiece fails when any 8 characters of the key show in s: a key cut
// short is still a secret.
func noKeyPiece(t *testing.T, what, s string) {
	t.Helper()
	if piece := keytest.Piece(canary, s, 8); piece != "" {
		t.Errorf("%s holds %q, part of the key: %s", what, piece, s)
	}
}

// TestKeyEchoedAtAnOffset: a server that echoes the key deep inside a long
// message must not leak any of it, wherever the message is cut.
func TestKeyEchoedAtAnOffset(t *testing.T) {
	// The message is cut at 200 characters: the key straddles the cut at
	// 190, and is past it at 200.
	for _, offset := range []string{"0", "60", "175", "190", "199", "200", "1000"} {
		t.Run("submit at "+offset, func(t *testing.T) {
			fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:echo-key="+offset)})
			c, _ := newClient(t, fake.URL(), nil)
			st := openStore(t)
			var done submit.BatchEvent
			c.RunBatch(context.Background(), st, []submit.BatchItem{{File: fixture("hello.wav")}}, 1, func(ev submit.BatchEvent) {
				if ev.Type == submit.EventDone {
					done = ev
				}
			})
			checkMessage(t, done.Err, "HTTP 401", "check FIREWORKS_API_KEY")
			noKeyPiece(t, "the error", done.Err.Error())
			h, err := st.Load()
			if err != nil {
				t.Fatal(err)
			}
			sub := h.Submissions()[0]
			if sub.Outcome != store.OutcomeFailed || !strings.Contains(sub.Message, "HTTP 401") {
				t.Errorf("history: %s %q", sub.Outcome, sub.Message)
			}
			noKeyPiece(t, "the history", sub.Message)
		})
		t.Run("status at "+offset, func(t *testing.T) {
			fake := startFake(t, fakeapi.Config{Faults: faults(t, "s1:echo-key="+offset)})
			c, _ := newClient(t, fake.URL(), nil)
			_, err := c.Status(context.Background(), "fake-account", "b1")
			checkMessage(t, err, "HTTP 401")
			noKeyPiece(t, "the error", err.Error())
		})
	}
}

// TestOddSubmitReplies: replies that are odd but name a batch id are
// submissions; what was odd is said, and the job can be checked.
func TestOddSubmitReplies(t *testing.T) {
	tests := []struct {
		fault, odd string
	}{
		{"typed-fields", "account_id is a number, not a string; message is an object, not a string"},
		{"numeric-id", "batch_id is a number, not a string"},
		{"bom", "a byte-order mark before the JSON"},
		{"trailing", "bytes after the JSON (ignored)"},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:"+tt.fault)})
			c, _ := newClient(t, fake.URL(), nil)
			sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			jobs := fake.Jobs()
			if len(jobs) != 1 || sub.BatchID != jobs[0].BatchID || sub.AccountID != jobs[0].AccountID {
				t.Fatalf("reply %+v, the fake's jobs %+v", sub, jobs)
			}
			if !strings.Contains(sub.Odd, tt.odd) {
				t.Errorf("Odd = %q, want it to say %q", sub.Odd, tt.odd)
			}
			job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
			if err != nil || job.State() != submit.Completed {
				t.Errorf("checking the job: %+v, %v", job, err)
			}
		})
	}
	t.Run("status replies", func(t *testing.T) {
		for _, f := range []string{"bom", "trailing"} {
			fake := startFake(t, fakeapi.Config{Faults: faults(t, "s1:"+f)})
			c, _ := newClient(t, fake.URL(), nil)
			sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
			if err != nil || job.State() != submit.Completed || !job.HasBody {
				t.Errorf("%s: %+v, %v", f, job, err)
			}
		}
	})
}

// TestNotSubmitted: only "submitted" is a submission. Another status with a
// batch id is unknown, and the id comes back to be recorded; without one,
// the file failed.
func TestNotSubmitted(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:not-submitted,2:not-submitted-noid=rejected")})
	c, sl := newClient(t, fake.URL(), nil)

	sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	var unknown *submit.UnknownOutcomeError
	if !errors.As(err, &unknown) || submit.OutcomeOf(err) != store.KindUnknown {
		t.Fatalf("error %T %v, want unknown", err, err)
	}
	checkMessage(t, err, `HTTP 200: the server answered status "error", not "submitted": could not queue the request`,
		"the reply named batch id "+unknown.BatchID)
	if sub == nil || sub.BatchID == "" || sub.BatchID != unknown.BatchID || sub.AccountID != "fake-account" || sub.Status != "error" {
		t.Fatalf("reply %+v: want the batch id it named", sub)
	}
	// The fake made no job: a check says so.
	_, err = c.Status(context.Background(), sub.AccountID, sub.BatchID)
	checkMessage(t, err, "HTTP 404", "no such batch job")

	sub, err = c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	var refused *submit.RefusedError
	if !errors.As(err, &refused) || submit.OutcomeOf(err) != store.KindFailed || sub != nil {
		t.Fatalf("%+v, %T %v: want a refusal", sub, err, err)
	}
	checkMessage(t, err, `HTTP 200: the server answered status "rejected": could not queue the request`, "no batch id came back")
	if submit.HTTPStatusOf(err) != 200 {
		t.Errorf("HTTPStatusOf = %d", submit.HTTPStatusOf(err))
	}
	if fake.SubmitCount() != 2 || len(sl.waits()) != 0 || len(fake.Jobs()) != 0 {
		t.Errorf("%d submits, waits %v, %d jobs: want 2, none, none", fake.SubmitCount(), sl.waits(), len(fake.Jobs()))
	}
}

// TestDamagedReplyKeepsTheBatchID: a reply cut short after its batch_id
// still names the job.
func TestDamagedReplyKeepsTheBatchID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"batch_id":9007199254740993,"account_id":"acct","status":"submitted","message":"cut sh`))
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL, nil)
	sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	checkMessage(t, err, "not valid JSON", "the reply named batch id 9007199254740993")
	if sub == nil || sub.BatchID != "9007199254740993" || sub.AccountID != "acct" {
		t.Errorf("reply %+v", sub)
	}
}

// TestResetBeforeTheBodyIsRead: a small upload fits in the socket buffers,
// so all of it is "sent" before the server resets. No reply byte came: the
// server did not take it, so it is retried.
func TestResetBeforeTheBodyIsRead(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:reset-early")})
	c, sl := newClient(t, fake.URL(), nil)
	sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	if err != nil || sub.BatchID == "" {
		t.Fatalf("Submit = %+v, %v", sub, err)
	}
	if fake.SubmitCount() != 2 || len(sl.waits()) != 1 || len(fake.Jobs()) != 1 {
		t.Errorf("%d submits, waits %v, %d jobs: want 2, one, 1", fake.SubmitCount(), sl.waits(), len(fake.Jobs()))
	}

	fake = startFake(t, fakeapi.Config{Faults: faults(t, "*:reset-early")})
	c, sl = newClient(t, fake.URL(), nil)
	_, err = c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	checkMessage(t, err, "connection reset by the server", "gave up after 3 tries", "nothing was submitted")
	if submit.OutcomeOf(err) != store.KindFailed || len(sl.waits()) != 2 {
		t.Errorf("outcome %s, waits %v", submit.OutcomeOf(err), sl.waits())
	}
}

// tlsFake starts the fake on TLS with its own certificate.
func tlsFake(t *testing.T, cfg fakeapi.Config) *fakeapi.Server {
	cfg.TLS = true
	return startFake(t, cfg)
}

// trusting returns a client config change that trusts fake's certificate.
func trusting(t *testing.T, fake *fakeapi.Server) func(*submit.Config) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(fake.CertPEM()) {
		t.Fatal("the fake's certificate does not parse")
	}
	return func(c *submit.Config) {
		c.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
}

// TestUnfixableConnections: what no retry can fix fails at once, naming the
// cause and what to do.
func TestUnfixableConnections(t *testing.T) {
	var connErr *submit.ConnError
	tlsAPI := tlsFake(t, fakeapi.Config{})
	plainAPI := startFake(t, fakeapi.Config{})
	closed := closedPort(t)
	authProxy := &fakeapi.Proxy{Credentials: "me:secret"}
	authProxySrv := httptest.NewServer(authProxy)
	t.Cleanup(authProxySrv.Close)
	proxyURL := func(u string) func(*submit.Config) {
		return func(c *submit.Config) {
			p, _ := url.Parse(u)
			c.Proxy = http.ProxyURL(p)
		}
	}
	tests := []struct {
		name, base string
		client     func(*submit.Config)
		msg        []string
		status     int
		// retries allowed: Go's TLS server answers plain HTTP with a 400
		// and closes at once, and when its reset reaches the client before
		// the client read that 400 (the upload was still going out), the
		// kernel drops the 400: a reset before any reply, which is retried.
		retries int
	}{
		{name: "untrusted certificate", base: tlsAPI.URL(),
			msg: []string{"TLS certificate not trusted: x509: certificate signed by unknown authority", "set SSL_CERT_FILE"}},
		{name: "https to a plain-HTTP port", base: strings.Replace(plainAPI.URL(), "http:", "https:", 1),
			msg: []string{"does not speak TLS on this port", "use http:// in --base-url"}},
		{name: "http to a TLS port", base: strings.Replace(tlsAPI.URL(), "https:", "http:", 1), status: 400, retries: 1,
			msg: []string{"the server speaks HTTPS on this port", "use https:// in --base-url"}},
		{name: "proxy wants credentials (CONNECT)", base: tlsAPI.URL(), client: proxyURL(authProxySrv.URL), status: 407,
			msg: []string{"proxy " + authProxySrv.URL + " (HTTPS_PROXY) refused: 407 Proxy Authentication Required", "user and password in HTTPS_PROXY"}},
		{name: "proxy wants credentials (plain HTTP)", base: plainAPI.URL(), client: proxyURL(authProxySrv.URL), status: 407,
			msg: []string{"proxy " + authProxySrv.URL + " (HTTP_PROXY) refused: 407 Proxy Authentication Required"}},
		{name: "proxy down", base: tlsAPI.URL(), client: proxyURL("http://user:hunter2@" + closed),
			msg: []string{"proxy http://" + closed + " (HTTPS_PROXY) unreachable: connection refused", "check HTTPS_PROXY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tlsAPI.SubmitCount() + plainAPI.SubmitCount()
			c, sl := newClient(t, tt.base, tt.client)
			_, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
			checkMessage(t, err, tt.msg...)
			if !errors.As(err, &connErr) || submit.OutcomeOf(err) != store.KindFailed || submit.HTTPStatusOf(err) != tt.status {
				t.Errorf("error %T, outcome %s, HTTP %d: want a ConnError, failed, %d", err, submit.OutcomeOf(err), submit.HTTPStatusOf(err), tt.status)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the proxy's password shows: %v", err)
			}
			_, serr := c.Status(context.Background(), "fake-account", "b1")
			checkMessage(t, serr, tt.msg[0])
			if n := len(sl.waits()); n > tt.retries {
				t.Errorf("%d retries, want at most %d", n, tt.retries)
			}
			if n := tlsAPI.SubmitCount() + plainAPI.SubmitCount() - before; n != 0 {
				t.Errorf("%d submits reached the API", n)
			}
		})
	}
	t.Run("trusted certificate and proxy credentials work", func(t *testing.T) {
		c, _ := newClient(t, tlsAPI.URL(), trusting(t, tlsAPI))
		if _, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil); err != nil {
			t.Error(err)
		}
		u, _ := url.Parse(authProxySrv.URL)
		u.User = url.UserPassword("me", "secret")
		c, _ = newClient(t, plainAPI.URL(), proxyURL(u.String()))
		if _, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil); err != nil {
			t.Error(err)
		}
	})
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestExpectRefused: a 417 to Expect: 100-continue is tried once more
// without it, whether the fake or a proxy in front refuses it.
func TestExpectRefused(t *testing.T) {
	file := bigFile(t, 2<<20) // above the size that sends Expect
	t.Run("fault", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "*:417")})
		c, _ := newClient(t, fake.URL(), nil)
		if _, err := c.Submit(context.Background(), file, submit.Options{}, nil); err != nil {
			t.Fatal(err)
		}
		reqs := fake.Requests()
		if len(reqs) != 2 || reqs[0].Status != 417 || reqs[0].Header.Get("Expect") == "" || reqs[1].Header.Get("Expect") != "" || reqs[1].Status != 200 {
			t.Errorf("requests: %d; want a 417 to Expect, then one without it", len(reqs))
		}
	})
	t.Run("proxy", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{})
		proxy := &fakeapi.Proxy{RejectExpect: true}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		c, _ := newClient(t, fake.URL(), func(c *submit.Config) {
			u, _ := url.Parse(srv.URL)
			c.Proxy = http.ProxyURL(u)
		})
		if _, err := c.Submit(context.Background(), file, submit.Options{}, nil); err != nil {
			t.Fatal(err)
		}
		if seen := proxy.Seen(); len(seen) != 2 || !strings.HasSuffix(seen[0], "Expectation Failed") || fake.SubmitCount() != 1 {
			t.Errorf("the proxy saw %q, the fake %d submits", seen, fake.SubmitCount())
		}
	})
}

// TestRefusalsInFront: a proxy's small body limit and a moved server say
// what happened.
func TestRefusalsInFront(t *testing.T) {
	t.Run("413 from a proxy", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{})
		srv := httptest.NewServer(&fakeapi.Proxy{MaxBody: 1 << 20})
		t.Cleanup(srv.Close)
		c, _ := newClient(t, fake.URL(), func(c *submit.Config) {
			u, _ := url.Parse(srv.URL)
			c.Proxy = http.ProxyURL(u)
		})
		_, err := c.Submit(context.Background(), bigFile(t, 2<<20), submit.Options{}, nil)
		checkMessage(t, err, "HTTP 413", "the server refused the size (HTTP 413 from "+strings.TrimPrefix(fake.URL(), "http://")+" through proxy "+srv.URL)
		if strings.Contains(err.Error(), "over the API's 1 GB limit") {
			t.Errorf("blames the API's limit: %v", err)
		}
	})
	t.Run("413 page", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:413-proxy")})
		c, _ := newClient(t, fake.URL(), nil)
		_, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
		checkMessage(t, err, "HTTP 413: 413 Request Entity Too Large nginx", "the server refused the size")
	})
	for _, code := range []string{"301", "308"} {
		t.Run(code, func(t *testing.T) {
			fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:"+code+",s1:"+code+"=https://elsewhere.example/v2")})
			c, sl := newClient(t, fake.URL(), nil)
			_, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
			checkMessage(t, err, "HTTP "+code+": redirected to https://audio-batch.api.fireworks.ai/v1/audio/transcriptions?endpoint_id=audio-prod",
				"does not follow redirects")
			_, err = c.Status(context.Background(), "fake-account", "b1")
			checkMessage(t, err, "HTTP "+code+": redirected to https://elsewhere.example/v2")
			if fake.SubmitCount() != 1 || fake.StatusCount() != 1 || len(sl.waits()) != 0 {
				t.Errorf("%d submits, %d status checks, waits %v", fake.SubmitCount(), fake.StatusCount(), sl.waits())
			}
		})
	}
}

// TestStatusReplies: the time limits of a status check, and replies it
// must refuse.
func TestStatusReplies(t *testing.T) {
	submitted := func(t *testing.T, fake *fakeapi.Server, c *submit.Client) *submit.Submitted {
		sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{ResponseFormat: "text"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	t.Run("a reply trickling for longer than the idle timeout is read", func(t *testing.T) {
		// A byte every 2 ms or more: ~280 bytes take longer than the idle
		// timeout, which is generous for a loaded machine's pauses.
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "s1:trickle"), TrickleEvery: 2 * time.Millisecond})
		c, _ := newClient(t, fake.URL(), func(c *submit.Config) { c.ReplyIdleTimeout = 500 * time.Millisecond })
		sub := submitted(t, fake, c)
		start := time.Now()
		job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
		if err != nil || job.State() != submit.Completed || !job.HasBody {
			t.Fatalf("%+v, %v", job, err)
		}
		// Not a timing assertion: the reply is long enough that a total
		// deadline of the idle timeout would have cut it.
		if took := time.Since(start); took < 500*time.Millisecond {
			t.Fatalf("the reply took %s: too short to tell an idle timeout from a total one", took)
		}
		if fake.StatusCount() != 1 {
			t.Errorf("%d status requests, want 1", fake.StatusCount())
		}
	})
	t.Run("headers that never come: 3 tries, then says it timed out", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "s*:hang")})
		c, sl := newClient(t, fake.URL(), func(c *submit.Config) {
			c.StatusHeaderTimeout = 50 * time.Millisecond
			c.Retry.MaxAttempts = 5 // the policy of uploads; status checks stop at 3
		})
		_, err := c.Status(context.Background(), "fake-account", "b1")
		checkMessage(t, err, "no reply headers in time (50ms)", "gave up after 3 tries", "check the network")
		if strings.Contains(err.Error(), "interrupted") || strings.Contains(err.Error(), "submitted") {
			t.Errorf("message: %v", err)
		}
		if fake.StatusCount() != 3 || len(sl.waits()) != 2 {
			t.Errorf("%d status requests, waits %v: want 3 and 2", fake.StatusCount(), sl.waits())
		}
	})
	t.Run("a reply that stalls every time", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "s*:stall-reply")})
		c, _ := newClient(t, fake.URL(), func(c *submit.Config) { c.ReplyIdleTimeout = 50 * time.Millisecond })
		sub := submitted(t, fake, c)
		_, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
		checkMessage(t, err, "HTTP 200: reply stalled (no byte for 50ms)", "gave up after 3 tries")
	})
	t.Run("a reply about another batch id is refused", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "s1:other-batch")})
		c, _ := newClient(t, fake.URL(), nil)
		sub := submitted(t, fake, c)
		job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
		checkMessage(t, err, "status reply is about batch ", "not "+sub.BatchID+": refused")
		if job != nil || fake.StatusCount() != 1 {
			t.Errorf("job %+v after %d requests", job, fake.StatusCount())
		}
	})
	t.Run("a deadline says the check timed out", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "s*:hang")})
		c, _ := newClient(t, fake.URL(), nil)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Status(ctx, "fake-account", "b1")
		checkMessage(t, err, "the status check timed out")
	})
}
