// Package fakeapi is an in-repo fake of the Fireworks audio batch API, for
// tests, benchmarks and fwbatch's --demo mode. It serves both documented
// endpoints with the service's field validation, records every request,
// keeps jobs "processing" for a while before completing them with a
// correctly serialized result, and injects faults by request number.
//
// It streams uploads: a file is hashed (or only counted) as it arrives and
// never held in memory.
package fakeapi

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config configures a Server. The zero value is a working fake that
// accepts any non-empty key and completes jobs on the first status check.
type Config struct {
	Addr      string // where Start listens; default "127.0.0.1:0"
	APIKey    string // the key requests must carry; "" accepts any non-empty key
	AccountID string // default "fake-account"
	// A job answers "processing" to its first Polls status checks, and
	// until Delay has passed since its submission; then it completes.
	Polls   int
	Delay   time.Duration
	Latency time.Duration // added before answering every request
	Faults  Faults
	// NoHash skips hashing uploads (for benchmarks, where SHA-256 would
	// cost more than the transfer); sizes are still counted.
	NoHash bool
	// MaxFileSize is the largest file accepted; default 1 GB (10^9 bytes).
	MaxFileSize int64
	// TrickleEvery is the pause between the bytes of a trickled reply;
	// default 100ms.
	TrickleEvery time.Duration
	// ReadRate, if positive, caps how fast an upload's body is read, in
	// bytes per second, so that an upload takes measurable time (a slow
	// link) in tests of what happens mid-upload.
	ReadRate int64
	// Now is the clock for Delay; default time.Now.
	Now func() time.Time
	// Log, if set, gets one line per request. It never holds the key.
	Log io.Writer
	// StateFile, if set, keeps the jobs across restarts: Start loads it,
	// and every new job and status check appends a line to it (a journal
	// that several processes share). fwbatch --demo uses it, since its
	// history outlives the process that serves the fake.
	StateFile string
	// Scripts, if set, are what the fake "hears" in an uploaded file of a
	// given name, a sentence per segment; files of other names carry the
	// default script. fwbatch --demo sets them for its sample recordings.
	Scripts map[string][]string
	// Admin serves GET /_fake/requests and GET /_fake/jobs, what the fake
	// saw and holds, as JSON, for black-box tests. The standalone server
	// turns it on.
	Admin bool
	// TLS serves HTTPS with a self-signed certificate made at Start, which
	// no client trusts unless told to (CertPEM): the case of a server
	// behind a private CA, and of http:// sent to a TLS port.
	TLS bool
}

// Request is what the fake saw of one request.
type Request struct {
	Kind             string // "submit", "status" or "other"
	N                int    // the request's number within its kind, from 1
	Method, Path     string
	RawQuery         string
	Query            url.Values
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	BodyRead         int64             // bytes of the body the fake read
	Fields           map[string]string // form fields except the file
	FieldOrder       []string
	FileParts        int    // how many file parts came
	FileName         string // as the client named it
	FileContentType  string
	FileSize         int64
	FileSHA256       string // hex; "" with NoHash
	Fault            Kind
	Status           int    // the reply's status; 0 when none was sent
	Error            string // the error message replied, if any
	BatchID          string // the job this request created or asked about
}

// Job is a snapshot of a job the fake holds.
type Job struct {
	BatchID, AccountID, EndpointID, Task string
	Fields                               map[string]string
	Created                              time.Time
	Polls                                int    // status checks so far
	FailStatus                           string // a job-failed job's final status
	ContentType, Body                    string // the result, once completed
}

// Server is the fake. It is an http.Handler; Start also serves it on a
// loopback port.
type Server struct {
	cfg  Config
	done chan struct{}

	mu      sync.Mutex
	reqs    []*Request
	jobs    map[string]*Job
	nSubmit int
	nStatus int
	closed  bool

	stateMu sync.Mutex // guards journal: one read of the state file at a time
	journal journal

	handlers  sync.WaitGroup
	closeOnce sync.Once
	hs        *http.Server
	url       string
	certPEM   []byte
}

// New returns a fake with cfg's settings.
func New(cfg Config) *Server {
	if cfg.AccountID == "" {
		cfg.AccountID = "fake-account"
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 1_000_000_000
	}
	if cfg.TrickleEvery <= 0 {
		cfg.TrickleEvery = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, done: make(chan struct{}), jobs: map[string]*Job{}}
}

// Start loads cfg.StateFile, if set, and serves the fake on cfg.Addr
// (default a free loopback port).
func (s *Server) Start() error {
	if s.cfg.StateFile != "" {
		if err := s.loadState(); err != nil {
			return err
		}
	}
	addr := s.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	if s.cfg.TLS {
		cert, pemBytes, err := selfSigned()
		if err != nil {
			ln.Close()
			return fmt.Errorf("fakeapi: making a TLS certificate: %w", err)
		}
		s.certPEM = pemBytes
		// HTTP/1.1 only, like the client: the reset faults need a TCP
		// connection of their own.
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		s.url = "https://" + ln.Addr().String()
	}
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	if s.cfg.TLS {
		// Refused handshakes are what a TLS fake is for, not news.
		s.hs.ErrorLog = log.New(io.Discard, "", 0)
	}
	go s.hs.Serve(ln)
	return nil
}

// URL is the base URL of a started fake.
func (s *Server) URL() string { return s.url }

// CertPEM is the self-signed certificate of a fake started with TLS, in
// PEM: a client trusts the fake when it trusts this (SSL_CERT_FILE).
func (s *Server) CertPEM() []byte { return s.certPEM }

// selfSigned makes a certificate for the loopback addresses.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "fwbatch fake API"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}

// Close stops the fake: it ends every request it is holding (hangs, stalls,
// trickles), closes the listener and connections, and waits for its
// handlers to return. Safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		if s.hs != nil {
			err = s.hs.Close()
		}
		s.handlers.Wait()
	})
	return err
}

// TB is the part of testing.TB that StartTest needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// StartTest starts a fake for a test and closes it when the test ends.
func StartTest(t TB, cfg Config) *Server {
	t.Helper()
	s := New(cfg)
	if err := s.Start(); err != nil {
		t.Fatalf("fakeapi: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Requests returns copies of every request seen so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = *r
	}
	return out
}

// SubmitCount and StatusCount are how many submit and status requests came.
func (s *Server) SubmitCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nSubmit
}

func (s *Server) StatusCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nStatus
}

// Jobs returns snapshots of every job, in no particular order.
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Job
	for _, j := range s.jobs {
		out = append(out, *j)
	}
	return out
}

// Job returns a snapshot of one job.
func (s *Server) Job(batchID string) (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[batchID]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

// Render returns the result the fake produces for a task and form fields:
// its content type and the serialized body.
func Render(task string, fields map[string]string) (contentType, body string) {
	return render(task, fields, script)
}

// update changes a request's record under the lock.
func (s *Server) update(r *Request, f func(*Request)) {
	s.mu.Lock()
	f(r)
	s.mu.Unlock()
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Add under the lock that Close takes to set closed, so that no Add can
	// race with Close's Wait.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		panic(http.ErrAbortHandler)
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()
	if s.cfg.Admin && strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin(w, r)
		return
	}
	start := time.Now()
	rec := &Request{
		Method:           r.Method,
		Path:             r.URL.Path,
		RawQuery:         r.URL.RawQuery,
		Query:            r.URL.Query(),
		Header:           r.Header.Clone(),
		ContentLength:    r.ContentLength,
		TransferEncoding: r.TransferEncoding,
		Kind:             "other",
	}
	var fault Fault
	submitTask, isSubmit := map[string]string{
		"/v1/audio/transcriptions": "transcribe",
		"/v1/audio/translations":   "translate",
	}[r.URL.Path]
	account, batch, isStatus := statusPath(r.URL.Path)
	s.mu.Lock()
	switch {
	case isSubmit && r.Method == http.MethodPost:
		s.nSubmit++
		rec.Kind, rec.N = "submit", s.nSubmit
		fault = s.cfg.Faults.submit(s.nSubmit)
	case isStatus && r.Method == http.MethodGet:
		s.nStatus++
		rec.Kind, rec.N = "status", s.nStatus
		fault = s.cfg.Faults.status(s.nStatus)
	}
	rec.Fault = fault.Kind
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	defer func() {
		if s.cfg.Log != nil {
			s.mu.Lock()
			line := fmt.Sprintf("%s %s %s #%d status=%d body=%d fault=%s %s\n", time.Now().Format("15:04:05.000"),
				r.Method, r.URL.Path, rec.N, rec.Status, rec.BodyRead, rec.Fault, time.Since(start).Round(time.Millisecond))
			s.mu.Unlock()
			io.WriteString(s.cfg.Log, line)
		}
	}()

	if !s.wait(r.Context(), s.cfg.Latency) {
		return
	}
	switch {
	case rec.Kind == "submit":
		s.submit(w, r, rec, submitTask, fault)
	case rec.Kind == "status":
		s.status(w, r, rec, account, batch, fault)
	case isSubmit || isStatus:
		s.fail(w, rec, http.StatusMethodNotAllowed, "invalid_request_error", "method "+r.Method+" not allowed")
	default:
		s.fail(w, rec, http.StatusNotFound, "not_found", "no route for "+r.URL.Path)
	}
}

