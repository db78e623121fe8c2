package cli

import (
	"errors"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fwbatch/fwbatch/submit"
)

// globalFlags are accepted by every command, before or after its name.
type globalFlags struct {
	baseURL string
	history string
	debug   string
	demo    bool
}

func (g *globalFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", "", "batch API base URL (env FIREWORKS_BATCH_BASE_URL; default "+DefaultBaseURL+")")
	fs.StringVar(&g.history, "history", "", "history file (env FWBATCH_HISTORY; default $XDG_STATE_HOME/fwbatch/history.jsonl)")
	fs.StringVar(&g.debug, "debug", "", "append a debug log to this file (never the terminal)")
	fs.BoolVar(&g.demo, "demo", false, "use a built-in fake of the API on a loopback port, with its own demo history and sample recordings; no key needed")
}

// optionFlags are the submission flags, shared by the UI and `submit` (and
// every command that submits): registerOptions adds all of them.
type optionFlags struct {
	task, endpoint, model, format         string
	language, prompt, temperature, grans  string
	vad, alignment, preprocessing         string
	diarize, force                        bool
	minSpeakers, maxSpeakers, concurrency int
}

func (o *optionFlags) register(fs *pflag.FlagSet) {
	o.registerRequest(fs)
	fs.IntVar(&o.concurrency, "concurrency", 4, "how many files upload at once")
	fs.BoolVar(&o.force, "force", false, "upload files whose first bytes do not look like audio or video")
}

// registerRequest adds the flags of the request's fields only, for
// commands whose other flags mean something else (sync's --force
// overwrites transcripts).
func (o *optionFlags) registerRequest(fs *pflag.FlagSet) {
	fs.StringVar(&o.task, "task", "", "transcribe or translate (default transcribe)")
	fs.StringVar(&o.endpoint, "endpoint", "", "the endpoint: audio-prod or audio-turbo (default audio-prod)")
	fs.StringVar(&o.model, "model", "", "the model (default: the endpoint's: whisper-v3 or whisper-v3-turbo)")
	fs.StringVar(&o.format, "response-format", "", "the transcript's format: json, text, srt, verbose_json or vtt (default json)")
	fs.BoolVar(&o.diarize, "diarize", false, "label speakers (needs --response-format verbose_json and --timestamp-granularities word)")
	fs.StringVar(&o.language, "language", "", "the spoken language as an ISO 639-1 code, e.g. en (default: detect)")
	fs.StringVar(&o.prompt, "prompt", "", "text to prime the transcription (names, jargon, style)")
	fs.StringVar(&o.temperature, "temperature", "", "sampling temperature, or a fallback list like 0,0.2,0.4 (default 0)")
	fs.StringVar(&o.grans, "timestamp-granularities", "", "timestamps for each word, segment or word,segment (verbose_json only; default segment)")
	fs.IntVar(&o.minSpeakers, "min-speakers", 0, "fewest speakers to find (with --diarize)")
	fs.IntVar(&o.maxSpeakers, "max-speakers", 0, "most speakers to find (with --diarize)")
	fs.StringVar(&o.vad, "vad-model", "", "voice activity detection model: silero or whisperx-pyannet (default silero)")
	fs.StringVar(&o.alignment, "alignment-model", "", "alignment model: mms_fa or tdnn_ffn (default mms_fa)")
	fs.StringVar(&o.preprocessing, "preprocessing", "", "audio preprocessing: none, dynamic, soft_dynamic or bass_dynamic (default none)")
}

// apply lays the flags the user actually gave over base (remembered values
// or defaults): flags > environment > config > defaults.
func (o *optionFlags) apply(fs *pflag.FlagSet, base submit.Options) submit.Options {
	fs.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "task":
			base.Task = o.task
		case "endpoint":
			base.Endpoint = o.endpoint
			if !fs.Changed("model") {
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

// flagValues are the values of the flags that take one of a set: what
// their completion offers. They are the very lists submit.Options.Validate
// checks against, so that completion never offers a value that is refused.
// A new flag of this kind is one line here.
var flagValues = map[string][]string{
	"task":                    submit.Tasks,
	"endpoint":                submit.Endpoints,
	"model":                   {submit.ModelProd, submit.ModelTurbo},
	"response-format":         submit.ResponseFormats,
	"timestamp-granularities": submit.TimestampGranularities,
	"vad-model":               submit.VADModels,
	"alignment-model":         submit.AlignmentModels,
	"preprocessing":           submit.Preprocessings,
	"language":                slices.Concat(submit.Languages, submit.ChineseScripts),
	"output-format":           append(slices.Clone(submit.OutputFormats), "all"),
}

// flagCompletions complete the flags whose values are not a fixed set.
var flagCompletions = map[string]cobra.CompletionFunc{
	"since": completeMonths,
}

// registerValueCompletions walks the command tree once it is built and
// lets every flag named in flagValues complete from its values; flags that
// take free text or a number complete nothing (no file names either).
func registerValueCompletions(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			complete := cobra.FixedCompletions(nil, cobra.ShellCompDirectiveNoFileComp)
			if values, ok := flagValues[f.Name]; ok {
				complete = cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveKeepOrder)
			} else if fn, ok := flagCompletions[f.Name]; ok {
				complete = fn
			} else if f.Value.Type() == "bool" || takesFile[f.Name] {
				return
			}
			_ = c.RegisterFlagCompletionFunc(f.Name, complete)
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	_ = root.RegisterFlagCompletionFunc("base-url", cobra.NoFileCompletions)
}

// takesFile names the flags whose value is a path: the shell completes
// file names for them.
var takesFile = map[string]bool{"history": true, "debug": true, "output": true, "out": true}

// keyFlagError says why a flag that looks like one for the API key is
// refused, or "" when err is about another flag.
func keyFlagError(err error) string {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return ""
	}
	name := ne.GetSpecifiedName()
	if s := ne.GetSpecifiedShortnames(); s != "" {
		name = s // -key: pflag reads it as -k -e -y
	}
	name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
	for _, p := range []string{"api-key", "apikey", "key"} {
		if strings.HasPrefix(name, p) {
			return "the API key is never taken as a flag (it would show in ps and shell history): set FIREWORKS_API_KEY instead"
		}
	}
	return ""
}
