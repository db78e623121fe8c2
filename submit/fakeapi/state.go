package fakeapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// DemoKey is the API key of fwbatch --demo: the demo's fake wants it and
// the demo's client sends it, so no real key is ever needed or sent.
const DemoKey = "fwbatch-demo-key"

// DemoConfig is the fake behind fwbatch --demo: it wants DemoKey, and a job
// answers "processing" to its first status check and for 4 seconds, then
// completes with the demo transcript in the format asked for (with speakers
// when diarized). Its jobs are kept in stateFile, so that a job from the
// demo history of an earlier run can still be checked ("" keeps them in
// memory only).
func DemoConfig(stateFile string) Config {
	return Config{
		APIKey:    DemoKey,
		AccountID: "demo-account",
		Polls:     1,
		Delay:     4 * time.Second,
		NoHash:    true,
		StateFile: stateFile,
	}
}

// The state file is a journal: one JSON object per line, appended under a
// lock file beside it, never rewritten while servers use it. A line is a
// job as it was made ({"job":{…}}) or a job's status-check count
// ({"batch_id":"…","polls":3}); the last count of a job wins. A new job or
// a status check costs one short append, whatever the number of jobs (the
// whole file was rewritten before, which made a demo of 2,000 files take
// minutes). Start rewrites a journal that holds mostly superseded counts.
// A file in the first format (one object, {"version":1,"jobs":[…]}) reads
// as one line of it.
type stateLine struct {
	Job     *Job   `json:"job,omitempty"`
	BatchID string `json:"batch_id,omitempty"`
	Polls   int    `json:"polls,omitempty"`

	Version int   `json:"version,omitempty"` // the first format
	Jobs    []Job `json:"jobs,omitempty"`
}

// journal is where this process has read the state file up to.
type journal struct {
	fi  os.FileInfo // the file read, to notice it was replaced
	off int64       // just past the last complete line read
}

// loadState reads every job of cfg.StateFile into s, under the lock file.
// A missing file is no jobs; an unreadable line is an error that names the
// file. A file of the first format, one ending in a torn line (a process
// killed mid-write) or one of mostly superseded counts is rewritten.
func (s *Server) loadState() error {
	path := s.cfg.StateFile
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("fake API state file %s: %w", path, err)
	}
	fl := flock.New(path+".lock", flock.SetPermissions(0o600))
	if err := fl.Lock(); err != nil {
		return fmt.Errorf("fake API state file %s: %w", path, err)
	}
	defer fl.Unlock()
	r, err := s.readState(true)
	if err != nil {
		return err
	}
	s.mu.Lock()
	n := len(s.jobs)
	s.mu.Unlock()
	if r.rewrite || r.lines > 2*n+100 {
		if err := s.writeAllLocked(); err != nil {
			return fmt.Errorf("fake API state file %s: %w", path, err)
		}
	}
	return nil
}

// stateRead is what a read of the state file found.
type stateRead struct {
	lines   int  // lines read
	rewrite bool // the file should be rewritten: first format, or a torn last line
}

// readState merges the lines of the state file not read yet into s's jobs.
// atStart, the caller holds the lock file: a last line without a newline is
// then the first format's one object, or torn by a process that died, and
// an unreadable line is an error. Otherwise such lines are left for the
// next read (another process may be writing them) or skipped.
func (s *Server) readState(atStart bool) (stateRead, error) {
	path := s.cfg.StateFile
	var res stateRead
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("fake API state file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("fake API state file %s: %w", path, err)
	}
	if s.journal.fi == nil || !os.SameFile(s.journal.fi, fi) || fi.Size() < s.journal.off {
		s.journal = journal{fi: fi} // new, or replaced by a rewrite: read it all
	}
	if _, err := f.Seek(s.journal.off, io.SeekStart); err != nil {
		return res, fmt.Errorf("fake API state file %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	var jobs []Job
	polls := map[string]int{}
	for {
		line, err := r.ReadBytes('\n')
		torn := err != nil
		if torn && (!atStart || len(bytes.TrimSpace(line)) == 0) {
			break // the end, or a line being written: read it next time
		}
		s.journal.off += int64(len(line))
		res.lines++
		var l stateLine
		if err := json.Unmarshal(line, &l); err != nil {
			switch {
			case torn:
				res.rewrite = true // a process died mid-write: drop its line
				break
			case atStart:
				return res, fmt.Errorf("fake API state file %s: line %d is not valid JSON (%v): remove the file", path, res.lines, err)
			}
			continue
		}
		if l.Version != 0 {
			if l.Version != 1 {
				return res, fmt.Errorf("fake API state file %s has version %d, want 1: remove it", path, l.Version)
			}
			res.rewrite = true
		}
		jobs = append(jobs, l.Jobs...)
		if l.Job != nil {
			jobs = append(jobs, *l.Job)
		}
		if l.BatchID != "" {
			polls[l.BatchID] = max(polls[l.BatchID], l.Polls)
		}
		if torn {
			res.rewrite = true // appending would glue the next line to it
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mergeLocked(jobs)
	for id, n := range polls {
		if j, ok := s.jobs[id]; ok && j.Polls < n {
			j.Polls = n
		}
	}
	return res, nil
}

// mergeLocked adds jobs to s's; for a job both know, the one checked more
// often wins. The caller holds s.mu.
func (s *Server) mergeLocked(jobs []Job) {
	for _, j := range jobs {
		if have, ok := s.jobs[j.BatchID]; ok && have.Polls >= j.Polls {
			continue
		}
		j := j
		s.jobs[j.BatchID] = &j
	}
}

// saveJob appends a new job to the state file.
func (s *Server) saveJob(j Job) { s.appendState(stateLine{Job: &j}) }

// savePolls appends a job's status-check count to the state file.
func (s *Server) savePolls(batchID string, polls int) {
	s.appendState(stateLine{BatchID: batchID, Polls: polls})
}

// appendState writes one line at the end of the state file, under the lock
// file beside it, so that lines of two processes never interleave.
func (s *Server) appendState(l stateLine) {
	path := s.cfg.StateFile
	if path == "" {
		return
	}
	err := func() error {
		data, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		fl := flock.New(path+".lock", flock.SetPermissions(0o600))
		if err := fl.Lock(); err != nil {
			return err
		}
		defer fl.Unlock()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(append(data, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}()
	if err != nil && s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "fake API state file %s: %v\n", path, err)
	}
}

// writeAllLocked rewrites the state file as one line per job, atomically.
// The caller holds the lock file and has read the file to its end.
func (s *Server) writeAllLocked() error {
	s.mu.Lock()
	jobs := make([]Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, *j)
	}
	s.mu.Unlock()
	slices.SortFunc(jobs, func(a, b Job) int { return a.Created.Compare(b.Created) })
	var buf bytes.Buffer
	for i := range jobs {
		data, err := json.Marshal(stateLine{Job: &jobs[i]})
		if err != nil {
			return err
		}
		buf.Write(append(data, '\n'))
	}
	return renameio.WriteFile(s.cfg.StateFile, buf.Bytes(), 0o600)
}

// reloadState picks up jobs other processes saved since the last read; it
// reports whether batchID is known afterwards.
func (s *Server) reloadState(batchID string) bool {
	if s.cfg.StateFile == "" {
		return false
	}
	if _, err := s.readState(false); err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.jobs[batchID]
	return ok
}
