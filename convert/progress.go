package convert

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wanconv/wanconv/internal/units"
)

// progress reports output bytes written: a redrawn bar with rate and ETA on
// a terminal, or a log line per finished file and per 10% otherwise.
type progress struct {
	w        io.Writer // nil = silent
	bar      bool
	total    int64
	done     int64
	start    time.Time
	lastDraw time.Time
	lastTick int64 // last 10% step logged
	now      func() time.Time
}

func newProgress(w io.Writer, bar bool, total int64) *progress {
	p := &progress{w: w, bar: bar, total: total, now: time.Now}
	p.start = p.now()
	return p
}

func (p *progress) add(n int64) {
	if p == nil || p.w == nil {
		return
	}
	p.done += n
	if p.bar {
		if t := p.now(); t.Sub(p.lastDraw) >= 200*time.Millisecond || p.done == p.total {
			p.lastDraw = t
			p.draw()
		}
		return
	}
	if p.total > 0 {
		if tick := p.done * 10 / p.total; tick > p.lastTick && tick < 10 {
			p.lastTick = tick
			fmt.Fprintf(p.w, "wanconv: %d%% %s\n", tick*10, p.status())
		}
	}
}

// fileDone logs a finished output file (plain mode only).
func (p *progress) fileDone(name string, bytes int64) {
	if p == nil || p.w == nil || p.bar {
		return
	}
	fmt.Fprintf(p.w, "wanconv: staged %s (%s)\n", name, units.Bytes(bytes))
}

// finish ends the bar line.
func (p *progress) finish() {
	if p == nil || p.w == nil || !p.bar {
		return
	}
	p.draw()
	fmt.Fprintln(p.w)
}

func (p *progress) status() string {
	el := p.now().Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.done) / el
	}
	eta := "--:--"
	if rate > 0 && p.total >= p.done {
		eta = formatDuration(time.Duration(float64(p.total-p.done) / rate * float64(time.Second)))
	}
	return fmt.Sprintf("%s / %s  %s/s  ETA %s", units.Bytes(p.done), units.Bytes(p.total), units.Bytes(int64(rate)), eta)
}

func (p *progress) draw() {
	const width = 30
	filled := width
	if p.total > 0 {
		filled = int(p.done * width / p.total)
	}
	fmt.Fprintf(p.w, "\r[%s%s] %s  ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.status())
}

func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
