// Command fakeapi serves the fake Fireworks audio batch API until it is
// killed, for benchmarks and manual tests. It prints its base URL on the
// first line of stdout and logs one line per request to stderr. GET
// /_fake/requests and GET /_fake/jobs show, as JSON, what it saw and holds
// (never the Authorization header's value: its SHA-256).
//
//	fakeapi -addr 127.0.0.1:0 -key '' -polls 2 -delay 5s -latency 100ms -read-rate 1000000 -faults '2:429,5:reset,s1:500'
//	fakeapi -tls -tls-cert /tmp/fake.pem   # then SSL_CERT_FILE=/tmp/fake.pem trusts it
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx ends and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakeapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg fakeapi.Config
	var faults string
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "address to listen on")
	fs.StringVar(&cfg.APIKey, "key", "", `the API key requests must carry ("" accepts any non-empty key)`)
	fs.StringVar(&cfg.AccountID, "account", "fake-account", "account id of the jobs")
	fs.IntVar(&cfg.Polls, "polls", 0, `status checks a job answers "processing" before it completes`)
	fs.DurationVar(&cfg.Delay, "delay", 0, "time from submission until a job completes")
	fs.DurationVar(&cfg.Latency, "latency", 0, "delay added before answering each request")
	fs.Int64Var(&cfg.ReadRate, "read-rate", 0, "read upload bodies at most this many bytes per second (0: no limit)")
	fs.StringVar(&faults, "faults", "", `faults by request number, e.g. "2:429,3-4:reset,s1:500" (see fakeapi.ParseFaults)`)
	fs.BoolVar(&cfg.NoHash, "nohash", false, "count uploaded bytes without hashing them (benchmarks)")
	fs.BoolVar(&cfg.TLS, "tls", false, "serve HTTPS with a self-signed certificate made at start (trusted by no one unless told)")
	certOut := fs.String("tls-cert", "", "with -tls: write the certificate (PEM) to this file, for SSL_CERT_FILE")
	quiet := fs.Bool("quiet", false, "do not log requests to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fakeapi: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *certOut != "" && !cfg.TLS {
		fmt.Fprintln(stderr, "fakeapi: -tls-cert needs -tls")
		return 2
	}
	var err error
	if cfg.Faults, err = fakeapi.ParseFaults(faults); err != nil {
		fmt.Fprintln(stderr, "fakeapi:", err)
		return 2
	}
	if !*quiet {
		cfg.Log = stderr
	}
	cfg.Admin = true // GET /_fake/requests and /_fake/jobs, for black-box tests
	s := fakeapi.New(cfg)
	if err := s.Start(); err != nil {
		fmt.Fprintln(stderr, "fakeapi:", err)
		return 1
	}
	if *certOut != "" {
		if err := os.WriteFile(*certOut, s.CertPEM(), 0o644); err != nil {
			fmt.Fprintln(stderr, "fakeapi:", err)
			s.Close()
			return 1
		}
	}
	fmt.Fprintln(stdout, s.URL())
	<-ctx.Done()
	s.Close()
	return 0
}
