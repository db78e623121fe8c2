package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/fwbatch/fwbatch/submit"
)

func testRunner(env map[string]string) (*runner, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &runner{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}, &out, &errOut
}

// TestPrecedence: flags > environment > config file > defaults, for every
// setting that has more than one source.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfgDir := filepath.Join(home, "cfg")
	vars := map[string]string{"HOME": home, "XDG_CONFIG_HOME": cfgDir, "XDG_STATE_HOME": filepath.Join(home, "state")}
	cfgPath := filepath.Join(cfgDir, "fwbatch", "config.json")
	if err := saveConfig(cfgPath, &Config{APIKey: "fw-config-key-0001", Form: &FormValues{
		Endpoint: "audio-turbo", ResponseFormat: "srt", Language: "de", Prompt: "from config"}}); err != nil {
		t.Fatal(err)
	}
	setup := func(args ...string) (*env, submit.Options) {
		t.Helper()
		r, _, _ := testRunner(vars)
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		var g globalFlags
		var o optionFlags
		g.register(fs)
		o.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		e, err := r.setup(&g)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.close)
		return e, o.apply(fs, e.defaults())
	}

	// Defaults, then the config file.
	e, o := setup()
	if e.baseURL != DefaultBaseURL || e.store.Path() != filepath.Join(home, "state", "fwbatch", "history.jsonl") {
		t.Fatalf("defaults: base %q history %q", e.baseURL, e.store.Path())
	}
	if e.apiKey != "fw-config-key-0001" || e.keySource != "config" {
		t.Fatalf("the config's key was not used: source %q", e.keySource)
	}
	if o.Endpoint != "audio-turbo" || o.Model != "whisper-v3-turbo" || o.ResponseFormat != "srt" || o.Language != "de" || o.Task != "transcribe" {
		t.Fatalf("config over defaults: %+v", o)
	}

	// The environment beats the config and the defaults.
	vars["FIREWORKS_API_KEY"] = "fw-env-key-0002"
	vars["FIREWORKS_BATCH_BASE_URL"] = "http://env.example"
	vars["FWBATCH_HISTORY"] = filepath.Join(home, "env-history.jsonl")
	e, _ = setup()
	if e.apiKey != "fw-env-key-0002" || e.baseURL != "http://env.example" || e.store.Path() != vars["FWBATCH_HISTORY"] {
		t.Fatalf("environment: key source %q base %q history %q", e.keySource, e.baseURL, e.store.Path())
	}

	// Flags beat everything.
	e, o = setup("--base-url", "http://flag.example", "--history", filepath.Join(home, "flag-history.jsonl"),
		"--endpoint", "audio-prod", "--language", "fr")
	if e.baseURL != "http://flag.example" || e.store.Path() != filepath.Join(home, "flag-history.jsonl") {
		t.Fatalf("flags: base %q history %q", e.baseURL, e.store.Path())
	}
	if o.Endpoint != "audio-prod" || o.Model != "whisper-v3" || o.Language != "fr" || o.ResponseFormat != "srt" || o.Prompt != "from config" {
		t.Fatalf("flags over config: %+v", o)
	}
}

// TestConfigReadableByOthersIsRefused: a config file others can read may
// leak the key; fwbatch refuses it and names the chmod that fixes it.
func TestConfigReadableByOthersIsRefused(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "cfg"), "XDG_STATE_HOME": filepath.Join(home, "state")}
	path := filepath.Join(home, "cfg", "fwbatch", "config.json")
	if err := saveConfig(path, &Config{APIKey: "fw-secret-key-abcd"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatalf("saved config: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved config mode %v, want 0600", fi.Mode())
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Fatalf("config folder: %v", err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Fatalf("config folder mode %v, want 0700", fi.Mode())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	r, out, errOut := testRunner(env)
	code := r.main([]string{"list"})
	msg := errOut.String()
	if code != ExitUsage || out.Len() != 0 || strings.Count(msg, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, msg)
	}
	if !strings.Contains(msg, "chmod 600 "+path) || !strings.Contains(msg, path) || strings.Contains(msg, "fw-secret-key-abcd") {
		t.Fatalf("stderr does not name the file and the fix (or shows the key): %q", msg)
	}
}

// TestRememberAndSaveKey: the UI's remembered values and a saved key land in
// the config file, 0600, and come back as defaults next time.
func TestRememberAndSaveKey(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_STATE_HOME": filepath.Join(home, "state")}
	r, _, _ := testRunner(env)
	e, err := r.setup(&globalFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if e.apiKey != "" {
		t.Fatal("a key out of nowhere")
	}
	want := submit.Options{Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3", ResponseFormat: "verbose_json",
		Diarize: true, TimestampGranularities: "word,segment", MinSpeakers: 2}
	if err := e.remember(want); err != nil {
		t.Fatal(err)
	}
	if err := e.saveKey("fw-typed-key-9876"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".config", "fwbatch", "config.json")
	if fi, err := os.Stat(path); err != nil {
		t.Fatalf("config: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Fatalf("config %s mode %v, want 0600", path, fi.Mode())
	}
	e2, err := r.setup(&globalFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.close()
	if got := e2.defaults(); got != want.WithDefaults() {
		t.Fatalf("remembered: %+v, want %+v", got, want)
	}
	if e2.apiKey != "fw-typed-key-9876" || e2.keySource != "config" {
		t.Fatalf("saved key not used: %q", e2.keySource)
	}
}
