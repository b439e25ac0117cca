package cluster_test

import (
	"context"
	"os"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

// envtest runs on the binaries the local cluster is built from
// (KUBEBUILDER_ASSETS points at them), so Go integration tests may use either.
func TestEnvtestStartsOnTheLocalClusterBinaries(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set: CI must run the tests through `make test`")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set: run `make test`")
	}
	logf.SetLogger(logr.Discard())
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("Start envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("Stop envtest: %v", err)
		}
	})
	c := testcluster.Client(t, cfg)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "envtest"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("Create a namespace on envtest: %v", err)
	}
}
