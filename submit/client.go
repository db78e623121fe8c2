// Package submit is fwbatch's client of the Fireworks audio batch API:
// option rules, pre-flight file checks, streaming uploads with progress,
// retries where no duplicate job can result, status checks and result
// decoding. It has no UI code; the contract it implements is
// shared/fireworks-audio-batch-api.md.
package submit

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBaseURL is the batch host of the current docs.
const DefaultBaseURL = "https://audio-batch.api.fireworks.ai"

// Defaults of Config.
const (
	DefaultStallTimeout          = 60 * time.Second
	DefaultResponseHeaderTimeout = 5 * time.Minute
	DefaultReplyTimeout          = time.Minute
	dialTimeout                  = 30 * time.Second
	tlsTimeout                   = 30 * time.Second
	// expectContinueSize: larger uploads ask the server first (Expect:
	// 100-continue), so a wrong key or a refused request is told before a
	// gigabyte goes out. curl does the same from 1 MB.
	expectContinueSize = 1 << 20
	maxSubmitReply     = 1 << 20
	// A status reply carries the whole transcript: a day of diarized
	// verbose_json is tens of MB.
	maxStatusReply = 256 << 20
)

// RetryPolicy bounds automatic retries. Zero fields take the defaults.
type RetryPolicy struct {
	MaxAttempts int           // tries in all, the first included; default 5
	BaseDelay   time.Duration // backoff before the second try, doubled each time; default 1s
	// MaxDelay caps one wait; a Retry-After longer than it ends the
	// retries (the error says when to try again). Default 60s.
	MaxDelay time.Duration
	MaxTotal time.Duration // cap on the sum of all waits; default 5m
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = time.Minute
	}
	if p.MaxTotal <= 0 {
		p.MaxTotal = 5 * time.Minute
	}
	return p
}

// Config configures a Client. Only APIKey is required.
type Config struct {
	BaseURL string // default DefaultBaseURL
	APIKey  string
	// HTTPClient is optional; the default has dial, TLS and response-header
	// timeouts but no total timeout (an upload of 1 GB may take hours).
	// Redirects are never followed, whichever client is used.
	HTTPClient *http.Client
	// ResponseHeaderTimeout bounds the wait for a reply once the upload is
	// sent; used only by the default HTTPClient. Default 5 minutes: past it
	// the outcome is unknown, which is worse than waiting.
	ResponseHeaderTimeout time.Duration
	// ReplyTimeout bounds reading a reply's body once its headers came.
	// Default 1 minute.
	ReplyTimeout time.Duration
	// StallTimeout aborts an upload that made no progress for this long.
	// Default 60s.
	StallTimeout time.Duration
	Retry        RetryPolicy
	// Sleep waits between retries; nil sleeps for real. Tests inject one.
	Sleep     func(ctx context.Context, d time.Duration) error
	UserAgent string // default "fwbatch"
}

// Client talks to the batch API. It is safe for concurrent use.
type Client struct {
	base         string // without a trailing slash
	host         string
	key          string
	hc           *http.Client
	replyTimeout time.Duration
	stall        time.Duration
	retry        RetryPolicy
	sleep        func(context.Context, time.Duration) error
	userAgent    string
}

// NewClient checks cfg and returns a client. Its errors never contain the
// key.
func NewClient(cfg Config) (*Client, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, errors.New("no API key: set FIREWORKS_API_KEY")
	}
	for _, r := range key {
		if r <= ' ' || r >= 0x7f {
			return nil, errors.New("the API key contains spaces or unusual characters: copy FIREWORKS_API_KEY again")
		}
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q: use http(s)://host[:port][/path]; check --base-url (FIREWORKS_BATCH_BASE_URL)", Redact(base, key))
	}
	c := &Client{
		base:         strings.TrimRight(u.String(), "/"),
		host:         u.Host,
		key:          key,
		replyTimeout: cfg.ReplyTimeout,
		stall:        cfg.StallTimeout,
		retry:        cfg.Retry.withDefaults(),
		sleep:        cfg.Sleep,
		userAgent:    cfg.UserAgent,
	}
	if c.replyTimeout <= 0 {
		c.replyTimeout = DefaultReplyTimeout
	}
	if c.stall <= 0 {
		c.stall = DefaultStallTimeout
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	if c.userAgent == "" {
		c.userAgent = "fwbatch"
	}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		c.hc = &hc
	} else {
		c.hc = &http.Client{Transport: newTransport(cfg.ResponseHeaderTimeout)}
	}
	// A redirect would turn the upload into a GET, or carry the key to
	// another host: report it instead.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// newTransport is http.DefaultTransport's setup with our timeouts. It stays
