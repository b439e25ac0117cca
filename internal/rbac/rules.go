package rbac

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/pkg/watches"
)

// A Rule is the verbs the operator needs on one resource, and why.
type Rule struct {
	Group, Resource string
	Verbs           []string
	Reasons         []Reason
}

// A Reason is one source of a Rule's verbs.
type Reason struct {
	Source, What string
	Verbs        []string
}

// Permissions are the rules of the operator's two Roles.
type Permissions struct {
	// Manager is granted in every namespace the operator watches.
	Manager []Rule
	// LeaderElection is granted in the operator's own namespace.
	LeaderElection []Rule
}

// Derive reads watches.yaml under root, the roles and playbooks it routes
// to, and the CRDs in config/crd/bases (for their plurals), and returns the
// permissions the operator needs.
func Derive(root string) (Permissions, error) {
	return DeriveFor(root, "watches.yaml")
}

// DeriveFor is Derive for the watches file at watchesFile, relative to root
// (watches-smartproxy.yaml for the Smart Proxy alone, say).
func DeriveFor(root, watchesFile string) (Permissions, error) {
	d, err := derive(root, watchesFile)
	if err != nil {
		return Permissions{}, err
	}
	manager, err := Resolve(append(d.uses, Engine(d.ws)...), d.plurals)
	if err != nil {
		return Permissions{}, err
	}
	leader, err := Resolve(LeaderElection(), d.plurals)
	return Permissions{Manager: manager, LeaderElection: leader}, err
}

// OneNamespace returns the manager's and leader election's rules as one
// Role, for a package that runs in the one namespace it watches.
func OneNamespace(root, watchesFile string) ([]Rule, error) {
	d, err := derive(root, watchesFile)
	if err != nil {
		return nil, err
	}
	return Resolve(append(append(d.uses, Engine(d.ws)...), LeaderElection()...), d.plurals)
}

// derived is what the roles of a watches file and the CRDs tell.
type derived struct {
	ws      []watches.Watch
	uses    []Use
	plurals map[schema.GroupKind]string
}

func derive(root, watchesFile string) (derived, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return derived{}, err
	}
	ws, _, err := watches.Load(filepath.Join(root, watchesFile), watches.Options{
		Cwd: root, RolesPath: []string{}, CollectionsPath: []string{},
	})
	if err != nil {
		return derived{}, err
	}
	var roleDirs, playbooks []string
	for _, w := range ws {
		roleDirs, playbooks = appendRun(roleDirs, playbooks, w.Role, w.Playbook)
		if f := w.Finalizer; f != nil {
			roleDirs, playbooks = appendRun(roleDirs, playbooks, f.Role, f.Playbook)
		}
	}
	uses, err := Scan(root, roleDirs, playbooks)
	if err != nil {
		return derived{}, err
	}
	plurals, err := crdPlurals(filepath.Join(root, "config", "crd", "bases"))
	return derived{ws: ws, uses: uses, plurals: plurals}, err
}

func appendRun(roles, playbooks []string, role, playbook string) ([]string, []string) {
	if role != "" {
		roles = append(roles, role)
	}
	if playbook != "" {
		playbooks = append(playbooks, playbook)
	}
	return roles, playbooks
}

// crdPlurals maps each CRD's group and kind to its plural.
func crdPlurals(dir string) (map[schema.GroupKind]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[schema.GroupKind]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(data, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}] = crd.Spec.Names.Plural
	}
	return out, nil
}

// Resolve merges uses into one Rule per resource: a kind's resource is its
// CRD's plural, else the lower-case plural Kubernetes' own kinds follow.
func Resolve(uses []Use, plurals map[schema.GroupKind]string) ([]Rule, error) {
	// Every object a template defines, for a task that replaces them.
	var templated []Use
	for _, u := range uses {
		if u.What == "template" {
			templated = append(templated, u)
		}
	}
	byResource := map[schema.GroupResource]*Rule{}
	var errs []error
	add := func(gr schema.GroupResource, u Use) {
		r := byResource[gr]
		if r == nil {
			r = &Rule{Group: gr.Group, Resource: gr.Resource}
			byResource[gr] = r
		}
		r.Verbs = union(r.Verbs, u.Verbs)
		r.Reasons = append(r.Reasons, Reason{Source: u.Source, What: u.What, Verbs: sortVerbs(u.Verbs)})
	}
	for _, u := range uses {
		switch {
		case u.Resource == templatesMarker:
			for _, t := range templated {
				add(resourceOf(t, plurals), Use{Source: u.Source, What: u.What, Verbs: u.Verbs})
			}
		case u.Resource != "":
			add(schema.GroupResource{Group: u.Group, Resource: u.Resource}, u)
		case u.GroupVersionKind.Kind == "":
			errs = append(errs, fmt.Errorf("%s: %s: no kind", u.Source, u.What))
		default:
			add(resourceOf(u, plurals), u)
		}
	}
	rules := make([]Rule, 0, len(byResource))
	for _, r := range byResource {
		r.Reasons = mergeReasons(r.Reasons)
		rules = append(rules, *r)
	}
	sort.Slice(rules, func(i, j int) bool {
		if rules[i].Group != rules[j].Group {
			return rules[i].Group < rules[j].Group
		}
		return rules[i].Resource < rules[j].Resource
	})
	return rules, errors.Join(errs...)
}

func resourceOf(u Use, plurals map[schema.GroupKind]string) schema.GroupResource {
	gvk := u.GroupVersionKind
	resource, ok := plurals[gvk.GroupKind()]
	if !ok {
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		resource = plural.Resource
	}
	if u.Subresource != "" {
		resource += "/" + u.Subresource
	}
	return schema.GroupResource{Group: gvk.Group, Resource: resource}
}

// mergeReasons keeps one Reason per source and what, with their verbs
// merged, sorted by source.
func mergeReasons(rs []Reason) []Reason {
	type key struct{ source, what string }
	merged := map[key]*Reason{}
	var order []key
	for _, r := range rs {
		k := key{r.Source, r.What}
		if m, ok := merged[k]; ok {
			m.Verbs = union(m.Verbs, r.Verbs)
			continue
		}
		c := r
		merged[k] = &c
		order = append(order, k)
	}
	out := make([]Reason, 0, len(order))
	for _, k := range order {
		out = append(out, *merged[k])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].What < out[j].What
	})
	return out
}

// verbOrder is the order kubectl and the API documentation list verbs in.
var verbOrder = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return sortVerbs(out)
}

func sortVerbs(vs []string) []string {
	out := slices.Clone(vs)
	slices.SortFunc(out, func(a, b string) int {
		ia, ib := slices.Index(verbOrder, a), slices.Index(verbOrder, b)
		if ia < 0 {
			ia = len(verbOrder)
		}
		if ib < 0 {
			ib = len(verbOrder)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}
