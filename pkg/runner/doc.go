// Package runner is the runner stage of the flow (CR event -> reconcile ->
// extra vars -> runner -> Ansible -> events -> status): it runs
// ansible-playbook for one CR, streams the run's events to pkg/events, and
// returns the Summary they add up to.
//
// # Layout
//
// Each CR has a directory, Input.Dir, laid out like ansible-runner's private
// data dir, so people and tools that know upstream's
// /tmp/ansible-operator/runner/<group>/<version>/<kind>/<namespace>/<name>
// find what they expect:
//
//	env/extravars        Input.ExtraVars as JSON, mode 0600, passed as -e @file
//	env/cmdline          Input.Cmdline, only when set (one pair of surrounding
//	                     single quotes removed, as upstream), split like shlex
//	inventory/hosts      localhost ansible_connection=local
//	                     ansible_python_interpreter={{ansible_playbook_python}},
//	                     or a copy of the file or directory ANSIBLE_INVENTORY names
//	project/role.yml     for a role: hosts localhost, the role by absolute path,
//	                     gather_facts false if ANSIBLE_GATHERING=explicit
//	project/             the working directory of the run, as with ansible-runner
//	artifacts/<ident>/   events.jsonl, stdout, stderr, rc, status
//	                     (successful, failed, timeout, canceled) and command
//	artifacts/latest     symlink to the last run that ended
//
// Retention is pkg/artifacts': Input.MaxArtifacts runs per CR, and
// Options.ArtifactsCap bytes across every CR directory the Runner has run in.
// Remove deletes a CR's directory when the CR is deleted.
//
// The run's environment is the operator's, then Input.Env, then
// ANSIBLE_NOCOLOR=1, ANSIBLE_FORCE_COLOR=0, ANSIBLE_RETRY_FILES_ENABLED=0,
// PYTHONUNBUFFERED=1 and the plugin settings below. For a role, its parent
// directory is put first in ANSIBLE_ROLES_PATH, as ansible-runner's
// --roles-path does, so sibling roles resolve as dependencies.
//
// # Event transport
//
// Upstream runs ansible-runner, whose Python plugin POSTs every event over
// HTTP. Here ansible-playbook runs directly with a small callback plugin,
// foreman_events (plugins/callback/foreman_events.py), which New writes once
// into a private temporary directory from the binary. It is enabled through
// ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED (ours first, any
// configured ones kept), not as the stdout callback, so stdout stays Ansible's
// usual text and a user's ANSIBLE_STDOUT_CALLBACK cannot break event parsing.
// The plugin writes one JSON object per event, shaped like ansible-runner's
// job events, to a pipe the runner passes as descriptor 3 (exec.Cmd.ExtraFiles,
// named by FOREMAN_EVENTS_FD); it marks the descriptor close-on-exec so that
// no module process holds the pipe open. One goroutine decodes the pipe as
// Ansible writes it, appends each line to events.jsonl, folds the event and
// hands it to Input.OnEvent in order.
//
// The transport was chosen by measurement: the bar was at most 100 ms per run
// over bare ansible-playbook. BenchmarkRunTransports runs each variant 20
// times, interleaved, on the development machine (2 vCPU, ansible-core
// 2.14.18, ansible-runner 2.3.1, shared with other builds at a load average
// of 3 to 4). Median wall time per run in ms, mean CPU time of the run's
// processes plus the Go side in parentheses:
//
//	playbook   bare ansible-playbook   Runner.Run (plugin)   ansible-runner run -j
//	3 tasks    928 (840)               912 (844)             1243 (1038)
//	20 tasks   4289 (3958)             4240 (4027)           4582 (4242)
//
// The plugin's wall-time cost is below the noise (-15 and -49 ms here; +2 and
// +14 ms in quieter runs) and its CPU cost is 4 ms for a trivial run and
// 69 ms for 20 module tasks. ansible-runner adds about 300 ms of wall time
// and 200 to 280 ms of CPU per run, and more per event.
//
// # no_log
//
// Ansible 2.14 hands callbacks a clean copy of each result in which a no_log
// task's result is replaced by a censored notice (TaskResult.clean_copy in
// TaskQueueManager.send_callback). The plugin checks again and emits
// {censored: ...} itself when the task has no_log, including a no_log that is
// still an unrendered template, or the result carries _ansible_no_log. Task
// arguments are never emitted.
//
// # Rescued failures
//
// Ansible does not tell callbacks that a failure was rescued. The plugin
// sets event_data.rescued to {host: 1} on runner_on_failed by the rule
// Ansible's strategy uses to count the failure as rescued rather than failed
// (PlayIterator.is_any_block_rescuing on the host's state before the failure):
// some enclosing block runs the task in its block: section and has a rescue:
// section. Handlers are never rescued. Tests check the flags against
// Ansible's own rescued and failures counters. See pkg/events for how
// failures are then chosen.
//
// # Starting a run: forked or executed
//
// With Options.ForkServer (the operator's default, --ansible-fork-server),
// ansible-playbook is not executed: package forkserver forks it from a
// Python process that has Ansible and the kubernetes client imported
// already, one such server per distinct run environment (per roles
// directory, in practice), started at the first run that needs it and again
// if it dies. The inventory's ansible_python_interpreter is then the fork
// server's shim, so every Python module of the run is forked the same way,
// into the run's process group. A run forks exactly the argv, environment,
// working directory and descriptors it would have been executed with; the
// command artifact is the same. The runner executes ansible-playbook
// instead when it is not a Python script, when the run's working
// directory holds an ansible.cfg (the server imported Ansible's config
// without it), and when the server cannot be started or reached (logged).
//
// BenchmarkEngine (make bench), same machine and role, executed then
// forked: CPU per run 2.16 s then 1.05 s; twenty CRs converge in 26.4 s
// then 15.4 s; a deleted Deployment is back in 2.11 s then 0.92 s.
//
// # Stopping a run
//
// ansible-playbook runs in its own process group, forked or executed, and
// so do the modules it runs. When Input.Timeout passes
// or ctx is done, the whole group gets SIGTERM, then SIGKILL after
// Options.KillGrace unless the leader has exited and the group is empty, so
// commands a task started (a shell's sleep, say) do not outlive the run. Run
// then returns a *TimeoutError that names the task last started and wraps
// context.DeadlineExceeded or context.Canceled.
//
// # Truthful summaries
//
// A run is judged by its events, never by its exit code alone. Without a
// playbook_on_stats event (syntax error, missing module, crash, kill) Run
// returns an *IncompleteError wrapping ErrNoStats with the end of stderr; a
// non-zero exit without a failed task is ErrUnreportedExit. Failed tasks
// are not an error: they are Summary.Failures.
//
// # Concurrency
//
// Runs in different CR directories proceed in parallel. A second Run, or
// Remove, for a directory that has a run waits until that run ends (or its
// own ctx is done): controller-runtime never reconciles one object twice at
// once, so a wait only happens between a reconcile and a finalizer run or a
// deletion, where the later one must see the earlier one's end.
package runner
