package status

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// applyCustom merges a role's custom status into s and returns warnings about
// what it ignored. Keys are applied in sorted order so that warnings are
// stable.
func (s *state) applyCustom(custom map[string]any, generation int64, now time.Time) []string {
	var warnings []string
	for _, k := range sortedKeys(custom) {
		v := custom[k]
		switch {
		case k == keyObservedGeneration:
			warnings = append(warnings, fmt.Sprintf("custom status key %q is owned by the operator; ignored", k))
		case k == keyConditions && isNull(v):
			warnings = append(warnings, "custom status conditions is null: conditions cannot be deleted; ignored")
		case k == keyConditions:
			warnings = append(warnings, s.applyCustomConditions(v, generation, now)...)
		case isNull(v):
			delete(s.fields, k)
		default:
			nv, err := normalize(v)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("custom status key %q: %v; ignored", k, err))
				continue
			}
			s.fields[k] = merge(s.fields[k], nv)
		}
	}
	return warnings
}

// merge applies patch to target as a JSON merge patch (RFC 7386) would: maps
// merge key by key, a null deletes a key, anything else replaces. target may
// be changed; patch is not.
func merge(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return deepCopy(patch)
	}
	t, ok := target.(map[string]any)
	if !ok || t == nil {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = merge(t[k], v)
	}
	return t
}

// normalize returns a deep copy of v made of the types an unstructured object
// holds (map[string]any, []any, string, bool, int64, float64 and nil), or an
// error naming what cannot be stored. Integral floats become int64, as they
// would after a round trip through the API server.
func normalize(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, int64:
		return v, nil
	case map[string]any:
		if v == nil {
			return nil, nil
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = n
		}
		return out, nil
	case []any, []map[string]any:
		l, _ := asList(v)
		if l == nil {
			return nil, nil
		}
		out := make([]any, len(l))
		for i, e := range l {
			n, err := normalize(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = n
		}
		return out, nil
	}
	n, ok := toNumber(v)
	switch {
	case !ok:
		return nil, fmt.Errorf("%T cannot be stored in a status", v)
	case n.isInt:
		return n.i, nil
	case math.IsNaN(n.f) || math.IsInf(n.f, 0):
		return nil, fmt.Errorf("%v cannot be stored in a status", n.f)
	case n.f == math.Trunc(n.f) && n.f >= math.MinInt64 && n.f < math.MaxInt64:
		return int64(n.f), nil
	default:
		return n.f, nil
	}
}

// deepCopy copies the maps and lists in v; []map[string]any becomes []any.
// Other values are shared.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	case []map[string]any:
		l, _ := asList(v)
		return deepCopy(l)
	}
	return v
}

// Equal reports whether two statuses encode to the same JSON: nothing is
// ignored, not even transition times, but int64(3) and float64(3) are equal
// because the API server cannot tell them apart. The controller uses it to skip
// a status patch that would change nothing.
func Equal(a, b map[string]any) bool {
	return equal(a, b)
}

func equal(x, y any) bool {
	if isNull(x) || isNull(y) {
		return isNull(x) && isNull(y)
	}
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok || len(xv) != len(yv) {
			return false
		}
		for k, e := range xv {
			f, ok := yv[k]
			if !ok || !equal(e, f) {
				return false
			}
		}
		return true
	case []any, []map[string]any:
		xl, _ := asList(xv)
		yl, ok := asList(y)
		return ok && slices.EqualFunc(xl, yl, equal)
	case string, bool:
		return x == y
	}
	xn, xok := toNumber(x)
	yn, yok := toNumber(y)
	if xok || yok {
		return xok && yok && xn.equal(yn)
	}
	return false
}

// isNull reports whether v encodes to JSON null.
func isNull(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return v == nil
	case []any:
		return v == nil
	case []map[string]any:
		return v == nil
	}
	return false
}

// asList returns v as a []any, converting a []map[string]any without copying
// its maps.
func asList(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case []map[string]any:
		if v == nil {
			return nil, true
		}
		out := make([]any, len(v))
		for i, m := range v {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// number is a JSON number: an int64 if it is one, else a float64.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func (n number) equal(m number) bool {
	if n.isInt && m.isInt {
		return n.i == m.i
	}
	return n.float() == m.float()
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// toNumber converts Go's numeric types and json.Number.
func toNumber(v any) (number, bool) {
	switch v := v.(type) {
	case int:
		return number{isInt: true, i: int64(v)}, true
	case int8:
		return number{isInt: true, i: int64(v)}, true
	case int16:
		return number{isInt: true, i: int64(v)}, true
	case int32:
		return number{isInt: true, i: int64(v)}, true
	case int64:
		return number{isInt: true, i: v}, true
	case uint:
		return fromUint(uint64(v)), true
	case uint8:
		return fromUint(uint64(v)), true
	case uint16:
		return fromUint(uint64(v)), true
	case uint32:
		return fromUint(uint64(v)), true
	case uint64:
		return fromUint(v), true
	case float32:
		return number{f: float64(v)}, true
	case float64:
		return number{f: v}, true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return number{isInt: true, i: i}, true
		}
		if f, err := v.Float64(); err == nil {
			return number{f: f}, true
		}
	}
	return number{}, false
}

func fromUint(u uint64) number {
	if u > math.MaxInt64 {
		return number{f: float64(u)}
	}
	return number{isInt: true, i: int64(u)}
}

// int64Value returns v as an int64 if it is an integral number.
func int64Value(v any) (int64, bool) {
	n, ok := toNumber(v)
	switch {
	case !ok:
		return 0, false
	case n.isInt:
		return n.i, true
	case n.f == math.Trunc(n.f) && n.f >= math.MinInt64 && n.f < math.MaxInt64:
		return int64(n.f), true
	}
	return 0, false
}

// jsonType names v's JSON type for warnings.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any, []map[string]any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	if _, ok := toNumber(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
