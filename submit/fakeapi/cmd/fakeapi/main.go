// Command fakeapi serves the fake Fireworks audio batch API until it is
// killed, for benchmarks and manual tests. It prints its base URL on the
// first line of stdout and logs one line per request to stderr.
//
//	fakeapi -addr 127.0.0.1:0 -key '' -polls 2 -delay 5s -latency 100ms -faults '2:429,5:reset,s1:500'
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

func main() {
	var cfg fakeapi.Config
	var faults string
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.StringVar(&cfg.APIKey, "key", "", `the API key requests must carry ("" accepts any non-empty key)`)
	flag.StringVar(&cfg.AccountID, "account", "fake-account", "account id of the jobs")
	flag.IntVar(&cfg.Polls, "polls", 0, `status checks a job answers "processing" before it completes`)
	flag.DurationVar(&cfg.Delay, "delay", 0, "time from submission until a job completes")
	flag.DurationVar(&cfg.Latency, "latency", 0, "delay added before answering each request")
	flag.StringVar(&faults, "faults", "", `faults by request number, e.g. "2:429,3-4:reset,s1:500" (see fakeapi.ParseFaults)`)
	flag.BoolVar(&cfg.NoHash, "nohash", false, "count uploaded bytes without hashing them (benchmarks)")
	quiet := flag.Bool("quiet", false, "do not log requests to stderr")
	flag.Parse()

	var err error
	if cfg.Faults, err = fakeapi.ParseFaults(faults); err != nil {
		fmt.Fprintln(os.Stderr, "fakeapi:", err)
		os.Exit(2)
	}
	if !*quiet {
		cfg.Log = os.Stderr
	}
	s := fakeapi.New(cfg)
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "fakeapi:", err)
		os.Exit(1)
	}
	fmt.Println(s.URL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	s.Close()
}
