package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decoder reads events written one JSON object per line, as pkg/runner's
// callback plugin and `ansible-runner run -j` write them.
type Decoder struct {
	r    *bufio.Reader
	line int
}

// NewDecoder returns a Decoder that reads from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10)}
}

// LineError reports a line that is not an event. Decoding can go on after
// it.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("event line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Next returns the next event and the line it was decoded from, without the
// newline; the line is the caller's to keep. Blank lines are skipped. At the
// end of the input Next returns io.EOF; a last line without a newline is
// still decoded. A line that is not a JSON object with an event name gives a
// *LineError, and the next call reads the following line.
func (d *Decoder) Next() (Event, []byte, error) {
	for {
		line, err := d.r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return Event{}, nil, fmt.Errorf("read events: %w", err)
		}
		if len(line) == 0 {
			return Event{}, nil, io.EOF
		}
		d.line++
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev Event
		if uerr := json.Unmarshal(line, &ev); uerr != nil {
			return Event{}, line, &LineError{Line: d.line, Err: uerr}
		}
		if ev.Event == "" {
			return Event{}, line, &LineError{Line: d.line, Err: errors.New("no event name")}
		}
		return ev, line, nil
	}
}
