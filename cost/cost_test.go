package cost_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/submit"
)

func TestDefaultsAreBatchPrices(t *testing.T) {
	table := cost.Defaults()
	for model, want := range map[string]float64{
		submit.ModelProd:  0.0009,  // $0.0015 list, less 40%
		submit.ModelTurbo: 0.00054, // $0.0009 list, less 40%
	} {
		p, ok := table.Price(model)
		if !ok || p.PerMinute != want {
			t.Errorf("%s: %v (%v), want $%v per minute", model, p.PerMinute, ok, want)
		}
		if !strings.Contains(p.Source, "fireworks.ai/pricing") || !strings.Contains(p.Source, "40%") {
			t.Errorf("%s: source %q does not say where the price comes from", model, p.Source)
		}
	}
	if _, ok := table.Price("whisper-v2"); ok {
		t.Error("a price for a model the API does not have")
	}
}

func TestOverrides(t *testing.T) {
	defaults := cost.Defaults()
	table, err := defaults.WithOverrides(map[string]float64{"whisper-v3": 0.002, "my-finetune": 0.01}, "config file")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := table.Price("whisper-v3"); p.PerMinute != 0.002 || p.Source != "config file" {
		t.Errorf("overridden price %+v", p)
	}
	if p, _ := table.Price("my-finetune"); p.PerMinute != 0.01 {
		t.Errorf("added price %+v", p)
	}
	if p, _ := table.Price("whisper-v3-turbo"); p.PerMinute != 0.00054 {
		t.Errorf("a price not overridden changed: %+v", p)
	}
	if p, _ := defaults.Price("whisper-v3"); p.PerMinute != 0.0009 {
		t.Errorf("overriding changed the table it started from: %+v", p)
	}
	for _, bad := range []map[string]float64{
		{"whisper-v3": -0.001},
		{"whisper-v3": math.NaN()},
		{"whisper-v3": math.Inf(1)},
		{" ": 0.001},
	} {
		_, err := defaults.WithOverrides(bad, "config file")
		if err == nil || !strings.HasPrefix(err.Error(), "prices") {
			t.Errorf("%v: error %v, want one naming prices", bad, err)
		}
	}
	if _, err := defaults.WithOverrides(map[string]float64{"whisper-v3": -1}, "config"); err == nil || !strings.Contains(err.Error(), "prices.whisper-v3") {
		t.Errorf("the error does not name the field: %v", err)
	}
}

func known(d time.Duration) audio.Length { return audio.KnownLength(d) }

func TestEstimate(t *testing.T) {
	table := cost.Defaults()
	hour := known(time.Hour)
	for _, tc := range []struct {
		name    string
		model   string
		lengths []audio.Length
		want    string
		usd     float64
	}{
		{"one hour on whisper-v3", "whisper-v3", []audio.Length{hour}, "≈ $0.05", 0.054},
		{"one hour on turbo", "whisper-v3-turbo", []audio.Length{hour}, "≈ $0.03", 0.0324},
		{"three minutes on turbo", "whisper-v3-turbo", []audio.Length{known(3 * time.Minute)}, "≈ $0.0016", 0.00162},
		{"400 hours", "whisper-v3", []audio.Length{known(400 * time.Hour)}, "≈ $21.60", 21.6},
		{"20,000 hours", "whisper-v3", []audio.Length{known(20000 * time.Hour)}, "≈ $1,080.00", 1080},
		{"some unknown", "whisper-v3", []audio.Length{hour, {}}, "≥ $0.05", 0.054},
		{"all unknown", "whisper-v3", []audio.Length{{}, {}}, "?", 0},
		{"no files", "whisper-v3", nil, "≈ $0.00", 0},
		{"a model without a price", "whisper-v9", []audio.Length{hour}, "?", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := table.Estimate(tc.model, cost.Sum(tc.lengths...))
			if got := e.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if math.Abs(e.USD-tc.usd) > 1e-9 {
				t.Errorf("USD = %v, want %v", e.USD, tc.usd)
			}
		})
	}
}

