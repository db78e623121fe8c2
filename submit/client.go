// Package submit is fwbatch's client of the Fireworks audio batch API:
// option rules, pre-flight file checks, streaming uploads with progress,
// retries where no duplicate job can result, status checks and result
// decoding. It has no UI code; the contract it implements is
// shared/fireworks-audio-batch-api.md.
package submit

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultBaseURL is the batch host of the current docs.
const DefaultBaseURL = "https://audio-batch.api.fireworks.ai"

// Defaults of Config.
const (
	DefaultStallTimeout          = 60 * time.Second
	DefaultResponseHeaderTimeout = 5 * time.Minute
	DefaultStatusHeaderTimeout   = 30 * time.Second
	DefaultReplyIdleTimeout      = time.Minute
	dialTimeout                  = 30 * time.Second
	tlsTimeout                   = 30 * time.Second
	// statusAttempts caps the tries of one status check: a GET is small,
	// and a server that takes it but never answers must not keep `fwbatch
	// status` silent for long. --wait and the UI wait between checks.
	statusAttempts = 3
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
	// StatusHeaderTimeout bounds the wait for a status reply's headers, from
	// the request's start. Default 30 s.
	StatusHeaderTimeout time.Duration
	// ReplyIdleTimeout ends the reading of a reply's body after this long
	// without a byte. There is no total deadline: a status reply carries
	// the transcript, which may take minutes over a slow link. Default 1
	// minute.
	ReplyIdleTimeout time.Duration
	// Proxy picks the proxy for a request, as http.Transport.Proxy does;
	// default http.ProxyFromEnvironment (HTTPS_PROXY, HTTP_PROXY,
	// NO_PROXY). Used by the default HTTPClient, and to name the proxy in
	// errors.
	Proxy func(*http.Request) (*url.URL, error)
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
	base          string // without a trailing slash
	host          string
	proxyEnv      string // the variable that names the proxy for base
	key           string
	hc            *http.Client
	proxy         func(*http.Request) (*url.URL, error)
	statusHeaders time.Duration
	replyIdle     time.Duration
	stall         time.Duration
	retry         RetryPolicy
	sleep         func(context.Context, time.Duration) error
	userAgent     string
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
		base:          strings.TrimRight(u.String(), "/"),
		host:          u.Host,
		proxyEnv:      "HTTPS_PROXY",
		key:           key,
		proxy:         cfg.Proxy,
		statusHeaders: cmp.Or(cfg.StatusHeaderTimeout, DefaultStatusHeaderTimeout),
		replyIdle:     cmp.Or(cfg.ReplyIdleTimeout, DefaultReplyIdleTimeout),
		stall:         cfg.StallTimeout,
		retry:         cfg.Retry.withDefaults(),
		sleep:         cfg.Sleep,
		userAgent:     cfg.UserAgent,
	}
	if u.Scheme == "http" {
		c.proxyEnv = "HTTP_PROXY"
	}
	if c.proxy == nil {
		c.proxy = http.ProxyFromEnvironment
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
		if t, ok := hc.Transport.(*http.Transport); ok && cfg.Proxy == nil {
			c.proxy = t.Proxy // nil: no proxy
		}
	} else {
		c.hc = &http.Client{Transport: newTransport(cfg.ResponseHeaderTimeout, c.proxy)}
	}
	// A redirect would turn the upload into a GET, or carry the key to
	// another host: report it instead.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// newTransport is http.DefaultTransport's setup with our timeouts. It stays
// on HTTP/1.1 (a custom dialer turns HTTP/2 off): each upload gets its own
// TCP connection instead of sharing one, and sends a plain Content-Length.
func newTransport(responseHeader time.Duration, proxy func(*http.Request) (*url.URL, error)) *http.Transport {
	if responseHeader <= 0 {
		responseHeader = DefaultResponseHeaderTimeout
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: proxy,
		// A proxy that refuses CONNECT (407 above all) would otherwise be
		// a bare error string: make it one that names the proxy.
		OnProxyConnectResponse: func(_ context.Context, proxyURL *url.URL, _ *http.Request, resp *http.Response) error {
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			return &proxyRefusal{proxy: proxyURL, status: resp.Status}
		},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &conn{Conn: c}, nil
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

// conn is a client connection that copies uploads in big pieces and
// remembers whether the peer reset it.
//
// Big pieces: net/http hands the request body to the connection's
// ReadFrom, which for a TCP connection and a body that is not a plain file
// copies 32 KiB at a time: a read of the file and a write to the socket
// each, twice as many system calls as curl makes for the same upload.
//
// The reset: it decides whether an upload is retried, and net/http's error
// does not always tell it. Once its reader sees ECONNRESET it closes the
// connection, and the writer's "use of closed network connection" is what
// the round trip returns.
type conn struct {
	net.Conn
	reset atomic.Bool
}

func (c *conn) note(err error) {
	if err != nil && isReset(err) {
		c.reset.Store(true)
	}
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.note(err)
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.note(err)
	return n, err
}

func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	buf := chunkPool.Get().(*[uploadChunk]byte)
	defer chunkPool.Put(buf)
	return io.CopyBuffer(writerOnly{c}, r, buf[:])
}

// connOf finds our conn under what httptrace.GotConn reports.
func connOf(nc net.Conn) *conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*conn)
	return c
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

