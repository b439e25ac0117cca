package extravars

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/theforeman/foreman-operator/pkg/paramconv"
)

// MetaKey is the variable that holds the CR's name and namespace.
const MetaKey = "ansible_operator_meta"

// UnsafeKey is the key of the one-entry map that marks a string unsafe for
// Ansible, which then never templates it.
const UnsafeKey = "__ansible_unsafe"

// Input is what Build needs to know about one run.
type Input struct {
	// Object is the CR, as fetched for this reconcile.
	Object *unstructured.Unstructured
	// SnakeCase converts the spec's keys with paramconv (the watch's
	// snakeCaseParameters).
	SnakeCase bool
	// MarkUnsafe marks every string that comes from the CR unsafe (the
	// watch's markUnsafe).
	MarkUnsafe bool
	// WatchVars are the watch's vars; they override spec keys.
	WatchVars map[string]any
	// FinalizerVars are the finalizer's vars, used only when Deleting.
	FinalizerVars map[string]any
	// Deleting is set for the run that handles the CR's deletion.
	Deleting bool
}

// Build returns the extra vars for one run, in upstream ansible-operator's
// layout and order (see the package documentation). It fails with a
// *ReservedKeyError, naming the first refused key in sort order, when a spec key
// would become a reserved variable.
func Build(in Input) (map[string]any, error) {
	if in.Object == nil {
		return nil, errors.New("build extra vars: no object")
	}
	gvk := in.Object.GroupVersionKind()
	if gvk.Kind == "" {
		return nil, fmt.Errorf("build extra vars: object has no kind (apiVersion %q, kind %q)",
			in.Object.GetAPIVersion(), in.Object.GetKind())
	}
	objectVar := ObjectVar(gvk.GroupKind())

	// A spec that is missing, null or not a map counts as {}, as upstream.
	spec, ok := in.Object.Object["spec"].(map[string]any)
	if !ok || spec == nil {
		spec = map[string]any{}
	}
	if err := checkSpecKeys(spec, in.SnakeCase, objectVar); err != nil {
		return nil, err
	}

	fromCR := deepCopy
	if in.MarkUnsafe {
		fromCR = markUnsafe
	}

	fromSpec := spec
	if in.SnakeCase {
		fromSpec = paramconv.Convert(spec)
	}
	params := make(map[string]any, len(fromSpec)+3+len(in.WatchVars)+len(in.FinalizerVars))
	for k, v := range fromSpec {
		params[k] = fromCR(v)
	}

	params[MetaKey] = map[string]any{
		"name":      in.Object.GetName(),
		"namespace": in.Object.GetNamespace(),
	}

	object := make(map[string]any, len(in.Object.Object)+1)
	for k, v := range in.Object.Object {
		object[k] = v
	}
	object["spec"] = spec
	params[objectVar] = fromCR(object)
	params[objectVar+"_spec"] = fromCR(spec)

	for k, v := range in.WatchVars {
		params[k] = deepCopy(v)
	}
	if in.Deleting {
		for k, v := range in.FinalizerVars {
			params[k] = deepCopy(v)
		}
	}
	return params, nil
}

// ObjectVar returns the name of the variable that holds a CR of kind gk:
// _<group>_<kind>, with the group's dots and dashes turned into underscores and
// the kind lowercased. Its raw spec is in ObjectVar(gk) + "_spec".
func ObjectVar(gk schema.GroupKind) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace("_" + gk.Group + "_" + strings.ToLower(gk.Kind))
}

// checkSpecKeys refuses the first spec key, in sort order, that would become a
// reserved variable.
func checkSpecKeys(spec map[string]any, snakeCase bool, objectVar string) error {
	keys := make([]string, 0, len(spec))
	for k := range spec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key := k
		if snakeCase {
			key = paramconv.ToSnake(k)
		}
		if reservedReason(key, objectVar) != "" {
			return &ReservedKeyError{Key: key, Path: specPath(k)}
		}
	}
	return nil
}

// markUnsafe returns a copy of v in which every string, at any depth, is
// wrapped as {"__ansible_unsafe": s}. Map keys cannot be wrapped and are kept.
func markUnsafe(v any) any {
	return transform(v, func(s string) any { return map[string]any{UnsafeKey: s} })
}

// deepCopy returns a copy of v that shares no maps or lists with it.
func deepCopy(v any) any {
	return transform(v, func(s string) any { return s })
}

// transform copies the maps and lists of a JSON-like value and passes each
// string through leaf. Besides the types unstructured content holds, it knows
// the string map and list a Go caller might build; any other value is returned
// as it is.
func transform(v any, leaf func(string) any) any {
	switch v := v.(type) {
	case string:
		return leaf(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = transform(e, leaf)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = transform(e, leaf)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = leaf(e)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = leaf(e)
		}
		return out
	default:
		return v
	}
}
