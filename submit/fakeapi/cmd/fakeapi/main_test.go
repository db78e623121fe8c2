package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-key", "k", "-faults", "s1:500", "-read-rate", "1000000", "-quiet"}, w, &stderr)
		w.Close()
	}()
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q is not a loopback URL", url)
	}
	req, _ := http.NewRequest("GET", url+"/v1/accounts/fake-account/batch_job/x", nil)
	req.Header.Set("Authorization", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("first status request: %d, want the injected 500", resp.StatusCode)
	}
	resp, err = http.Get(url + "/_fake/requests")
	if err != nil {
		t.Fatal(err)
	}
	var reqs []fakeapi.AdminRequest
	err = json.NewDecoder(resp.Body).Decode(&reqs)
	resp.Body.Close()
	if err != nil || len(reqs) != 1 || reqs[0].Kind != "status" || reqs[0].Status != 500 || reqs[0].AuthIsKey == nil || !*reqs[0].AuthIsKey {
		t.Errorf("the admin view: %v %+v", err, reqs)
	}
	http.DefaultClient.CloseIdleConnections()
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit code %d: %s", c, stderr.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-faults", "1:teapot"}, {"-polls", "x"}, {"extra"}, {"-tls-cert", "x.pem"}} {
		var stderr strings.Builder
		if c := run(context.Background(), args, io.Discard, &stderr); c != 2 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, c, stderr.String())
		}
	}
}

// TestRunTLS: -tls serves HTTPS with the certificate -tls-cert writes; a
// client that trusts that file gets through.
func TestRunTLS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	certFile := filepath.Join(t.TempDir(), "fake.pem")
	out, w := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-tls", "-tls-cert", certFile, "-quiet", "-faults", "s*:404"}, w, io.Discard)
		w.Close()
	}()
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("first line %q is not an https loopback URL", url)
	}
	if _, err := http.Get(url + "/_fake/jobs"); err == nil {
		t.Error("a client that does not trust the certificate got through")
	}
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", url+"/v1/accounts/fake-account/batch_job/x", nil)
	req.Header.Set("Authorization", "k")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("status %d, want the injected 404", resp.StatusCode)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit code %d", c)
	}
}
