package watches

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DefaultMaxRunnerArtifacts is the number of runs whose artifacts are kept per CR when
// maxRunnerArtifacts is absent or 0.
const DefaultMaxRunnerArtifacts = 20

// Watch is one validated watches.yaml entry with its defaults applied.
type Watch struct {
	GroupVersionKind schema.GroupVersionKind

	// Role and Playbook are absolute paths that existed at load time; exactly one is set.
	Role     string
	Playbook string

	// Vars are merged into the extra vars after the CR spec. Integers are int64 and other
	// numbers float64, as in unstructured objects.
	Vars map[string]any

	// ReconcilePeriod is nil when the file leaves it out or sets 0: use the flag.
	ReconcilePeriod *time.Duration

	ManageStatus                bool // default true
	WatchDependentResources     bool // default true
	WatchClusterScopedResources bool // default false
	WatchAnnotationsChanges     bool // default false
	SnakeCaseParameters         bool // default true
	MarkUnsafe                  bool // default true, unlike upstream

	// MaxRunnerArtifacts is never 0 here: 0 in the file means DefaultMaxRunnerArtifacts.
	MaxRunnerArtifacts int

	// Blacklist lists dependent kinds that are never watched.
	Blacklist []schema.GroupVersionKind

	// Selector filters the events of the primary watch; it is known to convert with
	// metav1.LabelSelectorAsSelector.
	Selector metav1.LabelSelector

	// Finalizer is nil when the entry has none.
	Finalizer *Finalizer

	// MaxConcurrentReconciles is 0 when the file leaves it out: use the flag.
	MaxConcurrentReconciles int

	// AnsibleVerbosity is nil when the file leaves it out: use the flag. Otherwise 0..7.
	AnsibleVerbosity *int
}

// Finalizer is what to run when a CR of the watched kind is deleted.
type Finalizer struct {
	Name string

	// Role and Playbook are absolute paths, or both empty: then the deletion run uses
	// the watch's own role or playbook with Vars added.
	Role     string
	Playbook string

	Vars map[string]any
}

// Options are the inputs of Load and Parse that come from outside the file. The zero
// value reads the process environment and working directory.
type Options struct {
	// Getenv looks up ${VAR} references, HOME, and, when RolesPath or CollectionsPath is
	// nil, ANSIBLE_ROLES_PATH and ANSIBLE_COLLECTIONS_PATH. A variable that expands to ""
	// counts as undefined. Nil means os.Getenv.
	Getenv func(string) string

	// Cwd resolves relative playbooks, <cwd>/roles and relative search paths.
	// Empty means the process working directory.
	Cwd string

	// RolesPath and CollectionsPath are the role search paths. A leading ~ is the HOME
	// directory. Nil means the environment variable; a non-nil empty list means none.
	// Without ANSIBLE_COLLECTIONS_PATH the collections path is
	// /usr/share/ansible/collections:~/.ansible/collections.
	RolesPath       []string
	CollectionsPath []string
}

// FieldError is one problem in a watches file. errors from Load and Parse join one
// FieldError per problem found.
type FieldError struct {
	File string
	// Index is the entry's position in the file, counting from 1; 0 when the problem is
	// with the file as a whole.
	Index int
	// GVK is the entry's group, version and kind as written, as far as they are known.
	GVK schema.GroupVersionKind
	// Field is the key path within the entry, e.g. "role" or "finalizer.name"; empty
	// when the problem is not about one field.
	Field string
	Err   error
}

// Error renders `file: entry N (GVK): field "f": reason`, leaving out what is unknown.
func (e *FieldError) Error() string {
	return location(e.File, e.Index, e.GVK, e.Field) + e.Err.Error()
}

// Unwrap returns the reason, so that errors.Is and errors.As see through a FieldError.
func (e *FieldError) Unwrap() error { return e.Err }

// Warning is something in a watches file that is accepted but probably not meant, such
// as an unknown key. Its fields mean what they mean in FieldError.
type Warning struct {
	File    string
	Index   int
	GVK     schema.GroupVersionKind
	Field   string
	Message string
}

// String renders a Warning the way FieldError.Error renders an error.
func (w Warning) String() string {
	return location(w.File, w.Index, w.GVK, w.Field) + w.Message
}

// location renders `file: entry 2 (group/version, Kind=Kind): field "role": `.
func location(file string, index int, gvk schema.GroupVersionKind, field string) string {
	var b strings.Builder
	b.WriteString(file)
	if index > 0 {
		fmt.Fprintf(&b, ": entry %d", index)
		if !gvk.Empty() {
			fmt.Fprintf(&b, " (%s)", gvk)
		}
	}
	if field != "" {
		fmt.Fprintf(&b, ": field %q", field)
	}
	b.WriteString(": ")
	return b.String()
}

// Load reads and validates the watches file at path. On error it returns no watches.
// Problems in the file come back as one *FieldError each, joined with errors.Join;
// other errors (reading the file, finding the working directory) are wrapped.
func Load(path string, opts Options) ([]Watch, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read watches file: %w", err)
	}
	return Parse(data, path, opts)
}

// Parse is Load for content already read; file names it in errors and warnings.
func Parse(data []byte, file string, opts Options) ([]Watch, []Warning, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	items, err := splitEntries(expandEnv(data, opts.Getenv))
	if err != nil {
		return nil, nil, &FieldError{File: file, Err: err}
	}

	r := resolver{opts}
	var (
		watches  []Watch
		warnings []Warning
		errs     []error
	)
	firstIndex := map[schema.GroupVersionKind]int{}
	for i, raw := range items {
		index := i + 1
		var rep report
		w := check(raw, r, &rep)
		gvk := w.GroupVersionKind
		if gvk.Version != "" && gvk.Kind != "" {
			if first, seen := firstIndex[gvk]; seen {
				rep.fail("kind", fmt.Errorf("duplicate GVK: entry %d watches %s too", first, gvk))
			} else {
				firstIndex[gvk] = index
			}
		}
		for _, p := range rep.errs {
			errs = append(errs, &FieldError{File: file, Index: index, GVK: gvk, Field: p.field, Err: p.err})
		}
		for _, p := range rep.warnings {
			warnings = append(warnings, Warning{File: file, Index: index, GVK: gvk, Field: p.field, Message: p.err.Error()})
		}
		watches = append(watches, w)
	}
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	return watches, warnings, nil
}

var envReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces each ${VAR} in data with its value; an undefined VAR stays as written.
func expandEnv(data []byte, getenv func(string) string) []byte {
	return envReference.ReplaceAllFunc(data, func(ref []byte) []byte {
		if value := getenv(string(ref[2 : len(ref)-1])); value != "" {
			return []byte(value)
		}
		return ref
	})
}
