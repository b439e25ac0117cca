package rbac

import (
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
	"github.com/theforeman/foreman-operator/pkg/smartproxystatus"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

// The Go code's API calls, declared here because they cannot be read from
// the roles: keep this list in step with the code it names. A call missing
// here shows on the local cluster as a 403 in the operator's log, which
// test/install fails on.

const (
	controllerPkg = "pkg/controller"
	reporterPkg   = "pkg/foremanstatus"
	managerPkg    = "cmd/foreman-operator"
)

// reporterKinds are the kinds pkg/foremanstatus reports on, with the kinds
// of children each watches.
var reporterKinds = []foremanstatus.Kind{foremanstatus.Foreman, smartproxystatus.Kind}

// ownedResources are the resources of the children's kinds.
var ownedResources = map[string]string{
	foremanstatus.KindDeployment: "deployments", foremanstatus.KindStatefulSet: "statefulsets",
	foremanstatus.KindJob: "jobs", foremanstatus.KindSmartProxy: "smartproxies",
}

// Engine returns the calls the Go code makes in the namespaces it watches,
// for the kinds ws routes.
func Engine(ws []watches.Watch) []Use {
	var uses []Use
	for _, w := range ws {
		gvk := w.GroupVersionKind
		uses = append(uses,
			Use{GroupVersionKind: gvk, Verbs: []string{"get", "list", "watch"}, Source: controllerPkg,
				What: "the controller's informer and live reads of each " + gvk.Kind},
			Use{GroupVersionKind: gvk, Subresource: "status", Verbs: []string{"patch"}, Source: controllerPkg,
				What: "Running, Successful and Failure conditions and the role's operator_status (updateStatus)"},
			// The proxy marks what a run creates with an owner reference
			// with blockOwnerDeletion; where the
			// OwnerReferencesPermissionEnforcement admission plugin is on
			// (OpenShift), that needs update on the owner's finalizers.
			Use{GroupVersionKind: gvk, Subresource: "finalizers", Verbs: []string{"update"}, Source: "pkg/proxy",
				What: "owner references with blockOwnerDeletion (OwnerReferencesPermissionEnforcement)"},
		)
		if w.Finalizer != nil {
			uses = append(uses, Use{GroupVersionKind: gvk, Verbs: []string{"patch"}, Source: controllerPkg,
				What: "the watch's finalizer, added and removed with a merge patch (patchFinalizers)"})
		}
		for _, k := range reporterKinds {
			if gvk.GroupKind() != k.GroupKind {
				continue
			}
			uses = append(uses, Use{GroupVersionKind: gvk, Subresource: "status", Verbs: []string{"patch"}, Source: reporterPkg,
				What: "Ready, Progressing, Degraded and the components"})
			for _, owned := range k.Owns {
				uses = append(uses, Use{Group: owned.Group, Resource: ownedResources[owned.Kind], Verbs: []string{"list", "watch"},
					Source: reporterPkg, What: "the informer of the children a " + gvk.Kind + " controls"})
			}
		}
	}
	if len(ws) > 0 {
		uses = append(uses, Use{Group: "", Resource: "events", Verbs: []string{"create", "patch"}, Source: controllerPkg,
			What: "RunStarted, RunSucceeded and RunFailed Events on the CRs"})
	}
	return uses
}

// LeaderElection returns the calls of leader election, in the operator's own
// namespace: client-go's Lease lock, and the Event it records on the Lease.
func LeaderElection() []Use {
	return []Use{
		{Group: "coordination.k8s.io", Resource: "leases", Verbs: []string{"get", "create", "update"}, Source: managerPkg,
			What: "leader election (--leader-elect) on a Lease"},
		{Group: "", Resource: "events", Verbs: []string{"create", "patch"}, Source: managerPkg,
			What: "the LeaderElection Event on the Lease"},
	}
}
