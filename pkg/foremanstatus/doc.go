// Package foremanstatus is the Go side of the Foreman hybrid, a second status
// stage beside the engine's (CR event → reconcile → extra vars → runner →
// Ansible → events → status): it watches each Foreman's workloads and writes
// whether Foreman is up, as the workloads change, without waiting for an
// Ansible run. It serves other kinds the same way, each described by a Kind
// (the components its spec asks for, status keys of its own): the SmartProxy
// kind's is in pkg/smartproxystatus.
//
// The engine's conditions say whether the last run worked (Running,
// Successful, Failure); this package's say whether the workload is up
// (Ready, Progressing, Degraded) and list the components. That split is
// prometheus-operator's Reconciled beside Available. It runs one controller
// per kind, only where watches.yaml routes that kind (so the Smart Proxy
// package never needs the Foreman CRD), and only on the leader.
//
// # The label contract
//
// The reporter finds a Foreman's workloads by two marks on the workload
// object itself (not only on its pods), and the role must create them so: an
// ownerReference to the Foreman with controller: true, which the engine's
// proxy adds to every object a run creates in the CR's namespace, and the
// label app.kubernetes.io/component with one of these values:
//
//	component                    kind         expected when                        replicas
//	postgresql                   StatefulSet  database.mode managed                1
//	redis                        Deployment   redis.mode managed                   1
//	databases                    Job          Katello, managed PostgreSQL, and     -
//	                                          Candlepin or Pulp on it
//	candlepin                    Deployment   Katello, candlepin.mode managed      candlepin.managed.replicas (1)
//	pulp-migration               Job          Katello, pulp.mode managed           -
//	pulp-admin                   Job          Katello, pulp.mode managed           -
//	migration                    Job          always                               -
//	web                          Deployment   always                               web.replicas (1)
//	dynflow-orchestrator         Deployment   always                               1
//	dynflow-worker               Deployment   always                               dynflow_workers (1)
//	dynflow-worker-hosts-queue   Deployment   Katello                              1
//	katello-events               Deployment   Katello                              1
//	pulp-api                     Deployment   Katello, pulp.mode managed           pulp.managed.api.replicas (1)
//	pulp-content                 Deployment   Katello, pulp.mode managed           pulp.managed.content.replicas (1)
//	pulp-worker                  Deployment   Katello, pulp.mode managed           pulp.managed.worker.replicas (2)
//	pulp-registration            Job          Katello                              -
//	smart-proxy                  SmartProxy   remote_execution on,                 -
//	                                          smart_proxy.external off
//
// A child SmartProxy is ready once its own Ready condition is True for its
// generation, and failed while its Degraded condition is True; it is
// watched only where the cluster serves the SmartProxy kind.
//
// Katello is on when plugins names katello or rh_cloud (which needs it).
// Names are free. When several objects of a kind carry the same component,
// the newest counts, so a migration Job per revision works; the newest
// migration Job must be kept after it completes (no ttlSecondsAfterFinished),
// or the migration counts as not yet run.
//
// # External components
//
// A service outside the cluster is listed as kind External, location
// external: postgresql and redis in external mode, candlepin and pulp in
// external mode, and candlepin-database and pulp-database when a managed
// Candlepin or Pulp keeps its data on a database the spec names. The
// operator does not run them; its role checks that they answer at each run
// and publishes the answers under status.external_checks ({name, endpoint,
// result, message}). The reporter reads them: Reachable is ready, with the
// endpoint; Unreachable is failed (Degraded, with the endpoint and why);
// no answer yet is not ready.
//
// # Conditions
//
// Readiness is a policy chain, as cert-manager's: the first check that fails
// gives the verdict, and nothing after it is looked at.
//
//	check                  verdict       reason               when
//	RunFailed              Degraded      AnsibleRunFailed     the engine's Failure is True
//	ComponentFailed        Degraded      ComponentFailed      a Job failed; a Deployment exceeded its
//	                                                          progress deadline or cannot create pods
//	RunPending             Progressing   AwaitingAnsibleRun   Successful is not True for this generation
//	ComponentsNotReady     Progressing   AwaitingComponents   a component is missing or not ready
//	(none failed)          Ready         AllComponentsReady
//
// The three conditions always appear together and share the verdict's reason
// and message; exactly one of them is True. A message names the component
// (or the run) it is about, such as "dynflow-worker: 1 of 2 replicas ready".
// Each carries the generation it was computed for as observedGeneration, and
// keeps its lastTransitionTime while its status does not change.
//
// # Writing status
//
// The engine writes .status too, so the reporter changes only its own part:
// the Ready, Progressing and Degraded conditions, the components key and the
// keys its Kind adds (a SmartProxy's registered).
// Every other condition (the engine's, a role's custom ones) and every other
// key (version, url, admin_secret, plugins, observedGeneration) is carried
// over as found, in place. The status is compared first against the cached
// CR and, when it differs, recomputed against a live read and written with a
// merge patch that carries the resourceVersion, retried on conflict; a status
// that would not change is never written, so the reporter's own writes, which
// come back as Foreman events, end there.
//
// Children are read through the manager's cache as unstructured objects, the
// form the engine's dependent watches use, so that both share one informer per
// kind.
//
// Everything but reconciler.go is pure: ExpectedComponents, Observe, the chain,
// Apply and the Kinds take what was read and return what to write, and are
// table-tested.
package foremanstatus
