// Package controller is the reconcile stage of the data flow: it receives the
// events of each custom resource kind named in watches.yaml, builds the run's
// extra vars, hands them to the runner, and writes the status computed from
// the run's events back to the resource, once when the run starts and once
// when it ends.
//
// It is the only package that talks to the API server. One controller runs per
// watches.yaml entry; every run acts through the owner-injecting proxy with
// credentials of its own, and each object a run writes is watched from then
// on, so that a child deleted or edited by someone else brings the role back
// while the operator's own writes and other controllers' status and metadata
// noise do not.
package controller
