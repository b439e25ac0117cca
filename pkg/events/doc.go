// Package events is the events stage of the flow (CR event -> reconcile ->
// extra vars -> runner -> Ansible -> events -> status): it decodes the job
// events one Ansible run emits and folds them into the Summary that
// pkg/status turns into conditions.
//
// # Events
//
// An Event has the shape of ansible-runner's job events, which is also the
// shape pkg/runner's callback plugin writes, so one Decoder reads the plugin's
// JSON lines and the output of `ansible-runner run -j` alike. Timestamps are
// accepted with an offset (ansible-runner 2.4 and the plugin write +00:00), with
// Z, and without one (ansible-runner 2.3); a timestamp without an offset is
// UTC.
//
// # Folding
//
// A Collector takes events in order and keeps what the rest of the operator
// needs:
//
//   - Stats: the counters of host localhost from playbook_on_stats, nil when
//     that event never came (syntax error, crash, killed run), so a caller
//     cannot mistake "no report" for "nothing failed".
//   - Failures, in the order they happened: every runner_on_failed that is
//     neither ignored (event_data.ignore_errors) nor rescued, and every
//     runner_on_unreachable that the task does not ignore.
//   - CustomStatus and RequeueAfter: set_stats data keys operator_status and
//     operator_requeue_after, read from playbook_on_stats' artifact_data.
//
// # Which failures are rescued
//
// Ansible 2.14 does not tell callbacks that a failure was rescued: it counts
// the failure under "rescued" in the stats instead of "failures" and passes
// the callback the same arguments either way. ansible-runner adds nothing, so
// upstream's check of event_data.rescued never fires for its events and a
// rescued task fails the reconcile. pkg/runner's plugin computes the flag with
// the strategy's own rule (some enclosing block runs the task in its block:
// section and has a rescue: section) and sets event_data.rescued to
// {host: 1}, the shape upstream reads. For events without the flag, such as
// ansible-runner's, the stats settle it for every host they count no failures
// for: each failed, non-ignored task is counted either as a failure or as
// rescued, so a host with zero failures had all of its failures rescued. The
// same holds for unreachable tasks and the dark counter.
//
// The package is pure: it reads only the io.Reader it is given.
package events
