package store

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcessAlive reports whether the process that wrote a submission's
// "started" event (host, pid, at started) may still be running, so that an
// upload without an outcome can be told apart: still uploading elsewhere, or
// interrupted (killed, rebooted). On this host it checks the pid and, where
// /proc tells, that the process is neither a zombie (killed, not yet reaped
// by its parent) nor a newer one that reused the pid. A process on another
// host cannot be checked; it counts as alive for a day.
func ProcessAlive(host string, pid int, started time.Time) bool {
	if host != "" && host != hostname() {
		return time.Since(started) < 24*time.Hour
	}
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	state, born, ok := procStat(pid)
	if !ok {
		return true
	}
	if state == "Z" || state == "X" {
		return false // dead; its parent has not reaped it yet
	}
	if !born.IsZero() && born.After(started.Add(2*time.Second)) {
		return false // the pid was reused by a process started later
	}
	return true
}

// procStat reads pid's state letter and, when the boot time is known, when
// it started, from /proc (Linux).
func procStat(pid int) (state string, born time.Time, ok bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", time.Time{}, false
	}
	// The command name (field 2) may hold spaces; fields after it follow ")".
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", time.Time{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", time.Time{}, false
	}
	state = f[0]                                  // field 3
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22: starttime
	if err != nil {
		return state, time.Time{}, true
	}
	boot, ok := bootTime()
	if !ok {
		return state, time.Time{}, true
	}
	const clockTicks = 100 // USER_HZ on every Linux platform Go supports
	return state, boot.Add(time.Duration(ticks) * time.Second / clockTicks), true
}

func bootTime() (time.Time, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(sec, 0), true
		}
	}
	return time.Time{}, false
}