// statusPath splits /v1/accounts/{account}/batch_job/{batch}.
func statusPath(p string) (account, batch string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) != 5 || parts[0] != "v1" || parts[1] != "accounts" || parts[3] != "batch_job" || parts[2] == "" || parts[4] == "" {
		return "", "", false
	}
	return parts[2], parts[4], true
}

// wait sleeps d, or less if the request or the server ends first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// checkKey answers 401 and returns false unless the request carries the
// right key, raw, in the Authorization header.
func (s *Server) checkKey(w http.ResponseWriter, r *http.Request, rec *Request) bool {
	got := r.Header.Get("Authorization")
	switch {
	case got == "":
		s.fail(w, rec, http.StatusUnauthorized, "authentication_error", "missing API key in the Authorization header")
	case s.cfg.APIKey != "" && strings.HasPrefix(got, "Bearer ") && strings.TrimPrefix(got, "Bearer ") == s.cfg.APIKey:
		s.fail(w, rec, http.StatusUnauthorized, "authentication_error", "send the raw API key in the Authorization header, without Bearer")
	case s.cfg.APIKey != "" && got != s.cfg.APIKey:
		// Real services have been seen echoing the key they refused: the
		// client must redact it.
		s.fail(w, rec, http.StatusUnauthorized, "authentication_error", fmt.Sprintf("invalid API key %q", got))
	default:
		return true
	}
	return false
}

// faultBeforeBody answers the faults that come before the body is read.
func (s *Server) faultBeforeBody(w http.ResponseWriter, r *http.Request, rec *Request, f Fault) bool {
	switch f.Kind {
	case Unauthorized:
		s.fail(w, rec, http.StatusUnauthorized, "authentication_error", "invalid API key")
	case EchoKey:
		// Real services have been seen echoing a refused key inside a long
		// message: where a client cuts it before redacting, part leaks.
		offset := f.Offset
		if offset == 0 {
			offset = 175
		}
		s.fail(w, rec, http.StatusUnauthorized, "authentication_error", strings.Repeat("x", offset)+r.Header.Get("Authorization"))
		s.update(rec, func(r *Request) { r.Error = "invalid API key [redacted] at offset " + fmt.Sprint(offset) })
	case Forbidden:
		s.fail(w, rec, http.StatusForbidden, "permission_denied", "this key may not use the batch API")
	case TooLarge:
		s.fail(w, rec, http.StatusRequestEntityTooLarge, "request_too_large", "request body too large")
	case ProxyTooLarge:
		s.htmlPage(w, rec, http.StatusRequestEntityTooLarge, "413 Request Entity Too Large", "nginx")
	case RateLimited:
		w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter(f).Seconds()+0.5)))
		s.fail(w, rec, http.StatusTooManyRequests, "rate_limit_exceeded", "too many requests")
	case RateLimitedDate:
		w.Header().Set("Retry-After", s.cfg.Now().Add(retryAfter(f)).UTC().Format(http.TimeFormat))
		s.fail(w, rec, http.StatusTooManyRequests, "rate_limit_exceeded", "too many requests")
	case NotFound:
		s.fail(w, rec, http.StatusNotFound, "not_found", "batch job not found")
	case ProxyAuth:
		w.Header().Set("Proxy-Authenticate", `Basic realm="fake proxy"`)
		s.htmlPage(w, rec, http.StatusProxyAuthRequired, "407 Proxy Authentication Required", "squid")
	case ExpectFailed:
		if r.Header.Get("Expect") == "" {
			return false
		}
		s.htmlPage(w, rec, http.StatusExpectationFailed, "417 Expectation Failed", "squid")
	case MovedPermanent, PermanentRedir:
		to := f.Location
		if to == "" {
			to = DefaultMovedTo + r.URL.RequestURI()
		}
		status := http.StatusMovedPermanently
		if f.Kind == PermanentRedir {
			status = http.StatusPermanentRedirect
		}
		w.Header().Set("Location", to)
		s.htmlPage(w, rec, status, fmt.Sprintf("%d %s", status, http.StatusText(status)), "nginx")
	case ResetEarly:
		s.reset(w)
	default:
		return false
	}
	return true
}

