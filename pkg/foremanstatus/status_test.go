package foremanstatus

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/status"
)

func TestApply(t *testing.T) {
	t1 := t0.Add(time.Hour)
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	progressing := Report{Generation: 2, Verdict: Verdict{StateProgressing, ReasonAwaitingComponents, "web: Deployment not found"},
		Components: []Observed{
			{ComponentStatus: v1alpha1.ComponentStatus{Name: "postgresql", Kind: "External", Location: "external", Ready: true}},
			{ComponentStatus: v1alpha1.ComponentStatus{Name: "web", Kind: "Deployment", Location: "cluster", Replicas: 2,
				ReadyReplicas: 1, Message: "1 of 2 replicas ready"}},
		}}
	ready := Report{Generation: 2, Verdict: Verdict{StateReady, ReasonAllComponentsReady, "All"}}
	ours := func(status, reason, message string, at time.Time) []any {
		c := func(typ, st string) map[string]any {
			return map[string]any{"type": typ, "status": st, "reason": reason, "message": message,
				"lastTransitionTime": ts(at), "observedGeneration": int64(2)}
		}
		out := []any{}
		for _, typ := range reporterTypes {
			st := "False"
			if typ == status {
				st = "True"
			}
			out = append(out, c(typ, st))
		}
		return out
	}
	progressingComponents := []any{
		map[string]any{"name": "postgresql", "kind": "External", "location": "external", "ready": true},
		map[string]any{"name": "web", "kind": "Deployment", "location": "cluster", "ready": false,
			"replicas": int64(2), "ready_replicas": int64(1), "message": "1 of 2 replicas ready"},
	}
	engineStatus := succeeded(2)
	engineConditions := engineStatus["conditions"].([]any)

	tests := map[string]struct {
		prev   map[string]any
		report Report
		now    time.Time
		want   map[string]any
	}{
		"A fresh status gets the three conditions, in order, and the components": {
			report: progressing, now: t0,
			want: map[string]any{"conditions": ours("Progressing", ReasonAwaitingComponents, "web: Deployment not found", t0),
				"components": progressingComponents},
		},
		"The engine's conditions and keys are kept, in place, and ours appended": {
			prev: engineStatus, report: progressing, now: t0,
			want: map[string]any{"version": "3.16", "observedGeneration": int64(2),
				"conditions": append(append([]any{}, engineConditions...),
					ours("Progressing", ReasonAwaitingComponents, "web: Deployment not found", t0)...),
				"components": progressingComponents},
		},
		"Ours are replaced where they are, others around them kept": {
			prev: map[string]any{"conditions": append(append([]any{engineConditions[0]},
				ours("Progressing", ReasonAwaitingComponents, "x", t0)...), engineConditions[1],
				map[string]any{"type": "DatabaseReady", "status": "True"}),
				"components": progressingComponents, "url": "https://foreman.example.com"},
			report: ready, now: t1,
			want: map[string]any{"conditions": append(append([]any{engineConditions[0]},
				func() []any {
					c := ours("Ready", ReasonAllComponentsReady, "All", t1)
					c[2].(map[string]any)["lastTransitionTime"] = ts(t0) // Degraded stayed False
					return c
				}()...), engineConditions[1], map[string]any{"type": "DatabaseReady", "status": "True"}),
				"components": []any{}, "url": "https://foreman.example.com"},
		},
		"A duplicate of our type is dropped": {
			prev: map[string]any{"conditions": append(ours("Ready", ReasonAllComponentsReady, "All", t0),
				map[string]any{"type": "Ready", "status": "False"})},
			report: ready, now: t1,
			want: map[string]any{"conditions": ours("Ready", ReasonAllComponentsReady, "All", t0), "components": []any{}},
		},
		"An invalid lastTransitionTime is replaced": {
			prev: map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True",
				"lastTransitionTime": "yesterday"}}},
			report: ready, now: t1,
			want: map[string]any{"conditions": ours("Ready", ReasonAllComponentsReady, "All", t1), "components": []any{}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			before := runtime.DeepCopyJSON(map[string]any{"s": tt.prev})
			got := Apply(tt.prev, tt.report, tt.now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Apply (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, map[string]any{"s": tt.prev}); diff != "" {
				t.Errorf("Apply changed prev (-before +after):\n%s", diff)
			}
			_ = runtime.DeepCopyJSON(got) // panics on a value that is not JSON
			if again := Apply(got, tt.report, tt.now.Add(time.Minute)); !status.Equal(got, again) {
				t.Errorf("applying the same report again changed the status:\n%s", cmp.Diff(got, again))
			}
		})
	}
}

func TestConditionsReadsLeniently(t *testing.T) {
	got := Conditions(map[string]any{"conditions": []any{
		"not an object",
		map[string]any{"status": "True"},
		map[string]any{"type": "Successful", "status": "True", "reason": "Successful", "observedGeneration": int64(3)},
		map[string]any{"type": "Failure", "status": 1, "observedGeneration": float64(2)},
		map[string]any{"type": "Running", "observedGeneration": 4},
	}})
	want := []v1alpha1.Condition{
		{Type: "Successful", Status: "True", Reason: "Successful", ObservedGeneration: 3},
		{Type: "Failure", ObservedGeneration: 2},
		{Type: "Running", ObservedGeneration: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Conditions (-want +got):\n%s", diff)
	}
}
