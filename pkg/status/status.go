package status

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Condition types owned by the engine. Roles cannot set them.
const (
	TypeRunning    = "Running"
	TypeSuccessful = "Successful"
	TypeFailure    = "Failure"
)

// Condition reasons written by the engine.
const (
	// ReasonRunning is Running's reason while a run is under way.
	ReasonRunning = "Running"
	// ReasonReconciling marks Successful False while a newer generation than
	// the last successful one is being reconciled.
	ReasonReconciling = "Reconciling"
	// ReasonSuccessful is the reason of all three conditions after a run
	// that succeeded.
	ReasonSuccessful = "Successful"
	// ReasonFailed means a task failed.
	ReasonFailed = "Failed"
	// ReasonUnreachable means Ansible could not reach a host.
	ReasonUnreachable = "Unreachable"
	// ReasonTimeout means the run was stopped at its deadline.
	ReasonTimeout = "Timeout"
	// ReasonInterrupted means the run was canceled, e.g. at shutdown.
	ReasonInterrupted = "Interrupted"
	// ReasonRunCrashed means the run ended with an error of its own.
	ReasonRunCrashed = "RunCrashed"
	// ReasonNoStats means the run ended without a playbook_on_stats event.
	ReasonNoStats = "NoStats"
	// ReasonUnspecified replaces a missing or invalid reason.
	ReasonUnspecified = "Unspecified"
)

// Condition status values.
const (
	True    = "True"
	False   = "False"
	Unknown = "Unknown"
)

// Status keys owned by the engine.
const (
	keyConditions         = "conditions"
	keyObservedGeneration = "observedGeneration"
)

// Messages of the engine's conditions.
const (
	msgRunning   = "Running reconciliation"
	msgAwaiting  = "Awaiting next reconciliation"
	msgSucceeded = "Last reconciliation succeeded"
	msgFailed    = "Last reconciliation failed"
)

// Result is what Done needs to know about a finished run. The controller fills
// it from the runner's events.Summary and error.
type Result struct {
	// Stats are the final counters for localhost; nil when no
	// playbook_on_stats event arrived.
	Stats *Stats
	// Failures are the failed tasks that were neither ignored nor rescued,
	// in the order they failed.
	Failures []Failure
	// CustomStatus is the status a role reported (set_stats data key
	// operator_status); nil when it reported none.
	CustomStatus map[string]any
	// Completion is when the run finished (the stats event's time); zero
	// when unknown.
	Completion time.Time
	// Err is the run's own error: a timeout (wrapping
	// context.DeadlineExceeded), a cancellation (wrapping context.Canceled)
	// or a crash. Nil when the run ended by itself.
	Err error
}

// Stats are Ansible's per-host counters of one run.
type Stats struct {
	Ok, Changed, Skipped, Failures, Unreachable int
}

// Failure is one failed task.
type Failure struct {
	// Task is the task's name; Ansible names unnamed tasks after their
	// action.
	Task string
	// TaskPath is where the task is defined, as file:line.
	TaskPath string
	// Action is the module, e.g. kubernetes.core.k8s.
	Action string
	// Message is the module's msg, already censored for no_log tasks.
	Message string
}

// Running returns the status for a run of generation that is starting:
// Running becomes True, and Successful becomes False unless it was True for
// this generation already. Failure and observedGeneration are left alone.
func Running(prev map[string]any, generation int64, now time.Time) map[string]any {
	s := parse(prev)
	s.set(TypeRunning, True, ReasonRunning, msgRunning, generation, now, nil)
	succ := s.builtin[TypeSuccessful]
	switch {
	case succ == nil:
		s.set(TypeSuccessful, False, ReasonReconciling,
			fmt.Sprintf("Reconciling generation %d; no reconciliation has succeeded yet", generation),
			generation, now, nil)
	case succ["status"] == True && observedGeneration(succ) < generation:
		last := "an earlier generation"
		if g, ok := int64Value(succ[keyObservedGeneration]); ok {
			last = fmt.Sprintf("generation %d", g)
		}
		s.set(TypeSuccessful, False, ReasonReconciling,
			fmt.Sprintf("Reconciling generation %d; the last success was for %s", generation, last),
			generation, now, nil)
	}
	return s.status()
}

