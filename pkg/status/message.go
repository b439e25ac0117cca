package status

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of condition messages, in bytes. The API server allows 32 KiB; a
// status that people read with kubectl describe should be much shorter.
const (
	maxMessageBytes = 4096
	maxFailureBytes = 1024
)

// truncatedMarker ends a text that was cut.
const truncatedMarker = " …[truncated]"

// ansiEscape matches ANSI CSI sequences (colours, cursor moves), OSC
// sequences (titles, hyperlinks) and the other two-byte escapes.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]`)

// failureMessage returns the Failure message: the headline, if any, then one
// line per failed task, within maxMessageBytes. Failures that do not fit are
// counted in a last line.
func failureMessage(headline string, failures []Failure) string {
	var lines []string
	if headline != "" {
		lines = append(lines, bound(sanitize(headline), maxFailureBytes))
	}
	for _, f := range failures {
		lines = append(lines, bound(failureLine(f), maxFailureBytes))
	}
	if all := strings.Join(lines, "\n"); len(all) <= maxMessageBytes {
		return all
	}
	var b strings.Builder
	for i, line := range lines {
		rest := len(lines) - i - 1
		need := len(line)
		if i > 0 {
			need++
		}
		if rest > 0 {
			need += 1 + len(omitted(rest))
		}
		if b.Len()+need > maxMessageBytes {
			fmt.Fprintf(&b, "\n%s", omitted(rest+1))
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return b.String()
}

func omitted(n int) string {
	return fmt.Sprintf("(%d more failed tasks not shown)", n)
}

// failureLine renders one failed task as
// Task "<name>" (<file:line>) failed: <msg>.
func failureLine(f Failure) string {
	name := oneLine(f.Task)
	if name == "" {
		name = oneLine(f.Action)
	}
	var b strings.Builder
	b.WriteString("Task ")
	if name == "" {
		b.WriteString("(unnamed)")
	} else {
		b.WriteString(strconv.Quote(name))
	}
	if path := oneLine(f.TaskPath); path != "" {
		fmt.Fprintf(&b, " (%s)", path)
	}
	msg := sanitize(f.Message)
	if msg == "" {
		msg = "unknown playbook failure"
	}
	fmt.Fprintf(&b, " failed: %s", msg)
	return b.String()
}

// sanitize makes s valid UTF-8 and removes ANSI escapes and every control
// character but newline and tab, and surrounding space.
func sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = ansiEscape.ReplaceAllString(s, "")
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// oneLine sanitizes s and folds its lines into one.
func oneLine(s string) string {
	return strings.Join(strings.Fields(sanitize(s)), " ")
}

// bound cuts s to at most n bytes, ending it with truncatedMarker, without
// splitting a character.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(truncatedMarker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + truncatedMarker
}