// on HTTP/1.1 (a custom dialer turns HTTP/2 off): each upload gets its own
// TCP connection instead of sharing one, and sends a plain Content-Length.
func newTransport(responseHeader time.Duration) *http.Transport {
	if responseHeader <= 0 {
		responseHeader = DefaultResponseHeaderTimeout
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return bigWriteConn{conn}, nil
		},
		TLSHandshakeTimeout:   tlsTimeout,
		ResponseHeaderTimeout: responseHeader,
		ExpectContinueTimeout: 2 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
	}
}

// uploadChunk is how much of an upload goes to the kernel per write.
const uploadChunk = 256 << 10

var chunkPool = sync.Pool{New: func() any { return new([uploadChunk]byte) }}

// bigWriteConn copies an upload to the connection in uploadChunk pieces.
// net/http hands the request body to the connection's ReadFrom, which for
// a TCP connection and a body that is not a plain file copies 32 KiB at a
// time: a read of the file and a write to the socket each, twice as many
// system calls as curl makes for the same upload.
type bigWriteConn struct{ net.Conn }

func (c bigWriteConn) ReadFrom(r io.Reader) (int64, error) {
	buf := chunkPool.Get().(*[uploadChunk]byte)
	defer chunkPool.Put(buf)
	return io.CopyBuffer(writerOnly{c.Conn}, r, buf[:])
}

// writerOnly hides the connection's own ReadFrom from io.CopyBuffer.
type writerOnly struct{ io.Writer }

// CloseIdleConnections closes the client's idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// BaseURL returns the base URL the client sends to.
func (c *Client) BaseURL() string { return c.base }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Progress reports an upload. It is delivered at most every ~100 ms and
// never concurrently.
type Progress struct {
	Sent, Total int64 // bytes of the request body (Total = its Content-Length)
	Attempt     int   // 1 for the first try
	// RetryIn > 0: waiting that long before try Attempt, because of
	// RetryReason (e.g. "HTTP 429").
	RetryIn     time.Duration
	RetryReason string
}

// Submitted is the API's reply to an accepted submission.
type Submitted struct {
	Status, BatchID, AccountID, EndpointID, Message string
}

// attempt is the result of one try.
type attempt struct {
	err            error
	retry          bool
	retryAfter     time.Duration
	haveRetryAfter bool
	reason         string
}

// retryLoop runs try until it succeeds, fails for good, or the policy runs
// out. before is called before each wait.
func (c *Client) retryLoop(ctx context.Context, op string, try func(n int) attempt, before func(next int, wait time.Duration, reason string)) error {
	var waited time.Duration
	for n := 1; ; n++ {
		a := try(n)
		if a.err == nil || !a.retry {
			return a.err
		}
		giveUp := func() error {
			if n == 1 {
				return a.err
			}
			return &GaveUpError{Attempts: n, Last: a.err}
		}
		if n >= c.retry.MaxAttempts {
			return giveUp()
		}
		var wait time.Duration
		if a.haveRetryAfter {
			if a.retryAfter > c.retry.MaxDelay {
				return giveUp()
			}
			wait = a.retryAfter
		} else {
			wait = backoff(c.retry.BaseDelay, c.retry.MaxDelay, n)
		}
		if waited+wait > c.retry.MaxTotal {
			return giveUp()
		}
		if before != nil {
			before(n+1, wait, a.reason)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return &InterruptedError{Cause: err, Op: op}
		}
		waited += wait
	}
}

// backoff is capped exponential backoff with full jitter: a uniformly random
// wait up to min(max, base·2^(n-1)) after try n.
func backoff(base, maxDelay time.Duration, n int) time.Duration {
	ceiling := maxDelay
	if n-1 < 30 {
		if d := base << (n - 1); d > 0 && d < maxDelay {
			ceiling = d
		}
	}
	return rand.N(ceiling + 1)
}

// netErrText names a network failure without the URL that *url.Error
// repeats.
func netErrText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		dnsErr  *net.DNSError
		certErr *x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed by the server"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "host not found"
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return "TLS certificate problem: " + err.Error()
	case os.IsTimeout(err):
		return "timed out"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	// The innermost error says it best: "connection broken: readfrom tcp
	// a->b: write tcp a->b: X" is X.
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}

// permanentNetErr reports network errors that retrying cannot fix.
func permanentNetErr(err error) bool {
	var (
		dnsErr  *net.DNSError
		certErr *x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
	)
	return (errors.As(err, &dnsErr) && dnsErr.IsNotFound) ||
		errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invErr)
}
