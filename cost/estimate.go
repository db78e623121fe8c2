package cost

import (
	"fmt"
	"strconv"
)

// Estimate is what a batch of audio is expected to cost: the known minutes
// at the model's price. It is always an estimate, shown as one ("≈ $0.10"),
// and never a reason to refuse a submission.
type Estimate struct {
	Model string
	Price Price
	// USD is the cost of the audio whose length is known.
	USD float64
	// Known is false when there is nothing to go on: no price for the
	// model, or no file with a known length.
	Known bool
	// AtLeast is set when some lengths are unknown: the cost is USD or more.
	AtLeast bool
	priced  bool // the table had a price for Model
}

// Estimate prices total at model's batch price.
func (t Table) Estimate(model string, total Total) Estimate {
	price, ok := t.Price(model)
	e := Estimate{Model: model, Price: price, priced: ok}
	if !ok || total.Files > 0 && total.Unknown == total.Files {
		return e
	}
	e.Known, e.AtLeast = true, total.Unknown > 0
	e.USD = roundPrice(total.Known.Minutes() * price.PerMinute) // to the nano-dollar: no float noise in JSON
	return e
}

// String is the estimate as the UI and the command line show it: "≈ $0.10",
// "≥ $0.10" when some lengths are unknown, "?" when it cannot be made.
func (e Estimate) String() string {
	switch {
	case !e.Known:
		return Unknown
	case e.AtLeast:
		return "≥ " + usd(e.USD)
	}
	return "≈ " + usd(e.USD)
}

// Basis says what the estimate rests on, to show beside it: "estimate:
// whisper-v3 at $0.0009 per audio minute (…source…)", or why there is none.
func (e Estimate) Basis() string {
	if !e.priced {
		return fmt.Sprintf("no price known for model %q: add it under \"prices\" in the config file", e.Model)
	}
	return "estimate: " + e.PriceText()
}

// PriceText is the price the estimate rests on and where it comes from:
// "whisper-v3 at $0.0009 per audio minute (…source…)", or why there is
// none. Basis is this labelled as an estimate.
func (e Estimate) PriceText() string {
	if !e.priced {
		return e.Basis()
	}
	return fmt.Sprintf("%s at $%s per audio minute (%s)", e.Model,
		strconv.FormatFloat(e.Price.PerMinute, 'f', -1, 64), e.Price.Source)
}

// Plus adds two estimates, of other models or months, into one for a total:
// the known amounts added up, at least that when either is a lower bound or
// cannot be made (no price, no known length). Its Basis is meaningless: give
// each part's.
func (e Estimate) Plus(o Estimate) Estimate {
	return Estimate{
		USD:     roundPrice(e.USD + o.USD),
		Known:   e.Known || o.Known,
		AtLeast: e.AtLeast || o.AtLeast || !e.Known || !o.Known,
		priced:  e.priced && o.priced,
	}
}
