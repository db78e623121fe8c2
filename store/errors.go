package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

var (
	// ErrNewerFormat: the file was written by a newer fwbatch. It is read as
	// far as possible but never written to.
	ErrNewerFormat = errors.New("written by a newer fwbatch")
	// ErrLocked: another process held the history's lock for too long.
	ErrLocked = errors.New("history is locked by another process")
	// ErrInvalidEvent: Append was given an event that must not be written.
	ErrInvalidEvent = errors.New("invalid history event")
)

// WriteError says which file could not be written, why, and what to do.
// Callers refuse to upload when they get one: an upload whose outcome cannot
// be recorded may create a batch job nobody can find again.
type WriteError struct {
	Path string // the file or folder that could not be written
	Op   string // what fwbatch was doing, e.g. "append to the history file"
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("%s: cannot %s: %s; %s", e.Path, e.Op, reason(e.Err), hint(e.Err))
}

func (e *WriteError) Unwrap() error { return e.Err }

func writeError(path, op string, err error) error {
	if err == nil {
		return nil
	}
	var we *WriteError
	if errors.As(err, &we) {
		return err
	}
	return &WriteError{Path: path, Op: op, Err: err}
}

// reason is the bare cause: the errno's text when there is one, since the
// path is already in the message.
func reason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

func hint(err error) string {
	switch {
	case errors.Is(err, syscall.EROFS):
		return "the disk is mounted read-only: pass --history FILE on a writable disk"
	case errors.Is(err, syscall.ENOSPC):
		return "free space or pass --history FILE on another disk"
	case errors.Is(err, syscall.EDQUOT):
		return "free space within your quota or pass --history FILE on another disk"
	case errors.Is(err, fs.ErrPermission):
		return "check the owner and mode of the file and its folder (they should be yours, 0600 and 0700) or pass --history FILE"
	case errors.Is(err, syscall.EIO):
		return "the disk may be failing: copy the history elsewhere and pass --history FILE"
	}
	return "pass --history FILE to use another file"
}

// NewerFormatError says the history file belongs to a newer fwbatch.
type NewerFormatError struct {
	Path    string
	Version int // the file's format version
}

func (e *NewerFormatError) Error() string {
	return fmt.Sprintf("history file %s: written by a newer fwbatch (format version %d; this one knows up to %d): upgrade fwbatch to write to it, or pass --history FILE",
		e.Path, e.Version, FormatVersion)
}

func (e *NewerFormatError) Is(target error) bool { return target == ErrNewerFormat }

// LockedError says who held the lock, as far as the lock file tells.
type LockedError struct {
	Path   string // the lock file
	PID    int    // 0 when unknown
	Host   string
	Since  time.Time
	Waited time.Duration
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.PID != 0 {
		holder = fmt.Sprintf("pid %d", e.PID)
		if e.Host != "" {
			holder += " on host " + e.Host
		}
		if !e.Since.IsZero() {
			holder += " since " + e.Since.Local().Format(time.DateTime)
		}
	}
	return fmt.Sprintf("history lock %s: held by %s for more than %s; if that fwbatch is stuck, stop it and try again",
		e.Path, holder, e.Waited.Round(time.Millisecond))
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }
