// Package smartproxystatus is what the status reporter (pkg/foremanstatus)
// knows of the SmartProxy kind, a second status stage beside the engine's
// (CR event → reconcile → extra vars → runner → Ansible → events → status):
// the components a SmartProxy's spec asks for and the registered key. The
// reporter does the watching and writing; this package is pure and
// table-tested.
//
// # The label contract
//
// As for a Foreman, the reporter finds a SmartProxy's workloads by an
// ownerReference to it with controller: true and the label
// app.kubernetes.io/component:
//
//	component      kind         replicas
//	proxy          Deployment   replicas (1; 0 stops it)
//	registration   Job          -
//
// The newest registration Job counts: roles/smartproxy makes one per Foreman
// URL, proxy URL, name, features and image, and deletes the older ones.
//
// # Registered
//
// status.registered is true once the newest registration Job completed: the
// proxy is registered in Foreman with the URL, name and features the spec
// gives now. The role publishes the Foreman URL (status.foreman_url) beside
// it.
package smartproxystatus