// htmlPage answers with the kind of page nginx and squid send.
func (s *Server) htmlPage(w http.ResponseWriter, rec *Request, status int, title, server string) {
	page := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>" + server + "</center>\r\n</body>\r\n</html>\r\n"
	w.Header().Set("Content-Type", "text/html")
	s.update(rec, func(r *Request) { r.Error = title })
	s.reply(w, rec, status, []byte(page))
}

// faultAfterBody answers the error faults that come after the body was read.
func (s *Server) faultAfterBody(w http.ResponseWriter, rec *Request, f Fault) bool {
	switch f.Kind {
	case Unprocessable:
		s.fail(w, rec, http.StatusUnprocessableEntity, "unprocessable_entity", "the audio could not be processed")
	case ServerError:
		s.fail(w, rec, http.StatusInternalServerError, "internal_server_error", "internal server error")
	case BadGateway:
		s.htmlPage(w, rec, http.StatusBadGateway, "502 Bad Gateway", "nginx")
	case Unavailable:
		s.fail(w, rec, http.StatusServiceUnavailable, "service_unavailable", "service unavailable")
	case UnavailableRetry:
		w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter(f).Seconds()+0.5)))
		s.fail(w, rec, http.StatusServiceUnavailable, "service_unavailable", "service overloaded; retry later")
	default:
		return false
	}
	return true
}

func retryAfter(f Fault) time.Duration {
	if f.RetryAfter > 0 {
		return f.RetryAfter
	}
	if f.RetryAfter < 0 {
		return 0
	}
	return time.Second
}

// resetAfter is how much of an upload a reset or stall fault reads first.
const resetAfter = 64 << 10

