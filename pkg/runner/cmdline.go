package runner

import (
	"fmt"
	"strings"
)

// trimQuotes removes one pair of single quotes around the whole of s, as
// upstream does with --ansible-args, but only when the quotes are not part of
// two quoted words ('a' 'b').
func trimQuotes(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' && !strings.Contains(s[1:len(s)-1], "'") {
		return s[1 : len(s)-1]
	}
	return s
}

// splitArgs splits a command line into words the way ansible-runner reads
// env/cmdline (Python's shlex.split): blanks separate words, single quotes
// keep everything literally, double quotes keep everything but a backslash
// before " or \, and outside quotes a backslash keeps the next character.
func splitArgs(s string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("split %q: unterminated single quote", s)
			}
			word.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					j++
				}
				word.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("split %q: unterminated double quote", s)
			}
			i = j
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, fmt.Errorf("split %q: backslash at the end", s)
			}
			i++
			word.WriteByte(s[i])
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
