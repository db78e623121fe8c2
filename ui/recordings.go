package ui

import (
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
)

// recordings is what Files and the form need to tell, for audio files,
// what the history holds of them (package recording): an index of the
// history as last read and the fingerprint cache. Both are made on first
// use, inside the commands that need them, never in Update: indexing
// 100,000 submissions takes a tenth of a second, and the cache is a file.
type recordings struct {
	ix    *lazyIndex // nil until the history has been read
	cache *lazyCache
	gen   int // bumped with every new index: what was judged with an older one is judged again
	// unreadable: the history could not be read, so no state is known
	// (the notice line says why).
	unreadable bool
}

func newRecordings(st *store.Store) *recordings {
	path := ""
	if st != nil {
		path = st.Path()
	}
	return &recordings{cache: &lazyCache{historyPath: path}}
}

// update takes a new read of the history: the submissions, a snapshot the
// reader's command made (store.Submission values never change), and their
// index if one is being built already.
func (r *recordings) update(subs []*store.Submission, ix *lazyIndex) {
	if ix == nil {
		ix = &lazyIndex{subs: subs}
	}
	r.ix = ix
	r.gen++
}

// lazyIndex is an index of subs, built by whichever command needs it first.
type lazyIndex struct {
	once sync.Once
	subs []*store.Submission
	ix   *recording.Index
}

func (l *lazyIndex) get() *recording.Index {
	l.once.Do(func() {
		l.ix = recording.NewIndex(l.subs, nil)
		l.subs = nil
	})
	return l.ix
}

// lazyCache is the fingerprint cache beside the history, read by whichever
// command needs it first and shared by all (it is safe for concurrent use).
type lazyCache struct {
	historyPath string
	once        sync.Once
	c           *recording.Cache
}

// get returns the cache, or nil without a history file (tests).
func (l *lazyCache) get() *recording.Cache {
	l.once.Do(func() {
		if l.historyPath != "" {
			l.c = recording.OpenCache(l.historyPath)
		}
	})
	return l.c
}

// historyRead takes a new read of the history and has the screens that
// show what it holds of files look again.
func (m *Model) historyRead(all []*store.Submission, ix *lazyIndex) tea.Cmd {
	m.sh.rec.update(all, ix)
	var form tea.Cmd
	if m.form != nil && m.page == pageForm {
		form = m.form.historyRead()
	}
	return tea.Batch(m.files.historyRead(m.page == pageFiles), form)
}

// submissions is the read as recordings takes it: the store's, or the
// bare submissions a test gave.
func (msg historyLoadedMsg) submissions() []*store.Submission {
	if msg.all != nil || msg.subs == nil {
		return msg.all
	}
	out := make([]*store.Submission, len(msg.subs))
	for i := range msg.subs {
		out[i] = &msg.subs[i]
	}
	return out
}
