// Package rbac derives the operator's permissions from what it uses, so that
// config/rbac grants exactly that and nothing more.
//
// It sits beside the data flow (CR event -> reconcile -> extra vars -> runner
// -> Ansible -> events -> status) and reads both halves of it: the Ansible
// half from the roles and playbooks that watches.yaml routes to (every
// kubernetes.core task, k8s lookup and object template), and the Go half from
// a declared list (engine.go) of the calls the engine, the status reporter and
// leader election make. hack/rbacgen writes the result into
// config/rbac/role.yaml and config/rbac/leader_election_role.yaml, each rule
// with comments naming the tasks and code that need it; verify-gen and this
// package's tests fail when they drift.
//
// The derivation fails closed: a Kubernetes task whose kind it cannot read
// (a templated api_version or kind with no literal to find, a module it does
// not know) is an error naming the task, never a silent gap.
package rbac
