package recording

import (
	"context"
	"sync"
)

// Found is what RecogniseAll tells about one file.
type Found struct {
	Index     int // into the files given
	Recording Recording
	Err       error // the file had to be read and could not be
}

// RecogniseAll recognises files and calls on with each as soon as it is
// known, always from the calling goroutine: first, in order, every file
// that needs no reading (in the history at its path, size and mtime, in
// the cache, or of a size no submission has), then the others as workers
// (at least 1) read them. A cancelled ctx stops it between files; those
// not reported yet are left out. Call cache.Save afterwards to keep what
// was read.
func (ix *Index) RecogniseAll(ctx context.Context, files []File, cache *Cache, workers int, on func(Found)) {
	var slow []int
	for i, f := range files {
		if ctx.Err() != nil {
			return
		}
		if ix.NeedsRead(f, cache) {
			slow = append(slow, i)
			continue
		}
		r, err := ix.Recognise(f, cache)
		on(Found{Index: i, Recording: r, Err: err})
	}
	if len(slow) == 0 {
		return
	}
	jobs := make(chan int)
	results := make(chan Found)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range jobs {
				r, err := ix.Recognise(files[i], cache)
				results <- Found{Index: i, Recording: r, Err: err}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, i := range slow {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	for f := range results {
		if ctx.Err() == nil {
			on(f)
		}
	}
}
