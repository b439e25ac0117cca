// Package v1alpha1 holds the API types of app.theforeman.org/v1alpha1: the
// shape of the custom resources whose events start the data flow
// (CR event → reconcile → extra vars → runner → Ansible → events → status).
// The CRDs in config/crd/bases are generated from them by controller-gen;
// JSON names are snake_case, as the roles read them.
//
// +kubebuilder:object:generate=true
// +groupName=app.theforeman.org
package v1alpha1
