package audio

import (
	"context"
	"sync"
)

// Measured is what ProbeFiles found for one file.
type Measured struct {
	Info Info
	Err  error // why the length is unknown
}

// ProbeFiles probes the files at paths, workers at a time (at least one),
// and returns what it found for each, in the order of paths. Reading
// headers is mostly waiting for the disk (or the network, on NFS): a few
// files at once keep it busy.
func ProbeFiles(ctx context.Context, paths []string, workers int) []Measured {
	out := make([]Measured, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(min(workers, len(paths)), 1) {
		wg.Go(func() {
			for i := range next {
				out[i].Info, out[i].Err = ProbeFile(ctx, paths[i])
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
