package cost

import "github.com/fwbatch/fwbatch/audio"

// File is one file to price: its name as the user gave it, its size and
// its length.
type File struct {
	Name   string
	Size   int64
	Length audio.Length
}

// PlanItem is one file of a Plan, with what it alone is expected to cost.
type PlanItem struct {
	File
	Estimate Estimate
}

// Plan is what submitting some files with one model is expected to cost:
// each file's estimate, and the total. `submit --dry-run` prints one, and
// so does any command that says what it would send before sending it.
type Plan struct {
	Model    string
	Items    []PlanItem
	Bytes    int64 // the files' sizes added up
	Total    Total // their lengths added up
	Estimate Estimate
}

// Plan prices files at model's batch price.
func (t Table) Plan(model string, files []File) Plan {
	p := Plan{Model: model, Items: make([]PlanItem, len(files))}
	for i, f := range files {
		p.Items[i] = PlanItem{File: f, Estimate: t.Estimate(model, Sum(f.Length))}
		p.Bytes += f.Size
		p.Total.Add(f.Length)
	}
	p.Estimate = t.Estimate(model, p.Total)
	return p
}
