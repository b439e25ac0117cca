package foremanstatus

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// The status keys the reporter reads and writes.
const (
	keyConditions     = "conditions"
	keyComponents     = "components"
	keyExternalChecks = "external_checks"
)

// reporterTypes are the condition types the reporter owns, in the order it
// appends them.
var reporterTypes = []string{TypeReady, TypeProgressing, TypeDegraded}

// Observation is everything the reporter read about one CR.
type Observation struct {
	Generation int64
	// Expected are the components the CR's spec asks for (Kind.Expected).
	Expected []Expected
	// Status is the Foreman's .status as found; only its conditions are read.
	Status map[string]any
	// RunsReported is whether the engine writes its run conditions.
	RunsReported bool
	Children     Children
}

// Report is what the reporter writes for one CR.
type Report struct {
	Generation int64
	Verdict    Verdict
	Components []Observed
	// Keys are further status keys the reporter owns for this kind
	// (Kind.Keys), written as they are; nil for none.
	Keys map[string]any
}

// Compute judges an observation with the readiness chain.
func Compute(o Observation) Report {
	components := Observe(o.Expected, o.Children, ExternalChecks(o.Status))
	verdict := NewReadinessChain().Evaluate(Input{
		Generation: o.Generation, Conditions: Conditions(o.Status),
		RunsReported: o.RunsReported, Components: components,
	})
	return Report{Generation: o.Generation, Verdict: verdict, Components: components}
}

// Apply returns a copy of prev with the reporter's part set from r: the
// Ready, Progressing and Degraded conditions, replaced in place or appended
// in that order, the components key and r's further keys. Every other key and condition is
// carried over unchanged and in place. A condition keeps its
// lastTransitionTime while its status does not change, so applying the same
// report twice gives an equal status. prev is not changed; the result holds
// only JSON values (string, bool, int64, []any, map[string]any), as an
// unstructured object does.
func Apply(prev map[string]any, r Report, now time.Time) map[string]any {
	out := make(map[string]any, len(prev)+2)
	for k, v := range prev {
		out[k] = v
	}
	next := map[string]map[string]any{}
	for _, typ := range reporterTypes {
		status := metav1.ConditionFalse
		if string(r.Verdict.State) == typ {
			status = metav1.ConditionTrue
		}
		next[typ] = map[string]any{
			"type":               typ,
			"status":             string(status),
			"reason":             r.Verdict.Reason,
			"message":            r.Verdict.Message,
			"lastTransitionTime": now.UTC().Format(time.RFC3339),
			"observedGeneration": r.Generation,
		}
	}

	prevList, _ := prev[keyConditions].([]any)
	conditions := make([]any, 0, len(prevList)+len(reporterTypes))
	written := map[string]bool{}
	for _, entry := range prevList {
		m, _ := entry.(map[string]any)
		typ, _ := m["type"].(string)
		c, ours := next[typ]
		switch {
		case !ours:
			conditions = append(conditions, entry)
		case !written[typ]: // a later duplicate of our type is dropped
			keepTransition(c, m)
			conditions = append(conditions, c)
			written[typ] = true
		}
	}
	for _, typ := range reporterTypes {
		if !written[typ] {
			conditions = append(conditions, next[typ])
		}
	}
	out[keyConditions] = conditions
	out[keyComponents] = componentsValue(r.Components)
	for k, v := range r.Keys {
		out[k] = v
	}
	return out
}

// keepTransition keeps prev's lastTransitionTime in c when the status did
// not change and the time is valid.
func keepTransition(c, prev map[string]any) {
	t, ok := prev["lastTransitionTime"].(string)
	if !ok || prev["status"] != c["status"] {
		return
	}
	if _, err := time.Parse(time.RFC3339, t); err == nil {
		c["lastTransitionTime"] = t
	}
}

// componentsValue is the components key as JSON values, zero fields left
// out as v1alpha1.ComponentStatus's omitempty tags do.
func componentsValue(cs []Observed) []any {
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		m := map[string]any{"name": c.Name, "ready": c.Ready}
		if c.Kind != "" {
			m["kind"] = c.Kind
		}
		if c.Location != "" {
			m["location"] = c.Location
		}
		if c.Endpoint != "" {
			m["endpoint"] = c.Endpoint
		}
		if c.Replicas != 0 {
			m["replicas"] = int64(c.Replicas)
		}
		if c.ReadyReplicas != 0 {
			m["ready_replicas"] = int64(c.ReadyReplicas)
		}
		if c.Message != "" {
			m["message"] = c.Message
		}
		out = append(out, m)
	}
	return out
}

// ExternalChecks reads the role's checks of the services outside the
// cluster (status key external_checks) leniently, by component name:
// entries without a name are skipped.
func ExternalChecks(status map[string]any) map[string]v1alpha1.ExternalCheck {
	list, _ := status[keyExternalChecks].([]any)
	out := make(map[string]v1alpha1.ExternalCheck, len(list))
	for _, entry := range list {
		m, _ := entry.(map[string]any)
		name, _ := m["name"].(string)
		if name == "" {
			continue
		}
		c := v1alpha1.ExternalCheck{Name: name}
		c.Endpoint, _ = m["endpoint"].(string)
		c.Result, _ = m["result"].(string)
		c.Message, _ = m["message"].(string)
		out[name] = c
	}
	return out
}

// Conditions reads the conditions of a status leniently: entries that are
// not objects with a string type are skipped, fields of the wrong type are
// left empty.
func Conditions(status map[string]any) []v1alpha1.Condition {
	list, _ := status[keyConditions].([]any)
	out := make([]v1alpha1.Condition, 0, len(list))
	for _, entry := range list {
		m, _ := entry.(map[string]any)
		typ, _ := m["type"].(string)
		if typ == "" {
			continue
		}
		c := v1alpha1.Condition{Type: typ}
		s, _ := m["status"].(string)
		c.Status = metav1.ConditionStatus(s)
		c.Reason, _ = m["reason"].(string)
		c.Message, _ = m["message"].(string)
		c.ObservedGeneration = int64Value(m["observedGeneration"])
		out = append(out, c)
	}
	return out
}

// int64Value reads a JSON number: int64 from the API server, float64 from
// encoding/json, int from hand-written maps.
func int64Value(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
