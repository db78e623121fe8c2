package fakeapi

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// Proxy is a forward HTTP proxy for tests, like squid or tinyproxy in
// front of the API: it tunnels CONNECT (https://) and forwards requests
// for absolute URLs (http://), and can refuse as real proxies do. Serve it
// with net/http (httptest.NewServer(p)) and point a client's proxy at it.
type Proxy struct {
	// Credentials "user:password", when set, are required in
	// Proxy-Authorization; without them the proxy answers 407.
	Credentials string
	// RejectExpect answers 417 Expectation Failed to a request with an
	// Expect header, as some proxies do.
	RejectExpect bool
	// MaxBody, when positive, answers 413 with nginx's HTML page to a
	// request whose Content-Length is larger (nginx's client_max_body_size).
	MaxBody int64

	mu       sync.Mutex
	requests []string // "METHOD target status"
}

// Seen returns "METHOD target status" for each request the proxy handled.
func (p *Proxy) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

func (p *Proxy) note(r *http.Request, status int) {
	target := r.Host
	if r.Method != http.MethodConnect {
		target = r.URL.String()
	}
	p.mu.Lock()
	p.requests = append(p.requests, r.Method+" "+target+" "+http.StatusText(status))
	p.mu.Unlock()
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, title string) {
		p.note(r, status)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><head><title>"+title+"</title></head><body><h1>"+title+"</h1><hr>fake proxy</body></html>\n")
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.Credentials))
	switch {
	case p.Credentials != "" && r.Header.Get("Proxy-Authorization") != want:
		w.Header().Set("Proxy-Authenticate", `Basic realm="fake proxy"`)
		refuse(http.StatusProxyAuthRequired, "407 Proxy Authentication Required")
		return
	case p.RejectExpect && r.Header.Get("Expect") != "":
		refuse(http.StatusExpectationFailed, "417 Expectation Failed")
		return
	case p.MaxBody > 0 && r.ContentLength > p.MaxBody:
		refuse(http.StatusRequestEntityTooLarge, "413 Request Entity Too Large")
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if !r.URL.IsAbs() {
		refuse(http.StatusBadRequest, "400 Bad Request")
		return
	}
	p.note(r, http.StatusOK)
	r.Header.Del("Proxy-Authorization")
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.Out.URL = r.URL }}
	rp.ServeHTTP(w, r)
}

// tunnel joins the client to the CONNECT target.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		p.note(r, http.StatusBadGateway)
		http.Error(w, "cannot reach "+r.Host, http.StatusBadGateway)
		return
	}
	p.note(r, http.StatusOK)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		io.Copy(up, buf)
		up.(*net.TCPConn).CloseWrite()
	}()
	go func() {
		defer wg.Done()
		io.Copy(conn, up)
		conn.Close()
	}()
	wg.Wait()
	up.Close()
}
