package watches

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// entry is one watches.yaml item as written. Pointers tell a key left out from a zero value.
type entry struct {
	Group, Version, Kind string

	Role, Playbook string
	Vars           map[string]any

	ReconcilePeriod             string
	ManageStatus                *bool
	WatchDependentResources     *bool
	WatchClusterScopedResources *bool
	WatchAnnotationsChanges     *bool
	SnakeCaseParameters         *bool
	MarkUnsafe                  *bool
	MaxRunnerArtifacts          int
	Blacklist                   []groupVersionKind
	Selector                    metav1.LabelSelector
	Finalizer                   *finalizerEntry
	MaxConcurrentReconciles     *int
	AnsibleVerbosity            *int
}

type groupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

type finalizerEntry struct {
	Name     string         `json:"name"`
	Role     string         `json:"role"`
	Playbook string         `json:"playbook"`
	Vars     map[string]any `json:"vars"`
}

// keys maps every key an entry may have to the field it decodes into, in the order
// problems are reported.
func (e *entry) keys() []struct {
	name   string
	target any
} {
	return []struct {
		name   string
		target any
	}{
		{"group", &e.Group},
		{"version", &e.Version},
		{"kind", &e.Kind},
		{"role", &e.Role},
		{"playbook", &e.Playbook},
		{"vars", &e.Vars},
		{"reconcilePeriod", &e.ReconcilePeriod},
		{"manageStatus", &e.ManageStatus},
		{"watchDependentResources", &e.WatchDependentResources},
		{"watchClusterScopedResources", &e.WatchClusterScopedResources},
		{"watchAnnotationsChanges", &e.WatchAnnotationsChanges},
		{"snakeCaseParameters", &e.SnakeCaseParameters},
		{"markUnsafe", &e.MarkUnsafe},
		{"maxRunnerArtifacts", &e.MaxRunnerArtifacts},
		{"blacklist", &e.Blacklist},
		{"selector", &e.Selector},
		{"finalizer", &e.Finalizer},
		{"maxConcurrentReconciles", &e.MaxConcurrentReconciles},
		{"ansibleVerbosity", &e.AnsibleVerbosity},
	}
}

// problem is an error or warning about one field of one entry.
type problem struct {
	field string
	err   error
}

// report collects the problems of one entry.
type report struct {
	errs, warnings []problem
}

func (r *report) fail(field string, err error) {
	r.errs = append(r.errs, problem{field, err})
}

func (r *report) warn(field, format string, args ...any) {
	r.warnings = append(r.warnings, problem{field, fmt.Errorf(format, args...)})
}

// failed tells whether field, or a field below it, already has an error, so that one
// mistake is not reported twice.
func (r *report) failed(field string) bool {
	return slices.ContainsFunc(r.errs, func(p problem) bool {
		return p.field == field || strings.HasPrefix(p.field, field+".")
	})
}

// splitEntries parses the YAML and returns its list items as JSON.
func splitEntries(data []byte) ([]json.RawMessage, error) {
	doc, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(doc, &items); err != nil {
		return nil, describe(err)
	}
	if len(items) == 0 {
		return nil, errors.New("has no entries: the operator would watch nothing")
	}
	return items, nil
}

// check decodes, defaults and validates one entry. It returns the Watch even when rep
// has errors, so that the caller can name the entry's GVK.
func check(raw json.RawMessage, r resolver, rep *report) Watch {
	e, ok := decodeEntry(raw, rep)
	if !ok {
		return Watch{}
	}
	w := Watch{
		GroupVersionKind:            schema.GroupVersionKind{Group: e.Group, Version: e.Version, Kind: e.Kind},
		Vars:                        plainMap(e.Vars),
		ManageStatus:                valueOr(e.ManageStatus, true),
		WatchDependentResources:     valueOr(e.WatchDependentResources, true),
		WatchClusterScopedResources: valueOr(e.WatchClusterScopedResources, false),
		WatchAnnotationsChanges:     valueOr(e.WatchAnnotationsChanges, false),
		SnakeCaseParameters:         valueOr(e.SnakeCaseParameters, true),
		MarkUnsafe:                  valueOr(e.MarkUnsafe, true),
		MaxRunnerArtifacts:          e.MaxRunnerArtifacts,
		Selector:                    e.Selector,
		MaxConcurrentReconciles:     valueOr(e.MaxConcurrentReconciles, 0),
		AnsibleVerbosity:            e.AnsibleVerbosity,
	}
	checkGVK("", w.GroupVersionKind, rep)

	var field string
	var err error
	w.Role, w.Playbook, field, err = r.resolve(e.Role, e.Playbook)
	if err != nil && !rep.failed("role") && !rep.failed("playbook") {
		rep.fail(field, err)
	}
	if e.Role != "" && e.Playbook != "" {
		rep.warn("role", "role %q is ignored because playbook is set", e.Role)
	}

	if e.ReconcilePeriod != "" {
		w.ReconcilePeriod, err = reconcilePeriod(e.ReconcilePeriod)
		if err != nil {
			rep.fail("reconcilePeriod", err)
		}
	}
	switch {
	case e.MaxRunnerArtifacts < 0:
		rep.fail("maxRunnerArtifacts", fmt.Errorf("must not be negative, got %d", e.MaxRunnerArtifacts))
	case e.MaxRunnerArtifacts == 0:
		w.MaxRunnerArtifacts = DefaultMaxRunnerArtifacts
	}
	if n := e.MaxConcurrentReconciles; n != nil && *n < 1 {
		rep.fail("maxConcurrentReconciles", fmt.Errorf("must be at least 1, got %d", *n))
	}
	if v := e.AnsibleVerbosity; v != nil && (*v < 0 || *v > 7) {
		rep.fail("ansibleVerbosity", fmt.Errorf("must be between 0 and 7, got %d", *v))
	}
	for i, b := range e.Blacklist {
		gvk := schema.GroupVersionKind{Group: b.Group, Version: b.Version, Kind: b.Kind}
		if !rep.failed("blacklist") {
			checkGVK(fmt.Sprintf("blacklist[%d].", i), gvk, rep)
		}
		w.Blacklist = append(w.Blacklist, gvk)
	}
	if _, err := metav1.LabelSelectorAsSelector(&e.Selector); err != nil && !rep.failed("selector") {
		rep.fail("selector", err)
	}
	if e.Finalizer != nil {
		w.Finalizer = checkFinalizer(*e.Finalizer, r, rep)
	}
	return w
}