func TestEstimateBasis(t *testing.T) {
	table := cost.Defaults()
	e := table.Estimate("whisper-v3", cost.Sum(audio.Length{}))
	if b := e.Basis(); !strings.HasPrefix(b, "estimate: whisper-v3 at $0.0009 per audio minute (") || !strings.Contains(b, "fireworks.ai/pricing") {
		t.Errorf("Basis() = %q", b)
	}
	e = table.Estimate("whisper-v9", cost.Sum(known(time.Minute)))
	if b := e.Basis(); !strings.Contains(b, `no price known for model "whisper-v9"`) || !strings.Contains(b, "prices") {
		t.Errorf("Basis() without a price = %q", b)
	}
	if got := cost.NotIncludedText(); !strings.Contains(got, "diarization") {
		t.Errorf("NotIncludedText() = %q", got)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0 s",
		300 * time.Millisecond:                "< 1 s",
		500 * time.Millisecond:                "1 s",
		42 * time.Second:                      "42 s",
		59*time.Second + 600*time.Millisecond: "1 min",
		3*time.Minute + 12*time.Second:        "3 min 12 s",
		59*time.Minute + 59*time.Second:       "59 min 59 s",
		time.Hour:                             "1 h",
		3*time.Hour + 14*time.Minute + 29*time.Second: "3 h 14 min",
		3*time.Hour + 14*time.Minute + 31*time.Second: "3 h 15 min",
		1000 * time.Hour: "1000 h",
		-time.Second:     "?",
	} {
		if got := cost.Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	if got := cost.Length(audio.Length{}); got != "?" {
		t.Errorf("an unknown length shows as %q", got)
	}
	if got := cost.Length(known(42 * time.Second)); got != "42 s" {
		t.Errorf("Length(42 s) = %q", got)
	}
}

func TestTotal(t *testing.T) {
	for _, tc := range []struct {
		lengths []audio.Length
		want    string
	}{
		{nil, "0 s"},
		{[]audio.Length{known(time.Hour), known(2*time.Hour + 14*time.Minute)}, "3 h 14 min"},
		{[]audio.Length{known(time.Hour), {}}, "≥ 1 h"},
		{[]audio.Length{{}, {}}, "?"},
	} {
		total := cost.Sum(tc.lengths...)
		if got := total.String(); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.lengths, got, tc.want)
		}
		if total.Files != len(tc.lengths) {
			t.Errorf("%v: Files = %d", tc.lengths, total.Files)
		}
	}
}

func TestPlan(t *testing.T) {
	table := cost.Defaults()
	p := table.Plan("whisper-v3", []cost.File{
		{Name: "a.flac", Size: 1000, Length: known(40 * time.Minute)},
		{Name: "b.mp3", Size: 500, Length: audio.Length{}},
		{Name: "c.wav", Size: 24, Length: known(20 * time.Minute)},
	})
	if p.Bytes != 1524 || p.Total.Files != 3 || p.Total.Unknown != 1 || p.Total.Known != time.Hour {
		t.Errorf("totals: %d bytes, %+v", p.Bytes, p.Total)
	}
	if got := p.Estimate.String(); got != "≥ $0.05" {
		t.Errorf("the plan's estimate is %q, want ≥ $0.05 (one length unknown)", got)
	}
	for i, want := range []string{"≈ $0.04", "?", "≈ $0.02"} {
		if got := p.Items[i].Estimate.String(); got != want {
			t.Errorf("%s: %q, want %q", p.Items[i].Name, got, want)
		}
	}
	if !cost.Defaults().Plan("whisper-v3", nil).Estimate.Known || (cost.Table{}).Plan("whisper-v3", nil).Estimate.Known {
		t.Error("an empty plan is $0.00 with a price, unknown without one")
	}
	if !(cost.Table{}).IsZero() || cost.Defaults().IsZero() {
		t.Error("IsZero")
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 17115: "16.7 KiB", 420 << 20: "420.0 MiB", 3 << 40: "3.0 TiB"} {
		if got := cost.Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBytesOf(t *testing.T) {
	for _, tt := range []struct {
		part, whole int64
		want        string
	}{
		{3 << 20, 11 << 20, "3.0 MiB of 11.0 MiB"},
		{11 << 20, 11 << 20, "11.0 MiB of 11.0 MiB"},
		{11<<20 - 1, 11 << 20, "11534335 of 11534336 bytes"}, // not "11.0 MiB of 11.0 MiB"
		{500, 1000, "500 B of 1000 B"},
	} {
		if got := cost.BytesOf(tt.part, tt.whole); got != tt.want {
			t.Errorf("BytesOf(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}

func TestEstimatePlus(t *testing.T) {
	table := cost.Defaults()
	hour := cost.Sum(known(time.Hour))
	v3, turbo := table.Estimate("whisper-v3", hour), table.Estimate("whisper-v3-turbo", hour)
	for _, tc := range []struct {
		name string
		e    cost.Estimate
		want string
	}{
		{"both known", v3.Plus(turbo), "≈ $0.09"},
		{"a lower bound", v3.Plus(table.Estimate("whisper-v3", cost.Sum(known(time.Hour), audio.Length{}))), "≥ $0.11"},
		{"a model without a price", v3.Plus(table.Estimate("whisper-v9", hour)), "≥ $0.05"},
		{"nothing known", table.Estimate("whisper-v9", hour).Plus(table.Estimate("whisper-v3", cost.Sum(audio.Length{}))), "?"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
