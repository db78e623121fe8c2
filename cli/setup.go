package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// DefaultBaseURL is the batch host of the current Fireworks docs.
const DefaultBaseURL = "https://audio-batch.api.fireworks.ai"

// env is a resolved setting and where it came from, for messages.
type env struct {
	store      *store.Store
	baseURL    string
	apiKey     string
	keySource  string // "FIREWORKS_API_KEY", "config", "demo" or ""
	cfgPath    string
	cfg        *Config
	demo       *fakeapi.Server
	debug      io.Writer
	closeDebug func()
	debugMu    sync.Mutex
	cfgMu      sync.Mutex
}

func (e *env) close() {
	if e.demo != nil {
		e.demo.Close()
	}
	if e.closeDebug != nil {
		e.closeDebug()
	}
}

// setup resolves base URL, history, key and config from flags, environment
// and config file. Errors are one line naming the file or setting.
func (r *runner) setup(g *globalFlags) (*env, error) {
	e := &env{}
	var err error
	if e.cfgPath, err = configPath(r.getenv); err != nil {
		return nil, err
	}
	if e.cfg, err = loadConfig(e.cfgPath); err != nil {
		return nil, err
	}
	if g.debug != "" {
		f, err := os.OpenFile(g.debug, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("debug log %s: %w", g.debug, err)
		}
		e.debug = f
		e.closeDebug = func() { f.Close() }
	}
	histPath, err := r.historyPath(g)
	if err != nil {
		e.close()
		return nil, err
	}
	if g.demo {
		// The demo's jobs live beside its history: the fake dies with the
		// process, the history does not.
		cfg := fakeapi.DemoConfig(filepath.Join(filepath.Dir(histPath), "fake-jobs.json"))
		cfg.Scripts = demoScripts
		srv := fakeapi.New(cfg)
		if err := srv.Start(); err != nil {
			e.close()
			return nil, fmt.Errorf("demo: starting the built-in fake API: %w", err)
		}
		e.demo = srv
		e.baseURL = srv.URL()
		e.apiKey, e.keySource = fakeapi.DemoKey, "demo"
	} else {
		e.baseURL = g.baseURL
		if e.baseURL == "" {
			e.baseURL = r.getenv("FIREWORKS_BATCH_BASE_URL")
		}
		if e.baseURL == "" {
			e.baseURL = DefaultBaseURL
		}
		if k := r.getenv("FIREWORKS_API_KEY"); k != "" {
			e.apiKey, e.keySource = k, "FIREWORKS_API_KEY"
		} else if e.cfg.APIKey != "" {
			e.apiKey, e.keySource = e.cfg.APIKey, "config"
		}
	}
	if e.store, err = store.Open(histPath); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// historyPath is the history file: --history, FWBATCH_HISTORY, the demo's
// own with --demo, or the default one.
func (r *runner) historyPath(g *globalFlags) (string, error) {
	switch {
	case g.history != "":
		return g.history, nil
	case r.getenv("FWBATCH_HISTORY") != "":
		return r.getenv("FWBATCH_HISTORY"), nil
	case g.demo:
		return demoHistoryPath(r.getenv)
	}
	return statePath(r.getenv, "history.jsonl")
}

// statePath is $XDG_STATE_HOME/fwbatch/name, or ~/.local/state/fwbatch/name.
func statePath(getenv func(string) string, name string) (string, error) {
	dir := getenv("XDG_STATE_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("history: cannot find the home folder: set HOME, XDG_STATE_HOME or --history")
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "fwbatch", name), nil
}

// demoHistoryPath keeps the demo's history apart from the real one.
func demoHistoryPath(getenv func(string) string) (string, error) {
	return statePath(getenv, filepath.Join("demo", "history.jsonl"))
}

// clientConfig, when set, adjusts every API client's configuration. Tests
// use it to shrink retry waits and timeouts.
var clientConfig func(*submit.Config)

// client makes an API client for key against the resolved base URL.
func (e *env) client(key string) (*submit.Client, error) {
	cfg := submit.Config{BaseURL: e.baseURL, APIKey: key, UserAgent: "fwbatch/" + buildInfo().version}
	if clientConfig != nil {
		clientConfig(&cfg)
	}
	return submit.NewClient(cfg)
}

// logf appends a line to the --debug log, if there is one, with the API key
// taken out.
func (e *env) logf(format string, args ...any) {
	if e.debug == nil {
		return
	}
	line := submit.Redact(fmt.Sprintf(format, args...), e.apiKey)
	e.debugMu.Lock()
	defer e.debugMu.Unlock()
	fmt.Fprintf(e.debug, "%s %s\n", time.Now().Format("2006-01-02T15:04:05.000Z07:00"), line)
}

// defaults are the remembered form values, or the documented defaults.
func (e *env) defaults() submit.Options {
	return e.cfg.Form.options().WithDefaults()
}

// remember saves the form values just submitted with.
func (e *env) remember(o submit.Options) error {
	return e.updateConfig(func(c *Config) { c.Form = formValuesOf(o) })
}

// saveKey stores the API key in the config file (0600).
func (e *env) saveKey(k string) error {
	return e.updateConfig(func(c *Config) { c.APIKey = k })
}

func (e *env) updateConfig(change func(*Config)) error {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	c, err := loadConfig(e.cfgPath)
	if err != nil {
		return err
	}
	change(c)
	if err := saveConfig(e.cfgPath, c); err != nil {
		return err
	}
	e.cfg = c
	return nil
}
