package status

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// builtinTypes are the engine's condition types, in the order they are
// written.
var builtinTypes = []string{TypeRunning, TypeSuccessful, TypeFailure}

// The patterns and lengths of metav1.Condition's type and reason.
var (
	typePattern   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$`)
	reasonPattern = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`)
)

const (
	maxTypeLength   = 316
	maxReasonLength = 1024
)

// customConditionFields are the fields a role may give a condition.
var customConditionFields = []string{"type", "status", "reason", "message"}

// state is a status being computed: a deep copy of the previous one, split
// into the engine's conditions, all other conditions and all other keys.
type state struct {
	fields  map[string]any            // every key but conditions
	builtin map[string]map[string]any // the engine's conditions by type
	others  []any                     // every other condition entry, in order
}

// parse splits a deep copy of prev into a state. A conditions value that is
// not a list is dropped; of several entries with one engine type, the first is
// kept.
func parse(prev map[string]any) *state {
	s := &state{fields: map[string]any{}, builtin: map[string]map[string]any{}}
	for k, v := range prev {
		if k != keyConditions {
			s.fields[k] = deepCopy(v)
		}
	}
	list, _ := deepCopy(prev[keyConditions]).([]any)
	for _, entry := range list {
		m, _ := entry.(map[string]any)
		typ, _ := m["type"].(string)
		switch {
		case !slices.Contains(builtinTypes, typ):
			s.others = append(s.others, entry)
		case s.builtin[typ] == nil:
			s.builtin[typ] = m
		}
	}
	return s
}

// status assembles the state into a status map.
func (s *state) status() map[string]any {
	out := s.fields
	conditions := []any{}
	for _, typ := range builtinTypes {
		if c := s.builtin[typ]; c != nil {
			conditions = append(conditions, c)
		}
	}
	out[keyConditions] = append(conditions, s.others...)
	return out
}

// set writes one of the engine's conditions. ansibleResult is added when
// non-nil and removed otherwise.
func (s *state) set(typ, status, reason, message string, generation int64, now time.Time, ansibleResult map[string]any) {
	c := newCondition(s.builtin[typ], typ, status, reason, message, generation, now)
	if ansibleResult != nil {
		c["ansibleResult"] = deepCopy(ansibleResult)
	}
	s.builtin[typ] = c
}

// setOther writes a condition of a type the engine does not own, in place if
// one of that type exists and at the end otherwise.
func (s *state) setOther(typ, status, reason, message string, generation int64, now time.Time) {
	for i, entry := range s.others {
		if m, ok := entry.(map[string]any); ok && m["type"] == typ {
			s.others[i] = newCondition(m, typ, status, reason, message, generation, now)
			return
		}
	}
	s.others = append(s.others, newCondition(nil, typ, status, reason, message, generation, now))
}

// newCondition returns a condition, keeping prev's lastTransitionTime if the
// status did not change and that time is valid.
func newCondition(prev map[string]any, typ, status, reason, message string, generation int64, now time.Time) map[string]any {
	transition := now.UTC().Format(time.RFC3339)
	if t, ok := prev["lastTransitionTime"].(string); ok && prev["status"] == status {
		if _, err := time.Parse(time.RFC3339, t); err == nil {
			transition = t
		}
	}
	return map[string]any{
		"type":               typ,
		"status":             status,
		"reason":             reason,
		"message":            message,
		"lastTransitionTime": transition,
		"observedGeneration": generation,
	}
}

// observedGeneration returns a condition's observedGeneration, or -1 if it
// has none.
func observedGeneration(c map[string]any) int64 {
	if g, ok := int64Value(c[keyObservedGeneration]); ok {
		return g
	}
	return -1
}

// applyCustomConditions merges the conditions a role reported and returns
// warnings about the entries it ignored or changed.
func (s *state) applyCustomConditions(v any, generation int64, now time.Time) []string {
	list, ok := asList(v)
	if !ok {
		return []string{fmt.Sprintf("custom status conditions: want a list, got %s; ignored", jsonType(v))}
	}
	var warnings []string
	seen := map[string]bool{}
	for i, entry := range list {
		c, warns := customCondition(entry)
		for _, w := range warns {
			warnings = append(warnings, fmt.Sprintf("custom status conditions[%d]: %s", i, w))
		}
		if c == nil {
			continue
		}
		if seen[c.typ] {
			warnings = append(warnings, fmt.Sprintf("custom status conditions[%d]: type %q repeats an earlier entry, which it replaces", i, c.typ))
		}
		seen[c.typ] = true
		s.setOther(c.typ, c.status, c.reason, c.message, generation, now)
	}
	return warnings
}

// custom is a condition a role reported, validated.
type custom struct {
	typ, status, reason, message string
}

// customCondition validates one entry of a role's conditions. It returns nil
// if the entry must be ignored, and warnings in both cases.
func customCondition(entry any) (*custom, []string) {
	m, ok := entry.(map[string]any)
	if !ok {
		return nil, []string{fmt.Sprintf("want an object, got %s; ignored", jsonType(entry))}
	}
	var warnings []string
	var unknown []string
	for k := range m {
		if !slices.Contains(customConditionFields, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		warnings = append(warnings, fmt.Sprintf("fields %s ignored: only %s are read", strings.Join(unknown, ", "), strings.Join(customConditionFields, ", ")))
	}
	typ, _ := m["type"].(string)
	switch {
	case len(typ) > maxTypeLength || !typePattern.MatchString(typ):
		return nil, append(warnings, fmt.Sprintf("type %q is not a valid condition type; ignored", typ))
	case slices.Contains(builtinTypes, typ):
		return nil, append(warnings, fmt.Sprintf("type %q is owned by the operator; ignored", typ))
	}
	status, ok := conditionStatus(m["status"])
	switch {
	case m["status"] == nil:
		return nil, append(warnings, fmt.Sprintf("condition %q: no status; ignored", typ))
	case !ok:
		return nil, append(warnings, fmt.Sprintf("condition %q: status %v is not True, False or Unknown; ignored", typ, m["status"]))
	}
	c := &custom{typ: typ, status: status, reason: ReasonUnspecified}
	switch reason := m["reason"].(type) {
	case nil:
	case string:
		switch {
		case reason == "":
		case validReason(reason):
			c.reason = reason
		default:
			warnings = append(warnings, fmt.Sprintf("condition %q: reason %q is not CamelCase; %s used", typ, reason, ReasonUnspecified))
		}
	default:
		warnings = append(warnings, fmt.Sprintf("condition %q: reason must be a string, got %s; %s used", typ, jsonType(reason), ReasonUnspecified))
	}
	switch message := m["message"].(type) {
	case nil:
	case string:
		c.message = bound(sanitize(message), maxMessageBytes)
	default:
		warnings = append(warnings, fmt.Sprintf("condition %q: message must be a string, got %s; ignored", typ, jsonType(message)))
	}
	return c, warnings
}

// conditionStatus accepts True, False and Unknown in any case, and booleans.
func conditionStatus(v any) (string, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return True, true
		}
		return False, true
	case string:
		for _, s := range []string{True, False, Unknown} {
			if strings.EqualFold(v, s) {
				return s, true
			}
		}
	}
	return "", false
}

// validReason reports whether reason is a valid metav1.Condition reason.
func validReason(reason string) bool {
	return len(reason) <= maxReasonLength && reasonPattern.MatchString(reason)
}
