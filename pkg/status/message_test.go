package status

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestFailureMessage(t *testing.T) {
	many := make([]Failure, 10)
	for i := range many {
		many[i] = Failure{Task: fmt.Sprintf("Task %d", i), Message: strings.Repeat("y", 800)}
	}
	manyLine := func(i int) string { return fmt.Sprintf(`Task "Task %d" failed: %s`, i, strings.Repeat("y", 800)) }
	tests := []struct {
		name     string
		headline string
		failures []Failure
		want     string
	}{
		{
			name:     "A failure names the task, its file and line, and the module's message",
			failures: []Failure{webFailure},
			want:     webFailureLine,
		},
		{
			name:     "Several failures are joined by newlines after the headline",
			headline: "The Ansible run ended abnormally: exit status 2",
			failures: []Failure{{Task: "A", TaskPath: "a.yml:1", Message: "one"}, {Task: "B", TaskPath: "b.yml:2", Message: "two"}},
			want:     "The Ansible run ended abnormally: exit status 2\n" + `Task "A" (a.yml:1) failed: one` + "\n" + `Task "B" (b.yml:2) failed: two`,
		},
		{
			name:     "An unnamed task is named after its action",
			failures: []Failure{{Action: "ansible.builtin.command", Message: "non-zero return code"}},
			want:     `Task "ansible.builtin.command" failed: non-zero return code`,
		},
		{
			name:     "A task with neither name nor action is called unnamed",
			failures: []Failure{{Message: "boom"}},
			want:     `Task (unnamed) failed: boom`,
		},
		{
			name:     "A failure without a message says so as upstream does",
			failures: []Failure{{Task: "A", Message: " \x1b[0m "}},
			want:     `Task "A" failed: unknown playbook failure`,
		},
		{
			name:     "Quotes in a task name are escaped so that the name stays delimited",
			failures: []Failure{{Task: `Say "hi"`, Message: "m"}},
			want:     `Task "Say \"hi\"" failed: m`,
		},
		{
			name:     "Line breaks in a task name and path are folded into spaces",
			failures: []Failure{{Task: "Two\nlines", TaskPath: "a.yml:\t1\n", Message: "first\nsecond"}},
			want:     "Task \"Two lines\" (a.yml: 1) failed: first\nsecond",
		},
		{
			name:     "Invalid UTF-8 is replaced, never passed on",
			failures: []Failure{{Task: "A", Message: "bad \xff byte"}},
			want:     "Task \"A\" failed: bad \uFFFD byte",
		},
		{
			name:     "Failures beyond 4 KiB are counted, not shown",
			failures: many,
			want:     strings.Join([]string{manyLine(0), manyLine(1), manyLine(2), manyLine(3), "(6 more failed tasks not shown)"}, "\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failureMessage(tt.headline, tt.failures)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failureMessage (-want +got):\n%s", diff)
			}
			if len(got) > maxMessageBytes {
				t.Errorf("message is %d bytes, more than %d", len(got), maxMessageBytes)
			}
		})
	}
}

func TestBound(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{name: "A text within the bound is kept", in: "abc", n: 3, want: "abc"},
		{name: "A longer text is cut to the bound with a marker", in: strings.Repeat("a", 40), n: 30, want: strings.Repeat("a", 30-len(truncatedMarker)) + truncatedMarker},
		{name: "A multibyte character at the cut is dropped whole", in: strings.Repeat("a", 14) + strings.Repeat("é", 10), n: 30, want: strings.Repeat("a", 14) + truncatedMarker},
		{name: "Space before the marker is trimmed", in: "abcdefghijklmnop" + strings.Repeat(" ", 30), n: 40, want: "abcdefghijklmnop" + truncatedMarker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bound(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("bound(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if len(got) > tt.n || !utf8.ValidString(got) {
				t.Errorf("bound(%q, %d) = %q: %d bytes, valid UTF-8 %v", tt.in, tt.n, got, len(got), utf8.ValidString(got))
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "Colour codes are removed", in: "\x1b[1;31mred\x1b[0m", want: "red"},
		{name: "Cursor moves and erasures are removed", in: "a\x1b[2K\x1b[1Gb", want: "ab"},
		{name: "Hyperlinks keep their text", in: "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", want: "link"},
		{name: "Carriage returns, bells, NULs and C1 controls are removed", in: "a\r\nb\x07\x00c\u0085d", want: "a\nbcd"},
		{name: "Newlines and tabs inside the text are kept, surrounding space is not", in: "\n a\n\tb \n", want: "a\n\tb"},
		{name: "A lone escape is removed", in: "a\x1bb", want: "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitize(tt.in); got != tt.want {
				t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
