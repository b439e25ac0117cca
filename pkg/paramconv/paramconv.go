package paramconv

import (
	"slices"
	"strings"
)

// specialWords are the acronyms that always form a word of their own inside a
// camelCase key. No suffix of one is a prefix of another, so a left-to-right
// scan finds them without ambiguity.
var specialWords = []string{"HTTP", "URL", "IP"}

// word is one word of a key, before lowercasing.
type word struct {
	text string
	// special is set for HTTP, URL or IP found inside a camelCase key,
	// plural when a lowercase s followed it.
	special, plural bool
}

// ToSnake converts one key from camelCase to snake_case with upstream
// ansible-operator's rules (see the package documentation).
func ToSnake(s string) string {
	s = strings.Trim(s, " ")
	if s == "" {
		return ""
	}

	var b strings.Builder
	b.Grow(len(s) + 8)
	var first []word
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !isSeparator(s[i]) {
			continue
		}
		words := splitSegment(s[start:i])
		if start == 0 {
			first = words
		}
		for j, w := range words {
			if j > 0 {
				b.WriteByte('_')
			}
			b.WriteString(w.text)
		}
		if i < len(s) {
			b.WriteByte('_')
		}
		start = i + 1
	}

	out := strings.ToLower(b.String())
	if isUpper(s[0]) && !(len(first) > 0 && first[0].special && !first[0].plural) {
		out = "_" + out
	}
	return out
}

// Convert returns a copy of in whose keys are converted with ToSnake, also in
// maps nested inside maps and lists at any depth. Values other than maps and
// lists are kept as they are, and in is not modified.
//
// When two keys of one map convert to the same name, a key that was already in
// snake_case wins, else the one that sorts last; the result never depends on
// Go's map order (upstream's does).
func Convert(in map[string]any) map[string]any {
	if in == nil {
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	out := make(map[string]any, len(in))
	unchanged := make(map[string]bool, len(in))
	for _, k := range keys {
		nk := ToSnake(k)
		if unchanged[nk] {
			continue
		}
		out[nk] = convertValue(in[k])
		unchanged[nk] = k == nk
	}
	return out
}

func convertValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return Convert(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = convertValue(e)
		}
		return out
	default:
		return v
	}
}

// splitSegment splits the text between two separators into words.
func splitSegment(seg string) []word {
	if seg == "" {
		return nil
	}
	if !strings.ContainsFunc(seg, func(r rune) bool { return r < 0x80 && isLower(byte(r)) }) {
		// All capitals, digits or other characters: one word, specials and all.
		return []word{{text: seg}}
	}

	var words []word
	plain := 0
	for i := 0; i < len(seg); {
		sw, ok := specialAt(seg, i)
		if !ok {
			i++
			continue
		}
		words = appendCaseWords(words, seg[plain:i])
		end := i + len(sw)
		plural := end < len(seg) && seg[end] == 's'
		if plural {
			end++
		}
		words = append(words, word{text: seg[i:end], special: true, plural: plural})
		i, plain = end, end
	}
	return appendCaseWords(words, seg[plain:])
}

// specialAt reports the special word that starts at seg[i], if any.
func specialAt(seg string, i int) (string, bool) {
	for _, sw := range specialWords {
		if strings.HasPrefix(seg[i:], sw) {
			return sw, true
		}
	}
	return "", false
}

// appendCaseWords splits s at its case changes and appends the words: before an
// uppercase letter that follows a lowercase one, and before an uppercase letter
// that starts a lowercase run after other characters (the last capital of an
// acronym, or a capital after a digit).
func appendCaseWords(words []word, s string) []word {
	start := 0
	for i := 1; i < len(s); i++ {
		if !isUpper(s[i]) {
			continue
		}
		afterLower := isLower(s[i-1])
		startsWord := i+1 < len(s) && isLower(s[i+1])
		if afterLower || startsWord {
			words = append(words, word{text: s[start:i]})
			start = i
		}
	}
	if start < len(s) {
		words = append(words, word{text: s[start:]})
	}
	return words
}

func isSeparator(c byte) bool { return c == '_' || c == '-' || c == ' ' }
func isUpper(c byte) bool     { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool     { return 'a' <= c && c <= 'z' }