// Done returns the status after a run of generation finished, and warnings
// about custom status it ignored. A run succeeded when it reported stats, no
// error, no failed task and no unreachable host; otherwise Failure becomes
// True with a reason that says why.
func Done(prev map[string]any, result Result, generation int64, now time.Time) (map[string]any, []string) {
	s := parse(prev)
	reason, message := verdict(result)
	ar := ansibleResult(result)
	s.set(TypeRunning, False, reason, msgAwaiting, generation, now, nil)
	if reason == ReasonSuccessful {
		s.set(TypeSuccessful, True, reason, msgSucceeded, generation, now, ar)
		s.set(TypeFailure, False, reason, msgSucceeded, generation, now, ar)
	} else {
		s.set(TypeSuccessful, False, reason, msgFailed, generation, now, ar)
		s.set(TypeFailure, True, reason, message, generation, now, ar)
	}
	s.fields[keyObservedGeneration] = generation
	warnings := s.applyCustom(result.CustomStatus, generation, now)
	return s.status(), warnings
}

// SetupError returns the status after generation could not be run at all, for
// example because of an invalid annotation or a reserved spec key: Failure
// becomes True with reason (Unspecified if it is not a valid condition reason)
// and err's text as its message.
func SetupError(prev map[string]any, reason string, err error, generation int64, now time.Time) map[string]any {
	s := parse(prev)
	if !validReason(reason) {
		reason = ReasonUnspecified
	}
	message := "Reconciliation could not start"
	if err != nil && sanitize(err.Error()) != "" {
		message = bound(sanitize(err.Error()), maxMessageBytes)
	}
	s.set(TypeRunning, False, reason, msgAwaiting, generation, now, nil)
	s.set(TypeSuccessful, False, reason, msgFailed, generation, now, nil)
	s.set(TypeFailure, True, reason, message, generation, now, nil)
	s.fields[keyObservedGeneration] = generation
	return s.status()
}

// verdict returns the reason of a finished run, ReasonSuccessful if it
// succeeded, and the Failure message otherwise.
func verdict(r Result) (reason, message string) {
	var headline string
	switch {
	case errors.Is(r.Err, context.DeadlineExceeded):
		reason, headline = ReasonTimeout, "The Ansible run timed out: "+r.Err.Error()
	case errors.Is(r.Err, context.Canceled):
		reason, headline = ReasonInterrupted, "The Ansible run was interrupted: "+r.Err.Error()
	case r.Err != nil:
		reason, headline = ReasonRunCrashed, "The Ansible run ended abnormally: "+r.Err.Error()
	case r.Stats == nil:
		reason, headline = ReasonNoStats, "The Ansible run ended without reporting its stats (playbook_on_stats), so its outcome is unknown"
	case len(r.Failures) > 0:
		reason = ReasonFailed
	case r.Stats.Failures > 0:
		reason, headline = ReasonFailed, fmt.Sprintf("Ansible counted %d failed task(s) but reported none of them", r.Stats.Failures)
	case r.Stats.Unreachable > 0:
		reason, headline = ReasonUnreachable, fmt.Sprintf("Ansible could not reach %d host(s)", r.Stats.Unreachable)
	default:
		return ReasonSuccessful, ""
	}
	return reason, failureMessage(headline, r.Failures)
}

// ansibleResult returns upstream's ansibleResult for r, or nil if the run
// reported no stats.
func ansibleResult(r Result) map[string]any {
	if r.Stats == nil {
		return nil
	}
	ar := map[string]any{
		"ok":       int64(r.Stats.Ok),
		"changed":  int64(r.Stats.Changed),
		"skipped":  int64(r.Stats.Skipped),
		"failures": int64(r.Stats.Failures),
	}
	if !r.Completion.IsZero() {
		ar["completion"] = r.Completion.UTC().Format(time.RFC3339Nano)
	}
	return ar
}
