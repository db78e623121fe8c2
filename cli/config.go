package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/submit"
)

// Config is $XDG_CONFIG_HOME/fwbatch/config.json. It holds an API key only
// when the user asked to save one, and the form values last submitted.
type Config struct {
	APIKey string      `json:"api_key,omitempty"`
	Form   *FormValues `json:"form,omitempty"`
	// Prices are the user's batch prices per model, in US dollars per
	// audio minute, laid over the defaults (cost.Defaults). They are kept
	// as written and read by priceTable: a bad price spoils the estimates,
	// never the file, whose other settings (the key, the form values)
	// still apply.
	Prices json.RawMessage `json:"prices,omitempty"`
}

// FormValues are the remembered form choices, named as the API names them.
type FormValues struct {
	Task                   string `json:"task,omitempty"`
	Endpoint               string `json:"endpoint,omitempty"`
	Model                  string `json:"model,omitempty"`
	ResponseFormat         string `json:"response_format,omitempty"`
	Diarize                bool   `json:"diarize,omitempty"`
	Language               string `json:"language,omitempty"`
	Prompt                 string `json:"prompt,omitempty"`
	Temperature            string `json:"temperature,omitempty"`
	TimestampGranularities string `json:"timestamp_granularities,omitempty"`
	MinSpeakers            int    `json:"min_speakers,omitempty"`
	MaxSpeakers            int    `json:"max_speakers,omitempty"`
	VADModel               string `json:"vad_model,omitempty"`
	AlignmentModel         string `json:"alignment_model,omitempty"`
	Preprocessing          string `json:"preprocessing,omitempty"`
}

func formValuesOf(o submit.Options) *FormValues {
	return &FormValues{
		Task: o.Task, Endpoint: o.Endpoint, Model: o.Model, ResponseFormat: o.ResponseFormat,
		Diarize: o.Diarize, Language: o.Language, Prompt: o.Prompt, Temperature: o.Temperature,
		TimestampGranularities: o.TimestampGranularities, MinSpeakers: o.MinSpeakers, MaxSpeakers: o.MaxSpeakers,
		VADModel: o.VADModel, AlignmentModel: o.AlignmentModel, Preprocessing: o.Preprocessing,
	}
}

func (f *FormValues) options() submit.Options {
	if f == nil {
		return submit.Options{}
	}
	return submit.Options{
		Task: f.Task, Endpoint: f.Endpoint, Model: f.Model, ResponseFormat: f.ResponseFormat,
		Diarize: f.Diarize, Language: f.Language, Prompt: f.Prompt, Temperature: f.Temperature,
		TimestampGranularities: f.TimestampGranularities, MinSpeakers: f.MinSpeakers, MaxSpeakers: f.MaxSpeakers,
		VADModel: f.VADModel, AlignmentModel: f.AlignmentModel, Preprocessing: f.Preprocessing,
	}
}

// priceTable is the price table estimates use: the defaults with the
// config file's "prices" laid over them. A price that is not a number of US
// dollars per audio minute is refused, naming prices.<model> and the file.
func (c *Config) priceTable(path string) (cost.Table, error) {
	if len(c.Prices) == 0 {
		return cost.Defaults(), nil
	}
	fail := func(format string, args ...any) (cost.Table, error) {
		return cost.Table{}, fmt.Errorf("config file %s: %s", path, fmt.Sprintf(format, args...))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(c.Prices, &raw); err != nil || raw == nil {
		return fail(`prices: give US dollars per audio minute by model, e.g. "prices": {"whisper-v3": 0.0009}`)
	}
	prices := make(map[string]float64, len(raw))
	for model, v := range raw {
		var usd float64
		if err := json.Unmarshal(v, &usd); err != nil {
			return fail("prices.%s: %s is not a price: give US dollars per audio minute, e.g. 0.0009", model, v)
		}
		prices[model] = usd
	}
	table, err := cost.Defaults().WithOverrides(prices, "your config file")
	if err != nil {
		return fail("%v", err)
	}
	return table, nil
}

// configPath is $XDG_CONFIG_HOME/fwbatch/config.json, or ~/.config/….
func configPath(getenv func(string) string) (string, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("config: cannot find the home folder: set HOME or XDG_CONFIG_HOME")
			}
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "fwbatch", "config.json"), nil
}

// loadConfig reads the config file. A missing file is an empty config. A
// file others can read is refused: it may hold the API key.
func loadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("config file %s is readable by others (mode %04o) and may hold your API key: run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	var c Config
	if err := json.NewDecoder(f).Decode(&c); err != nil {
		return nil, fmt.Errorf("config file %s is not valid JSON (%v): fix or remove it", path, err)
	}
	return &c, nil
}

// saveConfig writes c atomically with mode 0600 in a 0700 folder.
func saveConfig(path string, c *Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config folder %s: %w", filepath.Dir(path), err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}
