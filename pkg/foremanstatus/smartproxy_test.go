package foremanstatus_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
)

// TestAForemanWaitsForItsSmartProxy runs both reporters: a Foreman with
// remote_execution is Ready only once its child SmartProxy is, which in
// turn is Ready once its proxy Deployment is available and its newest
// registration Job completed; a failed registration degrades both. The
// workloads' status is written by hand, as their controllers would.
func TestAForemanWaitsForItsSmartProxy(t *testing.T) {
	cfg := startEnvtest(t)
	c := newClient(t, cfg)
	startReporter(t, cfg)
	ctx := t.Context()
	ns := testcluster.Namespace(t, c, nil)

	fm := &v1alpha1.Foreman{ObjectMeta: metav1.ObjectMeta{Name: "rex", Namespace: ns},
		Spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"remote_execution": true}}}
	if err := c.Create(ctx, fm); err != nil {
		t.Fatalf("Create Foreman: %v", err)
	}
	f := &fixture{t: t, c: c, owner: fm}
	f.statefulSet("foreman-postgresql", "postgresql", 1)
	for _, d := range []string{"redis", "web", "dynflow-orchestrator", "dynflow-worker"} {
		f.deployment("foreman-"+d, d, 1, 1)
	}
	f.completeJob("foreman-migrate-1")
	f.engine(succeed(1))
	f.expect("the Foreman without its proxy", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingComponents,
		"smart-proxy: SmartProxy not found")

	// The Foreman's child, as the foreman role makes it.
	sp := &v1alpha1.SmartProxy{ObjectMeta: f.meta("rex-proxy", "smart-proxy"),
		Spec: v1alpha1.SmartProxySpec{Foreman: v1alpha1.ForemanRef{Name: "rex"}}}
	f.createOrGet(sp)
	p := &fixture{t: t, c: c, owner: sp, gvk: smartProxyGVK}
	p.engine(succeed(1))
	p.expect("the proxy without its workloads", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingComponents,
		"proxy: Deployment not found; registration: Job not found")
	f.expect("the Foreman follows its proxy", foremanstatus.StateProgressing, foremanstatus.ReasonAwaitingComponents,
		"smart-proxy: SmartProxy rex-proxy: proxy: Deployment not found; registration: Job not found")

	p.deployment("rex-proxy", "proxy", 1, 1)
	p.completeJob("rex-proxy-register-1")
	p.expect("the proxy up and registered", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady,
		"All 2 components are ready; generation 1 is reconciled")
	if got := getProxy(t, p).Status.Registered; !got {
		t.Error("registered is false with the registration Job complete")
	}
	f.expect("the Foreman with its proxy", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady,
		"All 7 components are ready; generation 1 is reconciled")

	// A new registration (the features changed) that fails.
	p.failJob("rex-proxy-register-2")
	p.expectPrefix("the registration failed", foremanstatus.StateDegraded, foremanstatus.ReasonComponentFailed,
		"registration: Job rex-proxy-register-2 failed: BackoffLimitExceeded")
	if got := getProxy(t, p).Status.Registered; got {
		t.Error("registered is true with the newest registration Job failed")
	}
	f.expectPrefix("the Foreman degraded by its proxy", foremanstatus.StateDegraded, foremanstatus.ReasonComponentFailed,
		"smart-proxy: SmartProxy rex-proxy is degraded: registration: Job rex-proxy-register-2 failed")

	// smart_proxy.external: the proxy is no longer the Foreman's component.
	f.update(func(fm *v1alpha1.Foreman) { fm.Spec.SmartProxy = &v1alpha1.ForemanSmartProxy{External: true} })
	f.engine(succeed(2))
	f.expect("the Foreman with an external proxy", foremanstatus.StateReady, foremanstatus.ReasonAllComponentsReady,
		"All 6 components are ready; generation 2 is reconciled")
}

func getProxy(t *testing.T, p *fixture) *v1alpha1.SmartProxy {
	t.Helper()
	sp := &v1alpha1.SmartProxy{}
	if err := p.c.Get(t.Context(), client.ObjectKeyFromObject(p.owner), sp); err != nil {
		t.Fatalf("Get SmartProxy: %v", err)
	}
	return sp
}
