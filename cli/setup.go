package cli

import (
	"flag"
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

// globalFlags are accepted by every command.
type globalFlags struct {
	baseURL string
	history string
	debug   string
	demo    bool
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", "", "batch API base URL (env FIREWORKS_BATCH_BASE_URL; default "+DefaultBaseURL+")")
	fs.StringVar(&g.history, "history", "", "history file (env FWBATCH_HISTORY; default $XDG_STATE_HOME/fwbatch/history.jsonl)")
	fs.StringVar(&g.debug, "debug", "", "append a debug log to this `FILE` (never the terminal)")
	fs.BoolVar(&g.demo, "demo", false, "use a built-in fake of the API on a loopback port, with its own demo history; no key needed")
}

// optionFlags are the submission flags, shared by the UI and `submit`.
type optionFlags struct {
	task, endpoint, model, format         string
	language, prompt, temperature, grans  string
	vad, alignment, preprocessing         string
	diarize, force                        bool
	minSpeakers, maxSpeakers, concurrency int
}

func (o *optionFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.task, "task", "", "transcribe or translate (default transcribe)")
	fs.StringVar(&o.endpoint, "endpoint", "", "audio-prod or audio-turbo (default audio-prod)")
	fs.StringVar(&o.model, "model", "", "model (default: the endpoint's model: whisper-v3 or whisper-v3-turbo)")
	fs.StringVar(&o.format, "response-format", "", "json, text, srt, verbose_json or vtt (default json)")
	fs.BoolVar(&o.diarize, "diarize", false, "label speakers (needs --response-format verbose_json and --timestamp-granularities word)")
	fs.StringVar(&o.language, "language", "", "ISO 639-1 code of the spoken language, e.g. en (default: detect)")
	fs.StringVar(&o.prompt, "prompt", "", "text to prime the transcription (names, jargon, style)")
	fs.StringVar(&o.temperature, "temperature", "", "sampling temperature, or a fallback list like 0,0.2,0.4 (default 0)")
	fs.StringVar(&o.grans, "timestamp-granularities", "", "word, segment or word,segment (verbose_json only; default segment)")
	fs.IntVar(&o.minSpeakers, "min-speakers", 0, "fewest speakers to find (with --diarize)")
	fs.IntVar(&o.maxSpeakers, "max-speakers", 0, "most speakers to find (with --diarize)")
	fs.StringVar(&o.vad, "vad-model", "", "silero or whisperx-pyannet (default silero)")
	fs.StringVar(&o.alignment, "alignment-model", "", "mms_fa or tdnn_ffn (default mms_fa)")
	fs.StringVar(&o.preprocessing, "preprocessing", "", "none, dynamic, soft_dynamic or bass_dynamic (default none)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "how many files upload at once")
	fs.BoolVar(&o.force, "force", false, "upload files whose first bytes do not look like audio or video")
}

// apply lays the flags the user actually gave over base (remembered values
// or defaults): flags > environment > config > defaults.
func (o *optionFlags) apply(fs *flag.FlagSet, base submit.Options) submit.Options {
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "task":
			base.Task = o.task
		case "endpoint":
			base.Endpoint = o.endpoint
			if !isSet(fs, "model") {
				base.Model = "" // follow the endpoint
			}
		case "model":
			base.Model = o.model
		case "response-format":
			base.ResponseFormat = o.format
		case "diarize":
			base.Diarize = o.diarize
		case "language":
			base.Language = o.language
		case "prompt":
			base.Prompt = o.prompt
		case "temperature":
			base.Temperature = o.temperature
		case "timestamp-granularities":
			base.TimestampGranularities = o.grans
		case "min-speakers":
			base.MinSpeakers = o.minSpeakers
		case "max-speakers":
			base.MaxSpeakers = o.maxSpeakers
		case "vad-model":
			base.VADModel = o.vad
		case "alignment-model":
			base.AlignmentModel = o.alignment
		case "preprocessing":
			base.Preprocessing = o.preprocessing
		}
	})
	base.Force = o.force
	return base.WithDefaults()
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

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
	histPath := g.history
	if histPath == "" {
		histPath = r.getenv("FWBATCH_HISTORY")
	}
	if g.demo {
		if histPath == "" {
			if histPath, err = demoHistoryPath(r.getenv); err != nil {
				return nil, err
			}
		}
		// The demo's jobs live beside its history: the fake dies with the
		// process, the history does not.
		srv := fakeapi.New(fakeapi.DemoConfig(filepath.Join(filepath.Dir(histPath), "fake-jobs.json")))
		if err := srv.Start(); err != nil {
			return nil, fmt.Errorf("demo: starting the built-in fake API: %w", err)
		}
		e.demo = srv
		e.baseURL = srv.URL()
		e.apiKey, e.keySource = fakeapi.DemoKey, "demo"
	} else {
		if histPath == "" {
			if histPath, err = statePath(r.getenv, "history.jsonl"); err != nil {
				return nil, err
			}
		}
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
	cfg := submit.Config{BaseURL: e.baseURL, APIKey: key, UserAgent: "fwbatch/" + Version}
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
