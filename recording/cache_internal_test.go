package recording

import (
	"fmt"
	"testing"
)

// trimCache keeps the entries used most recently.
func TestTrimCache(t *testing.T) {
	entries := map[string]cacheEntry{}
	for i := range 10 {
		entries[fmt.Sprint(i)] = cacheEntry{Seen: int64(100 - i)} // "0" seen last
	}
	trimCache(entries, 4)
	if len(entries) != 4 {
		t.Fatalf("%d entries left, want 4", len(entries))
	}
	for _, p := range []string{"0", "1", "2", "3"} {
		if _, ok := entries[p]; !ok {
			t.Errorf("entry %s (among the 4 seen last) was dropped", p)
		}
	}
	trimCache(entries, 10)
	if len(entries) != 4 {
		t.Errorf("trimming below the bound dropped entries: %d left", len(entries))
	}
}