// Submitted is the API's reply to a submission: one that accepted it, or,
// returned with an *UnknownOutcomeError, one that named a batch id without
// confirming the submission.
type Submitted struct {
	Status, BatchID, AccountID, EndpointID, Message string
	// Odd says what was unusual about a reply that was usable anyway (a
	// byte-order mark, bytes after the JSON, a number for a string); "".
	Odd string
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
// maxAttempts caps the tries below the policy's own cap when smaller.
func (c *Client) retryLoop(ctx context.Context, op string, maxAttempts int, try func(n int) attempt, before func(next int, wait time.Duration, reason string)) error {
	maxAttempts = min(maxAttempts, c.retry.MaxAttempts)
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
		if n >= maxAttempts {
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

// proxyRefusal is a proxy's answer other than 200 to CONNECT.
type proxyRefusal struct {
	proxy  *url.URL
	status string // "407 Proxy Authentication Required"
}

func (e *proxyRefusal) Error() string { return "proxy refused CONNECT: " + e.status }

// errHeaderTimeout ends a status request whose reply headers did not come
// within Config.StatusHeaderTimeout.
var errHeaderTimeout = errors.New("no reply headers in time")

// netErrText names a network failure without the URL that *url.Error
// repeats.
func netErrText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, errHeaderTimeout):
		return err.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed by the server"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "host not found"
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

// isReset reports a connection reset (ECONNRESET, or EPIPE from writing to
// a reset connection): the peer's kernel dropped the connection with data
// unread. Before any byte of a reply, that means the server did not take
// the whole request.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// connError returns a *ConnError for the network errors that no retry can
// fix, nil for the others. req is the request that failed, to name its
// proxy.
func (c *Client) connError(err error, req *http.Request) *ConnError {
	var (
		refusal  *proxyRefusal
		opErr    *net.OpError
		dnsErr   *net.DNSError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError // value receivers: As needs values
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		recordEr tls.RecordHeaderError
	)
	ce := &ConnError{Host: c.host, Err: err}
	switch {
	case errors.As(err, &refusal):
		ce.Proxy = c.proxyName(refusal.proxy)
		ce.Problem = "proxy " + ce.Proxy + " refused: " + refusal.status
		ce.Fix = c.proxyFix(refusal.status)
		ce.HTTPStatus, _ = strconv.Atoi(strings.Fields(refusal.status + " 0")[0])
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		ce.Proxy = c.proxyName(c.proxyOf(req))
		ce.Problem = "proxy " + ce.Proxy + " unreachable: " + netErrText(opErr.Err)
		ce.Fix = "check " + c.proxyEnv + " (or unset it, or add " + hostOnly(c.host) + " to NO_PROXY)"
	case errors.As(err, &hostErr):
		ce.Problem = "TLS certificate is for another host: " + hostErr.Error()
		ce.Fix = "check --base-url (FIREWORKS_BATCH_BASE_URL)"
	case errors.As(err, &unknown), errors.As(err, &verify) && !errors.As(err, &invalid):
		ce.Problem = "TLS certificate not trusted: " + innermost(err)
		ce.Fix = "set SSL_CERT_FILE to a file holding the certificate of the CA that signed it, or check --base-url"
	case errors.As(err, &invalid):
		ce.Problem = "TLS certificate not valid: " + invalid.Error()
		ce.Fix = "check the server's certificate and this machine's clock"
	case errors.As(err, &recordEr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		ce.Problem = "the server does not speak TLS on this port (https:// to a plain-HTTP port?)"
		ce.Fix = "use http:// in --base-url if the server is plain HTTP, or check the port"
	case strings.Contains(err.Error(), `malformed HTTP response "\x15\x03`):
		ce.Problem = "the server answered in TLS (http:// to an HTTPS port?)"
		ce.Fix = "use https:// in --base-url"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		ce.Problem = "host not found"
		ce.Fix = "check --base-url (FIREWORKS_BATCH_BASE_URL) and the network's DNS"
	default:
		return nil
	}
	ce.Problem = Redact(ce.Problem, c.key)
	return ce
}

// replyConnError returns a *ConnError for replies that say the connection
// itself is wrong, not the request: a proxy's 407, a TLS server's answer
// to plain HTTP. nil for other replies.
func (c *Client) replyConnError(resp *http.Response, msg string, req *http.Request) *ConnError {
	ce := &ConnError{Host: c.host, HTTPStatus: resp.StatusCode}
	lower := strings.ToLower(msg)
	switch {
	case resp.StatusCode == http.StatusProxyAuthRequired:
		ce.Proxy = c.proxyName(c.proxyOf(req))
		ce.Problem = "proxy " + ce.Proxy + " refused: " + resp.Status
		ce.Fix = c.proxyFix(resp.Status)
	case resp.StatusCode == http.StatusBadRequest &&
		(strings.Contains(lower, "http request to an https server") || strings.Contains(lower, "plain http request was sent to https port")):
		ce.Problem = "the server speaks HTTPS on this port, not plain HTTP (HTTP 400: " + msg + ")"
		ce.Fix = "use https:// in --base-url"
	default:
		return nil
	}
	return ce
}

func (c *Client) proxyFix(status string) string {
	if strings.HasPrefix(status, "407") {
		return "put the proxy's user and password in " + c.proxyEnv + " (http://user:password@host:port), or add " +
			hostOnly(c.host) + " to NO_PROXY"
	}
	return "check " + c.proxyEnv + " and the proxy's rules for " + hostOnly(c.host)
}

// proxyOf is the proxy req goes through, or nil.
func (c *Client) proxyOf(req *http.Request) *url.URL {
	if c.proxy == nil || req == nil {
		return nil
	}
	u, err := c.proxy(req)
	if err != nil {
		return nil
	}
	return u
}

// proxyName names a proxy without its user and password, and the variable
// it comes from.
func (c *Client) proxyName(u *url.URL) string {
	if u == nil { // none configured: something in front of the API
		return "in front of " + c.host
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String() + " (" + c.proxyEnv + ")"
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func innermost(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}
