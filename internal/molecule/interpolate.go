package molecule

import (
	"fmt"
	"strings"
)

// Interpolate substitutes environment variables into the text of a Molecule
// configuration file as Molecule does: $NAME and ${NAME} become the value
// (empty when unset), ${NAME:-default} the default when NAME is unset or
// empty, ${NAME-default} the default when NAME is unset, and $$ a dollar.
func Interpolate(text string, env map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		rest := text[i+1:]
		switch {
		case strings.HasPrefix(rest, "$"):
			b.WriteByte('$')
			i++
		case strings.HasPrefix(rest, "{"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return "", fmt.Errorf("line %d: ${ without a closing }", strings.Count(text[:i], "\n")+1)
			}
			expr := rest[1:end]
			name, def, mode := expr, "", ""
			if j := strings.Index(expr, ":-"); j >= 0 {
				name, def, mode = expr[:j], expr[j+2:], ":-"
			} else if j := strings.IndexByte(expr, '-'); j >= 0 {
				name, def, mode = expr[:j], expr[j+1:], "-"
			}
			if !validName(name) {
				return "", fmt.Errorf("line %d: invalid substitution ${%s}", strings.Count(text[:i], "\n")+1, expr)
			}
			v, set := env[name]
			switch {
			case mode == ":-" && v == "":
				v = def
			case mode == "-" && !set:
				v = def
			}
			b.WriteString(v)
			i += end + 1
		default:
			n := 0
			for n < len(rest) && (rest[n] == '_' || isAlnum(rest[n])) && !(n == 0 && rest[n] >= '0' && rest[n] <= '9') {
				n++
			}
			if n == 0 {
				// A lone dollar stays, as in Python's Template.safe_substitute.
				b.WriteByte('$')
				continue
			}
			b.WriteString(env[rest[:n]])
			i += n
		}
	}
	return b.String(), nil
}

func validName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '_' && !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
