package rbac

import (
	"fmt"
	"slices"
)

// forbidden are grants the operator must never hold, whatever a role asks:
// running commands in containers, and rights that escalate privileges.
var forbidden = map[string]string{
	"pods/exec":             "runs commands in any container of the namespace",
	"pods/attach":           "attaches to any container of the namespace",
	"pods/portforward":      "reaches any container's ports",
	"nodes/proxy":           "reaches every kubelet",
	"serviceaccounts/token": "mints tokens for other identities",
}

var escalating = []string{"escalate", "bind", "impersonate"}

// Policy returns why a grant may not be in the operator's RBAC, or "".
func Policy(g Grant) string {
	switch {
	case g.Group == "*" || g.Resource == "*" || g.Verb == "*":
		return "a wildcard: grant each group, resource and verb by name"
	case forbidden[g.Resource] != "":
		return fmt.Sprintf("%s %s", g.Resource, forbidden[g.Resource])
	case slices.Contains(escalating, g.Verb):
		return fmt.Sprintf("the %s verb escalates privileges", g.Verb)
	}
	return ""
}
