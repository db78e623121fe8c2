// Package cost estimates what transcribing audio through the Fireworks batch
// API costs, and formats the durations and amounts that the UI and the
// command line show. It holds fwbatch's one price table.
package cost

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Price is the batch price of one model.
type Price struct {
	PerMinute float64 // US dollars per minute of audio
	Source    string  // where the figure comes from, for the estimate's label
}

// Table holds a Price per model. The zero Table knows no prices.
type Table struct {
	prices map[string]Price
}

// The defaults are Fireworks' public list prices for speech to text, per
// audio minute: whisper-v3 $0.0015, whisper-v3-turbo $0.0009 (source:
// https://fireworks.ai/pricing, figures as given in fwbatch's tracker issue
// 10 and recorded here on 2026-11-30; this machine cannot reach the page to
// re-check them). The batch API is advertised at 40% below the list price,
// and that is what fwbatch's jobs pay: the table holds list × 0.6.
const (
	batchDiscount = 0.40
	defaultSource = "fireworks.ai/pricing list price of 2026-11-30, less 40% for batch"
)

var listPerMinute = map[string]float64{
	"whisper-v3":       0.0015,
	"whisper-v3-turbo": 0.0009,
}

// NotIncluded names the charges an estimate leaves out, for the UI and the
// command line to show beside it.
var NotIncluded = []string{
	"diarization surcharge",
	"taxes",
}

// NotIncludedText is NotIncluded as one line.
func NotIncludedText() string {
	return "not included: " + strings.Join(NotIncluded, ", ")
}

// Defaults returns the table of default batch prices.
func Defaults() Table {
	t := Table{prices: make(map[string]Price, len(listPerMinute))}
	for model, list := range listPerMinute {
		t.prices[model] = Price{PerMinute: roundPrice(list * (1 - batchDiscount)), Source: defaultSource}
	}
	return t
}

// roundPrice drops float noise, to the nano-dollar: 0.0009 rather than
// 0.0008999999999999999 for list × 0.6.
func roundPrice(usd float64) float64 { return math.Round(usd*1e9) / 1e9 }

// WithOverrides returns t with the batch prices in overrides (model → US
// dollars per audio minute) replacing or adding to its own, labelled as
// coming from source (the config file's "prices" feeds it). A price that is
// negative or not a number is refused, naming the model.
func (t Table) WithOverrides(overrides map[string]float64, source string) (Table, error) {
	out := Table{prices: maps.Clone(t.prices)}
	if out.prices == nil {
		out.prices = make(map[string]Price, len(overrides))
	}
	for _, model := range slices.Sorted(maps.Keys(overrides)) {
		usd := overrides[model]
		if strings.TrimSpace(model) == "" {
			return t, fmt.Errorf("prices: a price without a model name: name the model (for example \"whisper-v3\")")
		}
		if usd < 0 || math.IsNaN(usd) || math.IsInf(usd, 0) {
			return t, fmt.Errorf("prices.%s: %v is not a price: give US dollars per audio minute, 0 or more", model, usd)
		}
		out.prices[model] = Price{PerMinute: usd, Source: source}
	}
	return out, nil
}

// Price returns the price of model, and whether the table has one.
func (t Table) Price(model string) (Price, bool) {
	p, ok := t.prices[model]
	return p, ok
}

// IsZero reports whether t knows no prices (the zero Table).
func (t Table) IsZero() bool { return len(t.prices) == 0 }