func (s *Server) submit(w http.ResponseWriter, r *http.Request, rec *Request, task string, f Fault) {
	if s.faultBeforeBody(w, r, rec, f) || !s.checkKey(w, r, rec) {
		return
	}
	endpoint := r.URL.Query().Get("endpoint_id")
	switch {
	case endpoint == "":
		s.fail(w, rec, http.StatusBadRequest, "invalid_request_error", "endpoint_id query parameter is required")
		return
	case modelOf[endpoint] == "":
		s.fail(w, rec, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("unknown endpoint_id %q", endpoint))
		return
	case r.ContentLength > s.cfg.MaxFileSize+1<<20:
		s.fail(w, rec, http.StatusRequestEntityTooLarge, "request_too_large", "file larger than 1 GB")
		return
	}
	body := &countingReader{r: r.Body, s: s, rec: rec, ctx: r.Context(), rate: s.cfg.ReadRate, start: time.Now()}
	switch f.Kind {
	case Reset:
		io.CopyN(io.Discard, body, resetAfter)
		s.reset(w)
		return
	case Stall:
		io.CopyN(io.Discard, body, resetAfter)
		s.wait(context.Background(), 10*time.Minute) // until Close, or the client long gone
		return
	}
	fields, status, msg := s.readForm(r, body, rec)
	if status != 0 {
		s.fail(w, rec, status, "invalid_request_error", msg)
		return
	}
	if s.faultAfterBody(w, rec, f) {
		return
	}
	if field, problem := validate(task, endpoint, fields); field != "" {
		s.fail(w, rec, http.StatusBadRequest, "invalid_request_error", field+": "+problem)
		return
	}
	if f.Kind == Hang {
		select { // the client's response-header timeout ends this
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	s.mu.Lock()
	fileName := rec.FileName
	s.mu.Unlock()
	job := s.newJob(task, endpoint, fields, fileName)
	reply := map[string]any{
		"status":      "submitted",
		"batch_id":    job.BatchID,
		"account_id":  job.AccountID,
		"endpoint_id": endpoint,
		"message":     "Request submitted successfully",
	}
	switch f.Kind {
	case JobFailed:
		job.FailStatus = cmp.Or(f.JobStatus, "failed")
	case TypedFields:
		job.AccountID = "98765"
		reply["account_id"], reply["message"] = json.Number(job.AccountID), map[string]string{"text": "ok"}
	case NumericID:
		// Beyond 2^53: a client that reads it as a float64 gets another id.
		job.BatchID = fmt.Sprintf("9%018d", mrand.Int64N(1e18))
		reply["batch_id"] = json.Number(job.BatchID)
	case NotSubmitted, NotSubmittedNoID:
		reply["status"], reply["message"] = cmp.Or(f.JobStatus, "error"), "could not queue the request"
		if f.Kind == NotSubmittedNoID {
			delete(reply, "batch_id")
		}
		s.replyJSON(w, rec, http.StatusOK, reply, f) // and no job
		return
	}
	s.mu.Lock()
	s.jobs[job.BatchID] = job
	rec.BatchID = job.BatchID
	saved := *job
	s.mu.Unlock()
	s.saveJob(saved)

	switch f.Kind {
	case CreatedClose:
		s.closeConn(w, false)
	case BadJSON:
		w.Header().Set("Content-Type", "application/json")
		s.reply(w, rec, http.StatusOK, []byte(`{"status":"submitted","batch_id":`))
	case NoBatchID:
		delete(reply, "batch_id")
		s.replyJSON(w, rec, http.StatusOK, reply, f)
	case Trickle, StallReply:
		s.trickle(w, r, rec, reply, f.Kind == StallReply)
	default:
		s.replyJSON(w, rec, http.StatusOK, reply, f)
	}
}

// readForm streams the multipart body: fields are kept, the file is hashed
// and counted. A non-zero status means the form is unacceptable.
func (s *Server) readForm(r *http.Request, body io.Reader, rec *Request) (map[string]string, int, string) {
	// multipart reads 4 KiB at a time: a large buffer below it turns that
	// into a few large reads from the connection.
	r.Body = io.NopCloser(bufio.NewReaderSize(body, 1<<20))
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, http.StatusBadRequest, "expected a multipart/form-data body: " + err.Error()
	}
	fields := map[string]string{}
	var order []string
	var fileSize int64
	var sum string
	files := 0
	buf := make([]byte, 256<<10)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, http.StatusBadRequest, "malformed multipart body: " + err.Error()
		}
		name := p.FormName()
		if name == "file" {
			files++
			var h hash.Hash
			var dst io.Writer = io.Discard
			if !s.cfg.NoHash {
				h = sha256.New()
				dst = h
			}
			n, err := io.CopyBuffer(dst, io.LimitReader(p, s.cfg.MaxFileSize+1), buf)
			if err != nil {
				return nil, http.StatusBadRequest, "upload cut short: " + err.Error()
			}
			if n > s.cfg.MaxFileSize {
				return nil, http.StatusRequestEntityTooLarge, "file larger than 1 GB"
			}
			fileSize = n
			if h != nil {
				sum = hex.EncodeToString(h.Sum(nil))
			}
			s.update(rec, func(r *Request) {
				r.FileName, r.FileContentType = p.FileName(), p.Header.Get("Content-Type")
			})
			continue
		}
		value, err := io.ReadAll(io.LimitReader(p, 64<<10))
		if err != nil {
			return nil, http.StatusBadRequest, "malformed multipart body: " + err.Error()
		}
		if _, dup := fields[name]; dup {
			return nil, http.StatusBadRequest, name + ": given more than once"
		}
		fields[name] = string(value)
		order = append(order, name)
	}
	s.update(rec, func(r *Request) {
		r.Fields, r.FieldOrder = fields, order
		r.FileParts, r.FileSize, r.FileSHA256 = files, fileSize, sum
	})
	switch {
	case files == 0:
		return nil, http.StatusBadRequest, "file: required"
	case files > 1:
		return nil, http.StatusBadRequest, "file: one file per request"
	case fileSize == 0:
		return nil, http.StatusBadRequest, "file: empty"
	}
	return fields, 0, ""
}

