package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/theforeman/foreman-operator/pkg/watches"
)

func TestOptionsFor(t *testing.T) {
	w := &watches.Watch{MaxRunnerArtifacts: 20}
	cases := []struct {
		name        string
		annotations map[string]string
		want        runOptions
		wantErr     string
	}{
		{"no annotations keep the watch's settings", nil, runOptions{time.Hour, 2, 20}, ""},
		{"a period annotation overrides the default", map[string]string{AnnotationReconcilePeriod: "30s"}, runOptions{30 * time.Second, 2, 20}, ""},
		{"a zero period turns periodic runs off", map[string]string{AnnotationReconcilePeriod: "0s"}, runOptions{0, 2, 20}, ""},
		{"a verbosity annotation overrides the default", map[string]string{AnnotationVerbosity: "5"}, runOptions{time.Hour, 5, 20}, ""},
		{"zero artifacts keeps every run", map[string]string{AnnotationMaxRunnerArtifacts: "0"}, runOptions{time.Hour, 2, 0}, ""},
		{"a period that is not a duration is refused", map[string]string{AnnotationReconcilePeriod: "soon"}, runOptions{}, AnnotationReconcilePeriod},
		{"a negative period is refused", map[string]string{AnnotationReconcilePeriod: "-1m"}, runOptions{}, AnnotationReconcilePeriod},
		{"verbosity above 7 is refused", map[string]string{AnnotationVerbosity: "8"}, runOptions{}, AnnotationVerbosity},
		{"a negative artifact count is refused", map[string]string{AnnotationMaxRunnerArtifacts: "-2"}, runOptions{}, AnnotationMaxRunnerArtifacts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := optionsFor(w, time.Hour, 2, c.annotations)
			if c.wantErr != "" {
				var ae *AnnotationError
				if !errors.As(err, &ae) || ae.Annotation != c.wantErr {
					t.Fatalf("error = %v, want an AnnotationError naming %s", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("optionsFor = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func object(obj map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: obj}
}

func TestChangedByDesign(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "resourceVersion": "1", "labels": map[string]any{"app": "web"},
				"annotations": map[string]any{"a": "1"}},
			"spec":   map[string]any{"replicas": int64(2)},
			"status": map[string]any{"readyReplicas": int64(0)},
		}
	}
	cases := []struct {
		name   string
		change func(map[string]any)
		want   bool
	}{
		{"a status update is noise", func(o map[string]any) { o["status"] = map[string]any{"readyReplicas": int64(2)} }, false},
		{"a new resourceVersion alone is noise", func(o map[string]any) { o["metadata"].(map[string]any)["resourceVersion"] = "2" }, false},
		{"an annotation another controller adds is noise", func(o map[string]any) {
			o["metadata"].(map[string]any)["annotations"] = map[string]any{"a": "1", "deployment.kubernetes.io/revision": "2"}
		}, false},
		{"a spec change counts", func(o map[string]any) { o["spec"] = map[string]any{"replicas": int64(5)} }, true},
		{"a data change counts", func(o map[string]any) { o["data"] = map[string]any{"k": "v"} }, true},
		{"a removed label counts", func(o map[string]any) { delete(o["metadata"].(map[string]any), "labels") }, true},
		{"a removed ownerReference counts", func(o map[string]any) {
			o["metadata"].(map[string]any)["ownerReferences"] = []any{map[string]any{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u"}}
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			updated := base()
			c.change(updated)
			if got := changedByDesign(object(base()), object(updated)); got != c.want {
				t.Errorf("changedByDesign = %v, want %v", got, c.want)
			}
		})
	}
}

func TestOwnersOf(t *testing.T) {
	foreman := schema.GroupKind{Group: "app.theforeman.org", Kind: "Foreman"}
	req := func(ns, name string) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}
	}
	cases := []struct {
		name  string
		child map[string]any
		want  []reconcile.Request
	}{
		{"an ownerReference of the kind maps to the CR in the child's namespace", map[string]any{"metadata": map[string]any{
			"namespace": "foreman", "ownerReferences": []any{map[string]any{"apiVersion": "app.theforeman.org/v1alpha1", "kind": "Foreman", "name": "myforeman", "uid": "1"}}}},
			[]reconcile.Request{req("foreman", "myforeman")}},
		{"an ownerReference of another kind maps to nothing", map[string]any{"metadata": map[string]any{
			"namespace": "foreman", "ownerReferences": []any{map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "1"}}}},
			nil},
		{"an ownerReference of the kind in another group maps to nothing", map[string]any{"metadata": map[string]any{
			"namespace": "foreman", "ownerReferences": []any{map[string]any{"apiVersion": "other.example.com/v1", "kind": "Foreman", "name": "f", "uid": "1"}}}},
			nil},
		{"the primary-resource annotations map a cluster-scoped child", map[string]any{"metadata": map[string]any{
			"annotations": map[string]any{AnnotationPrimaryResource: "foreman/myforeman", AnnotationPrimaryResourceType: "Foreman.app.theforeman.org"}}},
			[]reconcile.Request{req("foreman", "myforeman")}},
		{"annotations of another kind map to nothing", map[string]any{"metadata": map[string]any{
			"annotations": map[string]any{AnnotationPrimaryResource: "foreman/x", AnnotationPrimaryResourceType: "SmartProxy.app.theforeman.org"}}},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ownersOf(object(c.child), foreman)
			if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
				t.Errorf("ownersOf = %v, want %v", got, c.want)
			}
		})
	}
}