// decodeEntry decodes the keys of an entry one by one, so that every key of the wrong
// type is reported and unknown keys can be warned about.
func decodeEntry(raw json.RawMessage, rep *report) (entry, bool) {
	var e entry
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		rep.fail("", describe(err))
		return e, false
	}
	for _, key := range e.keys() {
		value, ok := fields[key.name]
		if !ok {
			continue
		}
		delete(fields, key.name)
		unknown, err := decode(value, key.target)
		if err != nil {
			rep.fail(fieldPath(key.name, err), describe(err))
			continue
		}
		if unknown != "" {
			rep.warn(key.name, "unknown key %q is ignored", unknown)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		rep.warn(name, "unknown key is ignored")
	}
	return e, true
}

// decode decodes JSON into target. A key that target has no field for is not an error,
// as upstream; decode returns its name so that the caller can warn.
func decode(data json.RawMessage, target any) (unknown string, err error) {
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.UseNumber()
	strict.DisallowUnknownFields()
	if err = strict.Decode(target); err == nil {
		return "", nil
	}
	// encoding/json has no typed error for an unknown field, only this message.
	quoted, isUnknown := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !isUnknown {
		return "", err
	}
	if unknown, err = strconv.Unquote(quoted); err != nil {
		unknown = quoted
	}
	lenient := json.NewDecoder(bytes.NewReader(data))
	lenient.UseNumber()
	return unknown, lenient.Decode(target)
}

// describe turns a JSON type error into words about YAML.
func describe(err error) error {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return err
	}
	got := strings.NewReplacer("object", "mapping", "array", "list").Replace(typeErr.Value)
	return fmt.Errorf("must be %s, not %s", typeName(typeErr.Type), got)
}

// fieldPath appends the path inside key that a JSON type error is about.
func fieldPath(key string, err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return key + "." + typeErr.Field
	}
	return key
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// checkGVK reports an empty version or kind, and names that Kubernetes would refuse:
// the group is a DNS subdomain, the version a DNS label, and the kind a DNS label once
// lowercased (the rules for CRDs). An empty group is the core group.
func checkGVK(prefix string, gvk schema.GroupVersionKind, rep *report) {
	if gvk.Group != "" {
		if msgs := validation.IsDNS1123Subdomain(gvk.Group); len(msgs) > 0 {
			rep.fail(prefix+"group", fmt.Errorf("invalid group %q: %s", gvk.Group, strings.Join(msgs, "; ")))
		}
	}
	for _, name := range []struct{ field, value, lower string }{
		{"version", gvk.Version, gvk.Version},
		{"kind", gvk.Kind, strings.ToLower(gvk.Kind)},
	} {
		switch {
		case rep.failed(prefix + name.field):
		case name.value == "":
			rep.fail(prefix+name.field, errors.New("must not be empty"))
		default:
			if msgs := validation.IsDNS1035Label(name.lower); len(msgs) > 0 {
				rep.fail(prefix+name.field, fmt.Errorf("invalid %s %q: %s", name.field, name.value, strings.Join(msgs, "; ")))
			}
		}
	}
}

// reconcilePeriod parses a Go duration. 0 means "use the flag", as upstream, so it gives nil.
func reconcilePeriod(s string) (*time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("must be a Go duration such as 30m or 10h: %w", err)
	case d < 0:
		return nil, fmt.Errorf("must not be negative, got %s", s)
	case d == 0:
		return nil, nil
	}
	return &d, nil
}

// checkFinalizer validates a finalizer and resolves its role or playbook.
func checkFinalizer(f finalizerEntry, r resolver, rep *report) *Finalizer {
	out := &Finalizer{Name: f.Name, Vars: plainMap(f.Vars)}
	if f.Name == "" && !rep.failed("finalizer.name") {
		rep.fail("finalizer.name", errors.New("must not be empty"))
	}
	if f.Role == "" && f.Playbook == "" {
		if len(f.Vars) == 0 && !rep.failed("finalizer") {
			rep.fail("finalizer", errors.New("must set at least one of role, playbook or vars"))
		}
		return out
	}
	role, playbook, field, err := r.resolve(f.Role, f.Playbook)
	switch {
	case err == nil:
		out.Role, out.Playbook = role, playbook
	case len(f.Vars) > 0:
		rep.warn("finalizer."+field, "%v; deletion runs the watch's own role or playbook with finalizer.vars", err)
	default:
		rep.fail("finalizer."+field, err)
	}
	return out
}

func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// plainMap replaces the json.Numbers in m, in place, with int64 or float64.
func plainMap(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = plain(v)
	}
	return m
}

func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v // out of float64 range: keep the literal, which still marshals as a number
	case map[string]any:
		return plainMap(v)
	case []any:
		for i := range v {
			v[i] = plain(v[i])
		}
	}
	return v
}