func (s *Server) newJob(task, endpoint string, fields map[string]string, fileName string) *Job {
	lines, ok := s.cfg.Scripts[fileName]
	if !ok {
		lines = script
	}
	ct, body := render(task, fields, lines)
	return &Job{
		BatchID:     newID(),
		AccountID:   s.cfg.AccountID,
		EndpointID:  endpoint,
		Task:        task,
		Fields:      fields,
		Created:     s.cfg.Now(),
		ContentType: ct,
		Body:        body,
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, rec *Request, account, batch string, f Fault) {
	if s.faultBeforeBody(w, r, rec, f) || !s.checkKey(w, r, rec) || s.faultAfterBody(w, rec, f) {
		return
	}
	switch f.Kind {
	case Reset:
		s.reset(w)
		return
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	case BadJSON:
		w.Header().Set("Content-Type", "application/json")
		s.reply(w, rec, http.StatusOK, []byte(`{"status":"comp`))
		return
	}
	s.mu.Lock()
	_, known := s.jobs[batch]
	s.mu.Unlock()
	if !known {
		s.reloadState(batch) // another process may have made it
	}
	s.mu.Lock()
	j, ok := s.jobs[batch]
	if ok && j.AccountID != account {
		ok = false
	}
	var reply map[string]any
	var polls int
	if ok {
		j.Polls++
		polls = j.Polls
		rec.BatchID = j.BatchID
		reply = map[string]any{"batch_id": j.BatchID, "status": "processing", "message": nil}
		if j.Polls > s.cfg.Polls && s.cfg.Now().Sub(j.Created) >= s.cfg.Delay {
			if j.FailStatus != "" {
				reply["status"], reply["message"] = j.FailStatus, "the audio could not be decoded"
			} else {
				reply["status"], reply["content_type"], reply["body"] = "completed", j.ContentType, j.Body
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, rec, http.StatusNotFound, "not_found", fmt.Sprintf("batch job %s not found", batch))
		return
	}
	if polls <= s.cfg.Polls+1 {
		// Past Polls+1 checks the count decides nothing any more: a job
		// checked for hours costs no write per check.
		s.savePolls(batch, polls)
	}
	switch f.Kind {
	case Trickle, StallReply:
		s.trickle(w, r, rec, reply, f.Kind == StallReply)
		return
	case OtherBatch:
		reply["batch_id"], reply["status"], reply["content_type"], reply["body"] = newID(), "completed", "text/plain; charset=utf-8", "someone else's transcript\n"
	}
	s.replyJSON(w, rec, http.StatusOK, reply, f)
}

func (s *Server) fail(w http.ResponseWriter, rec *Request, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	s.update(rec, func(r *Request) { r.Error = msg })
	s.reply(w, rec, status, []byte(mustJSON(map[string]any{
		"error": map[string]string{"object": "error", "type": typ, "message": msg},
	})+"\n"))
}

// replyJSON answers v as JSON, with a byte-order mark before it or bytes
// after it when the fault says so.
func (s *Server) replyJSON(w http.ResponseWriter, rec *Request, status int, v any, f Fault) {
	body := []byte(mustJSON(v) + "\n")
	switch f.Kind {
	case BOM:
		body = append([]byte("\xef\xbb\xbf"), body...)
	case Trailing:
		body = append(body, "<!-- served by fake-proxy -->\n"...)
	}
	w.Header().Set("Content-Type", "application/json")
	s.reply(w, rec, status, body)
}

func (s *Server) reply(w http.ResponseWriter, rec *Request, status int, body []byte) {
	s.update(rec, func(r *Request) { r.Status = status })
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// trickle sends a correct JSON reply one byte at a time; with stall, it
// sends the headers and the first half of the reply, then nothing more
// until the client gives up or the fake closes.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request, rec *Request, v any, stall bool) {
	body := []byte(mustJSON(v) + "\n")
	s.update(rec, func(r *Request) { r.Status = http.StatusOK })
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if stall {
		w.Write(body[:len(body)/2])
		rc.Flush()
		s.wait(r.Context(), 10*time.Minute)
		return
	}
	for i := range body {
		if _, err := w.Write(body[i : i+1]); err != nil || rc.Flush() != nil {
			return
		}
		if !s.wait(r.Context(), s.cfg.TrickleEvery) {
			return
		}
	}
}

// reset drops the connection with a TCP RST, without a reply.
func (s *Server) reset(w http.ResponseWriter) { s.closeConn(w, true) }

// closeConn closes the connection without a reply: with a TCP RST when
// reset, else with a FIN, as a server that read the whole request and then
// died does (a closing socket sends RST only when unread data is left).
func (s *Server) closeConn(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // not hijackable (HTTP/2): abort the stream
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn() // no close_notify: the peer sees only TCP
	}
	if tc, ok := raw.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	raw.Close()
}

// countingReader records how much of a body was read and, with a rate,
// reads no faster than rate bytes per second.
type countingReader struct {
	r     io.Reader
	s     *Server
	rec   *Request
	n     int64
	ctx   context.Context
	rate  int64
	start time.Time
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.rate > 0 {
		// Small reads, each waiting for its turn: progress stays smooth
		// and the client's socket buffers fill, as on a slow link.
		if max := c.rate/20 + 1; int64(len(p)) > max {
			p = p[:max]
		}
		due := c.start.Add(time.Duration(float64(c.n) / float64(c.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 && !c.s.wait(c.ctx, d) {
			return 0, context.Canceled
		}
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.s.update(c.rec, func(r *Request) { r.BodyRead = c.n })
	return n, err
}