func TestOwnWrites(t *testing.T) {
	var o ownWrites
	k := objKey{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, "ns", "cm"}
	if o.ours(k, "5") {
		t.Fatal("an object never written is not ours")
	}
	o.record(k, "5")
	if !o.ours(k, "5") {
		t.Error("the state the operator wrote is ours")
	}
	if o.ours(k, "6") {
		t.Error("a later state someone else wrote is not ours")
	}
	o.record(k, deletedMark)
	if !o.ours(k, deletedMark) {
		t.Error("a delete the operator made is ours")
	}
}

func TestEnvOverridesAreNamedByKindAndGroup(t *testing.T) {
	env := map[string]string{"MAX_CONCURRENT_RECONCILES_FOREMAN_APP_THEFOREMAN_ORG": "3", "ANSIBLE_VERBOSITY_FOREMAN_APP_THEFOREMAN_ORG": "x"}
	gvk := schema.GroupVersionKind{Group: "app.theforeman.org", Version: "v1alpha1", Kind: "Foreman"}
	getenv := func(k string) string { return env[k] }
	if n, ok := envInt(getenv, "MAX_CONCURRENT_RECONCILES", gvk); !ok || n != 3 {
		t.Errorf("MAX_CONCURRENT_RECONCILES = %d, %v; want 3", n, ok)
	}
	if _, ok := envInt(getenv, "ANSIBLE_VERBOSITY", gvk); ok {
		t.Error("a value that is not a number is ignored")
	}
	if _, ok := envInt(getenv, "WORKER", gvk); ok {
		t.Error("an unset variable is ignored")
	}
}

func TestGateBoundsRuns(t *testing.T) {
	g := NewGate(1)
	release, err := g.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(ctx); err == nil {
		t.Fatal("a second run got a slot while the only one was taken")
	}
	release()
	if _, err := g.Acquire(t.Context()); err != nil {
		t.Errorf("a freed slot: %v", err)
	}
}

func TestInflightTracksRunsInProgress(t *testing.T) {
	var f inflight
	cr := types.NamespacedName{Namespace: "foreman", Name: "myforeman"}
	if f.running(cr) {
		t.Fatal("no run has begun")
	}
	end := f.begin(cr)
	endSecond := f.begin(cr)
	end()
	if !f.running(cr) {
		t.Error("one of two overlapping runs still runs")
	}
	endSecond()
	if f.running(cr) {
		t.Error("both runs ended")
	}
}
