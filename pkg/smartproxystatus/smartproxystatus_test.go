package smartproxystatus

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
)

func TestExpectedComponents(t *testing.T) {
	tests := map[string]struct {
		spec map[string]any
		want []foremanstatus.Expected
	}{
		"A proxy runs one replica and registers": {
			spec: map[string]any{"foreman": map[string]any{"name": "foreman"}},
			want: []foremanstatus.Expected{{Name: "proxy", Kind: "Deployment", Replicas: 1}, {Name: "registration", Kind: "Job"}},
		},
		"replicas 0 stops the proxy, whose Deployment then needs no pod": {
			spec: map[string]any{"replicas": int64(0)},
			want: []foremanstatus.Expected{{Name: "proxy", Kind: "Deployment", Replicas: 0}, {Name: "registration", Kind: "Job"}},
		},
		"No spec at all is read as the defaults": {
			want: []foremanstatus.Expected{{Name: "proxy", Kind: "Deployment", Replicas: 1}, {Name: "registration", Kind: "Job"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Kind.Expected(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Expected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestASpecOfTheWrongShapeIsAnError(t *testing.T) {
	if _, err := Kind.Expected(map[string]any{"replicas": "one"}); err == nil {
		t.Error("replicas \"one\" was read without an error")
	}
}

// TestRegistered follows the newest registration Job through the
// reporter's own Observe, as the reconciler computes it.
func TestRegistered(t *testing.T) {
	t0 := metav1.Now()
	job := func(name string, at metav1.Time, cond batchv1.JobConditionType) batchv1.Job {
		j := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: at,
			Labels: map[string]string{foremanstatus.LabelComponent: ComponentRegistration}}}
		if cond != "" {
			j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
		}
		return j
	}
	later := metav1.NewTime(t0.Add(60e9))
	tests := map[string]struct {
		jobs []batchv1.Job
		want bool
	}{
		"No registration Job yet is not registered":    {want: false},
		"A running registration is not registered yet": {jobs: []batchv1.Job{job("r-1", t0, "")}, want: false},
		"A complete registration is registered":        {jobs: []batchv1.Job{job("r-1", t0, batchv1.JobComplete)}, want: true},
		"A failed registration is not registered":      {jobs: []batchv1.Job{job("r-1", t0, batchv1.JobFailed)}, want: false},
		"A new registration after a complete one is not, until it completes": {
			jobs: []batchv1.Job{job("r-1", t0, batchv1.JobComplete), job("r-2", later, "")}, want: false,
		},
	}
	expected := ExpectedComponents(v1alpha1.SmartProxySpec{ComponentSpec: v1alpha1.ComponentSpec{Replicas: ptr.To[int32](0)}})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			observed := foremanstatus.Observe(expected, foremanstatus.Children{Jobs: tt.jobs}, nil)
			if got := Keys(observed)[KeyRegistered]; got != tt.want {
				t.Errorf("registered %v, want %v (components %+v)", got, tt.want, observed)
			}
		})
	}
}
