package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/fwbatch/fwbatch/internal/testchild"
)

// The tests here run real processes: the test binary again, in
// TestHelperProcess, chosen by the environment.
const (
	helperEnv     = "FWBATCH_STORE_TEST_HELPER"
	helperPathEnv = "FWBATCH_STORE_TEST_PATH"
	helperArgEnv  = "FWBATCH_STORE_TEST_ARG"
)

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("run by the multi-process tests")
	}
	if err := helperMain(mode, os.Getenv(helperPathEnv), os.Getenv(helperArgEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func helperMain(mode, path, arg string) error {
	ctx := context.Background()
	switch mode {
	case "perm":
		return json.NewEncoder(os.Stdout).Encode(permCheck(path))
	case "disk":
		res, err := diskCheck(path)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(res)
	case "load-rss":
		peak, err := loadRSS(path)
		if err != nil {
			return err
		}
		fmt.Println(peak)
		return nil
	}
	s, err := Open(path)
	if err != nil {
		return err
	}
	// Writers that take turns with others on a loaded machine may wait for
	// the lock longer than a user would (5 s): the tests here check that no
	// entry is lost, not how long a turn takes.
	s.lockTimeout = time.Minute
	switch mode {
	case "append-loop":
		// Appends until killed, and says which ids are on disk. The
		// messages, up to 512 KiB, make writes long enough for a kill to
		// cut one short.
		r := rand.New(rand.NewPCG(uint64(os.Getpid()), 0))
		for i := 0; ; i++ {
			id := fmt.Sprintf("p%d-%d", os.Getpid(), i)
			msg := strings.Repeat("m", r.IntN(512<<10))
			if err := s.Append(ctx, Event{Kind: KindStarted, ID: id}, Event{Kind: KindStatus, ID: id, Status: "QUEUED", Message: msg}); err != nil {
				return err
			}
			fmt.Println(id)
		}
	case "append-n":
		n, _ := strconv.Atoi(arg)
		for i := range n {
			id := fmt.Sprintf("p%d-%d", os.Getpid(), i)
			if err := s.Append(ctx, Event{Kind: KindStarted, ID: id}, Event{Kind: KindStatus, ID: id, Status: "QUEUED"}); err != nil {
				return err
			}
			if err := s.Append(ctx, Event{Kind: KindStatus, ID: id, Status: "RUNNING"}); err != nil {
				return err
			}
			fmt.Println(id)
		}
		return nil
	case "hold-lock":
		unlock, err := s.lock(ctx)
		if err != nil {
			return err
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin) // until killed
		unlock()
		return nil
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

func helperCmd(mode, path, arg string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path, helperArgEnv+"="+arg)
	return cmd
}

// kill -9 at random moments of a process appending in a loop: whatever it
// reported done is there, the file loads, and the next append heals a torn
// line.
func TestKillDuringAppend(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 0))
	acked := map[string]bool{}
	torn := 0
	for round := range 50 {
		cmd := helperCmd("append-loop", s.Path(), "")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for range r.IntN(4) {
			if !sc.Scan() {
				break
			}
			acked[sc.Text()] = true
		}
		// The random moment: anywhere in the next append or so. Nothing
		// waits on this sleep; the checks hold whenever the kill lands.
		time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		for sc.Scan() { // reported before it died
			acked[sc.Text()] = true
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: the child ended by itself (%v): %s", round, err, stderr.Bytes())
		}

		h, err := s.Load()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for id := range acked {
			if sub := h.Get(id); sub == nil || sub.ServerStatus != "QUEUED" {
				t.Fatalf("round %d (seed %d): %s was reported appended but is missing or partial: %+v", round, seed, id, sub)
			}
		}
		rep := h.Report()
		if !rep.Torn {
			continue
		}
		torn++
		if err := s.Append(ctx, Event{Kind: KindHidden, ID: fmt.Sprint("heal", round)}); err != nil {
			t.Fatal(err)
		}
		h, err = s.Load()
		if err != nil {
			t.Fatal(err)
		}
		after := h.Report()
		if after.Torn || after.Lines != rep.Lines+2 || after.BadCount+after.Events != rep.BadCount+rep.Events+2 {
			t.Fatalf("round %d: torn line %d not healed:\nbefore %+v\nafter  %+v", round, rep.TornLine, rep, after)
		}
	}
	h, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	rep := h.Report()
	if rep.BadCount > torn || rep.NewerCount != 0 || rep.Blank != 0 {
		t.Errorf("%d unreadable lines after %d torn ones: %+v", rep.BadCount, torn, rep)
	}
	t.Logf("50 kills (seed %d): %d appends acknowledged, %d torn lines healed, %d lines", seed, len(acked), torn, rep.Lines)
}

// Two processes append 1000 submissions each while this one compacts:
// nothing is lost and every line reads.
func TestTwoWritersAndCompaction(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	s.lockTimeout = time.Minute // two writers take turns with the compaction
	const n = 1000
	type writer struct {
		cmd    *exec.Cmd
		stderr bytes.Buffer
		sc     *bufio.Scanner
	}
	ws := make([]*writer, 2)
	for i := range ws {
		w := &writer{cmd: helperCmd("append-n", s.Path(), strconv.Itoa(n))}
		w.cmd.Stderr = &w.stderr
		out, err := w.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		w.sc = bufio.NewScanner(out)
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ws[i] = w
	}
	acked := make(chan string, 2*n)
	done := make(chan struct{})
	go func() {
		for ws[1].sc.Scan() {
			acked <- ws[1].sc.Text()
		}
		close(done)
	}()
	compactions := 0
	for i := 0; ws[0].sc.Scan(); i++ {
		acked <- ws[0].sc.Text()
		if i == n/3 || i == 2*n/3 {
			rep, err := s.Compact(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rewritten {
				compactions++
			}
		}
	}
	<-done
	for _, w := range ws {
		if err := w.cmd.Wait(); err != nil {
			t.Fatalf("writer: %v: %s", err, w.stderr.Bytes())
		}
	}
	close(acked)
	if compactions == 0 {
		t.Error("no compaction rewrote the file")
	}
	h, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if rep := h.Report(); h.Len() != 2*n || rep.Lines != rep.Events || rep.Torn || len(rep.SetAside) != 0 {
		t.Fatalf("%d submissions, report %+v", h.Len(), rep)
	}
	count := 0
	for id := range acked {
		count++
		if sub := h.Get(id); sub == nil || sub.ServerStatus != "RUNNING" || sub.Outcome != OutcomeUploading {
			t.Fatalf("%s: %+v", id, sub)
		}
	}
	if count != 2*n {
		t.Errorf("%d acknowledged", count)
	}
}

// A lock holder killed with kill -9 leaves no lock behind.
func TestLockHolderKilled(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	cmd := helperCmd("hold-lock", s.Path(), "")
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q: %s", line, stderr.Bytes())
	}
	waiter, _ := Open(s.Path())
	waiter.lockTimeout = 100 * time.Millisecond // the lock is held until the kill
	err := waiter.Append(context.Background(), Event{Kind: KindHidden, ID: "a"})
	var le *LockedError
	host, _ := os.Hostname()
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid || le.Host != host ||
		!strings.Contains(err.Error(), fmt.Sprintf("held by pid %d on host %s", cmd.Process.Pid, host)) {
		t.Errorf("while held: %v", err)
	}

	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	fl := flock.New(s.lockPath())
	if ok, err := fl.TryLock(); !ok || err != nil { // one try, no waiting
		t.Fatalf("the lock outlived its killed holder: %v %v", ok, err)
	}
	fl.Unlock()
	if err := s.Append(context.Background(), Event{Kind: KindHidden, ID: "a"}); err != nil {
		t.Fatal(err)
	}
}

// permScenarios are the folders the permission checks use, under root.
var permScenarios = []struct {
	name, dir string
	dirMode   os.FileMode
	fileMode  os.FileMode
	want      string // in the error, after the path
}{
	{"read-only folder", "rodir", 0o500, 0o600, "cannot create or lock the history lock file: permission denied; check the owner and mode"},
	{"read-only file", "rofile", 0o700, 0o400, "cannot open the history file for writing: permission denied; check the owner and mode"},
}

type permResult struct {
	Name, Append, Check string
}

// permCheck appends and checks writability in each scenario, as whoever
// runs it.
func permCheck(root string) []permResult {
	var out []permResult
	for _, sc := range permScenarios {
		res := permResult{Name: sc.name}
		s, err := Open(filepath.Join(root, sc.dir, "history.jsonl"))
		if err != nil {
			res.Append, res.Check = err.Error(), err.Error()
		} else {
			if err := s.Append(context.Background(), Event{Kind: KindHidden, ID: idA}); err != nil {
				res.Append = err.Error()
			}
			if err := s.CheckWritable(context.Background()); err != nil {
				res.Check = err.Error()
			}
		}
		out = append(out, res)
	}
	return out
}

// A read-only folder and a read-only file: a clear error, nothing changed.
// Root ignores file permissions, so as root the check runs as nobody.
func TestReadOnlyFolderAndFile(t *testing.T) {
	t.Parallel()
	root, err := os.MkdirTemp("", "fwbatch-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, sc := range permScenarios {
			os.Chmod(filepath.Join(root, sc.dir), 0o700)
		}
		os.RemoveAll(root)
	})
	asRoot := os.Geteuid() == 0
	const nobody = 65534
	content := []byte(lineStartedA + "\n")
	for _, sc := range permScenarios {
		dir := filepath.Join(root, sc.dir)
		file := filepath.Join(dir, "history.jsonl")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, content, sc.fileMode); err != nil {
			t.Fatal(err)
		}
		if asRoot {
			os.Chown(dir, nobody, nobody)
			os.Chown(file, nobody, nobody)
		}
		os.Chmod(dir, sc.dirMode)
	}

	var results []permResult
	if !asRoot {
		results = permCheck(root)
	} else {
		// nobody must be able to reach the folders. A check that ran and
		// failed fails the test; only a system that cannot switch to
		// nobody skips it.
		os.Chmod(root, 0o755)
		cmd, dir := testchild.AsNobody(t, "-test.run=^TestHelperProcess$")
		cmd.Env = []string{helperEnv + "=perm", helperPathEnv + "=" + root, "HOME=" + dir}
		out := testchild.Output(t, "the permission checks as user nobody", cmd)
		if err := json.Unmarshal(out, &results); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	if len(results) != len(permScenarios) {
		t.Fatalf("results: %+v", results)
	}
	for i, sc := range permScenarios {
		res := results[i]
		dir := filepath.Join(root, sc.dir)
		for what, msg := range map[string]string{"append": res.Append, "CheckWritable": res.Check} {
			if !strings.Contains(msg, sc.want) || !strings.Contains(msg, dir+"/history.jsonl") || !strings.Contains(msg, "--history FILE") {
				t.Errorf("%s, %s: %q\nwant it to name the file and say %q", sc.name, what, msg, sc.want)
			}
		}
		if b, err := os.ReadFile(filepath.Join(dir, "history.jsonl")); err != nil || !bytes.Equal(b, content) {
			t.Errorf("%s: the history changed: %q %v", sc.name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "rodir", "history.jsonl.lock")); err == nil {
		t.Error("a lock file appeared in the read-only folder")
	}
}

type diskResult struct {
	NoMount         string // why this system cannot mount the tmpfs
	NoRemount       string // why it cannot make the tmpfs read-only
	Full, ReadOnly  string // the errors
	FullUnchanged   bool   // the history as it was after the failed append
	ReadOnlyAppends bool   // appends before the remount worked
}

// diskCheck mounts a tiny tmpfs at dir, in this process's own mount
// namespace, fills it, then makes it read-only, appending each time. An
// error is a failure of the store (the child exits 3); NoMount and
// NoRemount say the system refused a mount.
func diskCheck(dir string) (diskResult, error) {
	var res diskResult
	if err := syscall.Mount("fwbatch-test", dir, "tmpfs", 0, "size=128k,mode=0700"); err != nil {
		res.NoMount = err.Error()
		return res, nil
	}
	s, err := Open(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	for i := range 3 {
		if err := s.Append(ctx, Event{Kind: KindStarted, ID: fmt.Sprint(i)}); err != nil {
			return res, fmt.Errorf("append on the fresh tmpfs: %w", err)
		}
	}
	res.ReadOnlyAppends = true
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		return res, err
	}
	chunk := make([]byte, 1024)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	// Leave room for part of the next line, so the write fails half way.
	filler.Truncate(mustSize(filler) - 2048)
	filler.Close()
	before, _ := os.ReadFile(s.Path())
	err = s.Append(ctx, Event{Kind: KindFailed, ID: "big", Message: strings.Repeat("x", 64<<10)})
	if err != nil {
		res.Full = err.Error()
	}
	after, _ := os.ReadFile(s.Path())
	res.FullUnchanged = bytes.Equal(before, after)

	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		res.NoRemount = err.Error()
		return res, nil
	}
	if err := s.Append(ctx, Event{Kind: KindHidden, ID: "0"}); err != nil {
		res.ReadOnly = err.Error()
	}
	return res, nil
}

func mustSize(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// A full disk and a read-only file system: clear errors, and a write that
// failed half way leaves no partial line.
func TestFullAndReadOnlyDisk(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to mount a tiny file system in a private mount namespace")
	}
	dir := t.TempDir()
	cmd := helperCmd("disk", dir, "")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out := testchild.Output(t, "the disk checks in a private mount namespace", cmd)
	var res diskResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.NoMount != "" {
		t.Skip("this system cannot mount a tmpfs in a private mount namespace: " + res.NoMount)
	}
	path := filepath.Join(dir, "history.jsonl")
	if want := path + ": cannot append to the history file: no space left on device; free space or pass --history FILE"; !strings.HasPrefix(res.Full, want) {
		t.Errorf("full disk: %q\nwant %q", res.Full, want)
	}
	if !res.FullUnchanged {
		t.Error("the failed append left bytes behind")
	}
	if res.NoRemount != "" {
		t.Skip("this system cannot remount a tmpfs read-only: " + res.NoRemount)
	}
	if want := path + ": cannot open the history file for writing: read-only file system; the disk is mounted read-only: pass --history FILE"; !strings.HasPrefix(res.ReadOnly, want) {
		t.Errorf("read-only: %q\nwant %q", res.ReadOnly, want)
	}
}
