package fakeapi

import (
	"encoding/json"
	"errors"
	"fmt"
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

// stateVersion is the format of the state file.
const stateVersion = 1

type stateFile struct {
	Version int   `json:"version"`
	Jobs    []Job `json:"jobs"`
}

// loadState reads the jobs of cfg.StateFile into s. A missing file is no
// jobs; an unreadable one is an error that names it.
func (s *Server) loadState() error {
	jobs, err := readState(s.cfg.StateFile)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mergeLocked(jobs)
	return nil
}

func readState(path string) ([]Job, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fake API state file %s: %w", path, err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("fake API state file %s is not valid JSON (%v): remove it", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("fake API state file %s has version %d, want %d: remove it", path, st.Version, stateVersion)
	}
	return st.Jobs, nil
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

// saveState writes every job to cfg.StateFile, atomically, merged with what
// other processes wrote there since (under a lock file beside it), so that
// two fwbatch --demo processes never lose each other's jobs.
func (s *Server) saveState() {
	if s.cfg.StateFile == "" {
		return
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	err := func() error {
		path := s.cfg.StateFile
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		fl := flock.New(path+".lock", flock.SetPermissions(0o600))
		if err := fl.Lock(); err != nil {
			return err
		}
		defer fl.Unlock()
		disk, err := readState(path)
		if err != nil {
			disk = nil // an unreadable file is replaced by what this process knows
		}
		s.mu.Lock()
		s.mergeLocked(disk)
		st := stateFile{Version: stateVersion}
		for _, j := range s.jobs {
			st.Jobs = append(st.Jobs, *j)
		}
		s.mu.Unlock()
		slices.SortFunc(st.Jobs, func(a, b Job) int { return a.Created.Compare(b.Created) })
		data, err := json.Marshal(st)
		if err != nil {
			return err
		}
		return renameio.WriteFile(path, data, 0o600)
	}()
	if err != nil && s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "fake API state file %s: %v\n", s.cfg.StateFile, err)
	}
}

// reloadState picks up jobs other processes saved; it reports whether
// batchID is known afterwards.
func (s *Server) reloadState(batchID string) bool {
	if s.cfg.StateFile == "" {
		return false
	}
	jobs, err := readState(s.cfg.StateFile)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mergeLocked(jobs)
	_, ok := s.jobs[batchID]
	return ok
}
