package rbac

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// Render writes a Role of rules, each with comments that say which task,
// template or code needs which verbs.
func Render(name, header string, rules []Rule) []byte {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: " + name + "\nrules:\n")
	for _, r := range rules {
		for _, why := range r.Reasons {
			line := "# " + strings.Join(why.Verbs, ", ") + ": " + why.Source
			if why.What != "template" {
				line += ": " + why.What
			}
			b.WriteString(line + "\n")
		}
		fmt.Fprintf(&b, "- apiGroups: [%s]\n  resources: [%s]\n  verbs: [%s]\n",
			strconv.Quote(r.Group), r.Resource, strings.Join(r.Verbs, ", "))
	}
	return []byte(b.String())
}

// A Grant is one verb on one resource.
type Grant struct {
	Group, Resource, Verb string
}

func (g Grant) String() string {
	group := g.Group
	if group == "" {
		group = "core"
	}
	return fmt.Sprintf("%s %s %s", g.Verb, group, g.Resource)
}

// Grants flattens policy rules into single verbs on single resources;
// wildcards stay as they are written.
func Grants(rules []rbacv1.PolicyRule) []Grant {
	var out []Grant
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, Grant{g, res, v})
				}
			}
		}
	}
	return sortGrants(out)
}

// Needed flattens the derived rules the same way.
func Needed(rules []Rule) []Grant {
	var out []Grant
	for _, r := range rules {
		for _, v := range r.Verbs {
			out = append(out, Grant{r.Group, r.Resource, v})
		}
	}
	return sortGrants(out)
}

func sortGrants(gs []Grant) []Grant {
	sort.Slice(gs, func(i, j int) bool { return gs[i].String() < gs[j].String() })
	return slices.Compact(gs)
}

// Compare returns what rules need and granted lacks, each with the sources
// that need it, and what granted has that nothing needs.
func Compare(granted []rbacv1.PolicyRule, rules []Rule) (missing, unused []string) {
	have := map[Grant]bool{}
	for _, g := range Grants(granted) {
		have[g] = true
	}
	need := map[Grant]bool{}
	for _, r := range rules {
		for _, v := range r.Verbs {
			g := Grant{r.Group, r.Resource, v}
			need[g] = true
			if have[g] {
				continue
			}
			var who []string
			for _, why := range r.Reasons {
				if slices.Contains(why.Verbs, v) {
					who = append(who, why.Source+" ("+why.What+")")
				}
			}
			missing = append(missing, g.String()+", needed by "+strings.Join(who, "; "))
		}
	}
	for _, g := range Grants(granted) {
		if !need[g] {
			unused = append(unused, g.String())
		}
	}
	sort.Strings(missing)
	return missing, unused
}

// ReadRole parses a Role or ClusterRole manifest.
func ReadRole(data []byte) (*rbacv1.Role, error) {
	r := &rbacv1.Role{}
	if err := yaml.UnmarshalStrict(data, r); err != nil {
		return nil, err
	}
	return r, nil
}
