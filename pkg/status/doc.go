// Package status is the last pure stage of the flow (CR event → reconcile →
// extra vars → runner → Ansible → events → status): it turns what a run
// reported into the CR's new .status, which the controller then writes once.
//
// The CR kinds an operator serves are arbitrary, so a status is a
// map[string]any as found in an unstructured object. Every function here takes
// the previous status, never changes it, and returns a new one; nothing talks
// to the API server, reads a clock or keeps state. The controller converts the
// runner's events.Summary and run error into a Result, so this package does not
// depend on pkg/events.
//
// # Conditions
//
// The engine owns three conditions, always first and in this order:
//
//	              Running                    Successful                  Failure
//	Running       True  Running              True→False Reconciling      unchanged
//	                                         only if it was True for an
//	                                         older generation; added as
//	                                         False on a fresh CR
//	Done, ok      False Successful           True  Successful            False Successful
//	Done, failed  False <reason>             False <reason>              True  <reason>
//	SetupError    False <reason>             False <reason>              True  <reason>
//
// The failure reasons of Done are Failed (a task failed, or Ansible counted a
// failure it did not report), Unreachable, Timeout (Result.Err wraps
// context.DeadlineExceeded), Interrupted (context.Canceled), RunCrashed (any
// other run error) and NoStats (the run ended without its playbook_on_stats
// event, so its outcome is unknown). A run therefore never stays Running, and
// Successful is never True for a generation that was not reconciled
// successfully; both are upstream bugs this package fixes.
//
// Every condition carries type, status, reason, message, lastTransitionTime
// (RFC 3339, kept while the status does not change) and observedGeneration.
// After Done, Successful and Failure also carry upstream's ansibleResult
// {ok, changed, skipped, failures, completion} when the run reported stats
// (completion in RFC 3339, UTC, where upstream wrote a +00:00 offset);
// when it did not, or when Running marks Successful stale, the field is removed
// so that the counters never describe a run they do not belong to. The
// top-level status.observedGeneration is the generation of the last finished
// run (Done) or of the last setup error; Running leaves it alone.
//
// A Failure message lists the failed tasks, one per line, as
//
//	Task "<name>" (<file:line>) failed: <msg>
//
// after a headline for run errors. ANSI escapes and control characters other
// than newline and tab are stripped, each task is cut to 1 KiB and the whole
// message to 4 KiB, with a marker where text was cut. Messages are built only
// from the Result: the runner has already censored no_log output.
//
// # Custom status
//
// A role reports status through Result.CustomStatus (set_stats data, see
// pkg/events). Every key but conditions is merged into .status the way a JSON
// merge patch would: maps merge deeply, lists and scalars replace, and a null
// value deletes the key. observedGeneration belongs to the engine and cannot be
// set. The conditions key holds a list of {type, status, reason, message}
// merged by type after the engine's own conditions, in the order they first
// appeared: status may be "True", "False" or "Unknown" in any case, or a
// boolean; an empty reason becomes Unspecified, and so does one that does not
// match the metav1.Condition reason pattern (with a warning); lastTransitionTime
// and observedGeneration are set as for the engine's conditions. Conditions
// named Running, Successful or Failure, malformed entries and unknown fields
// are ignored. Every ignored input is reported as a warning string, which the
// controller logs; a role cannot fail a reconcile through status.
//
// Conditions of other types and status keys that nobody touches are carried
// over unchanged. Because the condition order is fixed and transition times are
// kept, applying the same step twice yields an Equal status, so the controller
// can skip a patch that would change nothing.
package status
