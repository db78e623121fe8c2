package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestFullHelpShowsEveryKey: README promises `?` shows every key of the
// screen you are on. At each size, every binding of the screen's full help
// is on screen whole (key and description), or a scroll away.
func TestFullHelpShowsEveryKey(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"files", "form", "submit", "history", "details", "key", "log"} {
		for _, sz := range [][2]int{{60, 16}, {80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				page := name
				if name == "log" {
					page = "history"
				}
				d, _ := onPage(t, page)
				if name == "log" {
					d.key("L")
				}
				d.size(sz[0], sz[1])
				if d.m.active().typing() {
					t.Skip("a text field has the focus: ? is a letter there")
				}
				d.key("?")
				if !d.m.help.ShowAll {
					t.Fatal("? did not open the full help")
				}
				seen := d.screen()
				checkFits(t, name, d.m.View().Content, sz[0], sz[1])
				// Scroll to the end, a page at a time, reading each.
				for i := 0; i < 20 && strings.Contains(seen, "scroll"); i++ {
					d.key("pgdown")
					seen += "\n" + d.screen()
					checkFits(t, name, d.m.View().Content, sz[0], sz[1])
				}
				for _, col := range d.m.active().keys().FullHelp() {
					for _, b := range col {
						h := b.Help()
						re := regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(h.Key) + ` +` + regexp.QuoteMeta(h.Desc) + `(\s|$)`)
						if !re.MatchString(seen) {
							t.Errorf("%q %q is not shown; screens:\n%s", h.Key, h.Desc, seen)
						}
					}
				}
			})
		}
	}
}
