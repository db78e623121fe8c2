// Package durable holds what the packages that write the user's files
// (the history, saved results, transcripts) share to make a write survive
// a crash.
package durable

import (
	"errors"
	"os"
	"syscall"
)

// SyncDir makes the names created, renamed or removed in dir durable. A
// file system that cannot fsync a folder (EINVAL, ENOTSUP: some network
// and FUSE ones) is not an error: it offers nothing more to wait for.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
