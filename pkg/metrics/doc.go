// Package metrics holds the operator's Prometheus metrics for Ansible runs,
// recorded by the controller when a run ends; they are served with
// controller-runtime's own metrics on the manager's metrics endpoint.
//
// Unlike upstream ansible-operator, whose histogram times only the setup of a
// run, the duration here covers the whole ansible-playbook run.
package metrics
