package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

var (
	t0, t1, t2    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC), time.Date(2026, 3, 1, 12, 2, 0, 0, time.UTC)
	ts0, ts1, ts2 = "2026-03-01T12:00:00Z", "2026-03-01T12:01:00Z", "2026-03-01T12:02:00Z"
	completion    = time.Date(2026, 3, 1, 12, 0, 30, 500_000_000, time.FixedZone("CET", 3600))
)

func cond(typ, status, reason, message, transition string, generation int64) map[string]any {
	return map[string]any{
		"type": typ, "status": status, "reason": reason, "message": message,
		"lastTransitionTime": transition, "observedGeneration": generation,
	}
}

func withResult(c, ansibleResult map[string]any) map[string]any {
	c["ansibleResult"] = ansibleResult
	return c
}

func list(cs ...map[string]any) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}

// okStats and okResult are the counters of a successful run and their
// ansibleResult.
var okStats = Stats{Ok: 5, Changed: 2, Skipped: 1}

func okResult() map[string]any {
	return map[string]any{"ok": int64(5), "changed": int64(2), "skipped": int64(1), "failures": int64(0), "completion": "2026-03-01T11:00:30.5Z"}
}

func success() Result {
	s := okStats
	return Result{Stats: &s, Completion: completion}
}

var webFailure = Failure{
	Task: "web | Deploy Foreman web", TaskPath: "/opt/ansible/roles/foreman/tasks/web.yml:12",
	Action: "kubernetes.core.k8s", Message: "Failed to create object: Forbidden",
}

const webFailureLine = `Task "web | Deploy Foreman web" (/opt/ansible/roles/foreman/tasks/web.yml:12) failed: Failed to create object: Forbidden`

func failedResult() map[string]any {
	return map[string]any{"ok": int64(3), "changed": int64(1), "skipped": int64(0), "failures": int64(1), "completion": "2026-03-01T11:00:30.5Z"}
}

func failure() Result {
	return Result{Stats: &Stats{Ok: 3, Changed: 1, Failures: 1}, Failures: []Failure{webFailure}, Completion: completion}
}

// runningFresh is the status of a fresh CR whose first run started at ts.
func runningFresh(ts string) map[string]any {
	return map[string]any{"conditions": list(
		cond(TypeRunning, True, ReasonRunning, "Running reconciliation", ts, 1),
		cond(TypeSuccessful, False, ReasonReconciling, "Reconciling generation 1; no reconciliation has succeeded yet", ts, 1),
	)}
}

// succeeded is the status after a successful run of generation at ts.
func succeeded(generation int64, ts string) map[string]any {
	return map[string]any{
		"observedGeneration": generation,
		"conditions": list(
			cond(TypeRunning, False, ReasonSuccessful, "Awaiting next reconciliation", ts, generation),
			withResult(cond(TypeSuccessful, True, ReasonSuccessful, "Last reconciliation succeeded", ts, generation), okResult()),
			withResult(cond(TypeFailure, False, ReasonSuccessful, "Last reconciliation succeeded", ts, generation), okResult()),
		),
	}
}

// failed is the status after a run of generation failed at ts.
func failed(generation int64, ts string) map[string]any {
	return map[string]any{
		"observedGeneration": generation,
		"conditions": list(
			cond(TypeRunning, False, ReasonFailed, "Awaiting next reconciliation", ts, generation),
			withResult(cond(TypeSuccessful, False, ReasonFailed, "Last reconciliation failed", ts, generation), failedResult()),
			withResult(cond(TypeFailure, True, ReasonFailed, webFailureLine, ts, generation), failedResult()),
		),
	}
}

// with returns m with more top-level keys.
func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// step is one call of the package under test.
type step func(prev map[string]any) (map[string]any, []string)

func running(generation int64, now time.Time) step {
	return func(prev map[string]any) (map[string]any, []string) {
		return Running(prev, generation, now), nil
	}
}

func done(r Result, generation int64, now time.Time) step {
	return func(prev map[string]any) (map[string]any, []string) {
		return Done(prev, r, generation, now)
	}
}

func setupError(reason string, err error, generation int64, now time.Time) step {
	return func(prev map[string]any) (map[string]any, []string) {
		return SetupError(prev, reason, err, generation, now), nil
	}
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name         string
		prev         map[string]any
		step         step
		want         map[string]any
		wantWarnings []string
	}{
		{
			name: "A fresh CR is Running, not yet Successful, and has no Failure or observedGeneration",
			prev: nil,
			step: running(1, t0),
			want: runningFresh(ts0),
		},
		{
			name: "A successful first run ends Running and records the counters on Successful and Failure",
			prev: runningFresh(ts0),
			step: done(success(), 1, t1),
			want: succeeded(1, ts1),
		},
		{
			name: "A failed task makes Failure True, naming the task, its file and line and its message",
			prev: runningFresh(ts0),
			step: done(failure(), 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonFailed, "Awaiting next reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, False, ReasonFailed, "Last reconciliation failed", ts0, 1), failedResult()),
					withResult(cond(TypeFailure, True, ReasonFailed, webFailureLine, ts1, 1), failedResult()),
				),
			},
		},
		{
			name: "A success after a failure turns Failure False and Successful True",
			prev: Running(failed(1, ts0), 2, t1),
			step: done(success(), 2, t2),
			want: succeeded(2, ts2),
		},
		{
			name: "A run of a newer generation marks an older success stale, drops its counters and keeps Failure",
			prev: with(succeeded(1, ts0), "version", "3.9"),
			step: running(2, t1),
			want: map[string]any{
				"version":            "3.9",
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, True, ReasonRunning, "Running reconciliation", ts1, 2),
					cond(TypeSuccessful, False, ReasonReconciling, "Reconciling generation 2; the last success was for generation 1", ts1, 2),
					withResult(cond(TypeFailure, False, ReasonSuccessful, "Last reconciliation succeeded", ts0, 1), okResult()),
				),
			},
		},
		{
			name: "A rerun of the generation that succeeded keeps Successful True",
			prev: succeeded(1, ts0),
			step: running(1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, True, ReasonRunning, "Running reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, True, ReasonSuccessful, "Last reconciliation succeeded", ts0, 1), okResult()),
					withResult(cond(TypeFailure, False, ReasonSuccessful, "Last reconciliation succeeded", ts0, 1), okResult()),
				),
			},
		},
		{
			name: "A run after a failure leaves Successful False with the failure's reason",
			prev: failed(1, ts0),
			step: running(2, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, True, ReasonRunning, "Running reconciliation", ts1, 2),
					withResult(cond(TypeSuccessful, False, ReasonFailed, "Last reconciliation failed", ts0, 1), failedResult()),
					withResult(cond(TypeFailure, True, ReasonFailed, webFailureLine, ts0, 1), failedResult()),
				),
			},
		},
		{
			name: "A Successful True written by upstream without observedGeneration is treated as stale",
			prev: map[string]any{"conditions": []any{
				map[string]any{"type": "Running", "status": "True", "reason": "Successful", "message": "Awaiting next reconciliation", "lastTransitionTime": ts0,
					"ansibleResult": map[string]any{"ok": int64(1), "changed": int64(0), "skipped": int64(0), "failures": int64(0), "completion": "2026-03-01T12:00:00.12345678+00:00"}},
				map[string]any{"type": "Successful", "status": "True", "reason": "Successful", "message": "Last reconciliation succeeded", "lastTransitionTime": ts0},
				map[string]any{"type": "Failure", "status": "False", "lastTransitionTime": ts0},
			}},
			step: running(3, t1),
			want: map[string]any{"conditions": list(
				cond(TypeRunning, True, ReasonRunning, "Running reconciliation", ts0, 3),
				cond(TypeSuccessful, False, ReasonReconciling, "Reconciling generation 3; the last success was for an earlier generation", ts1, 3),
				map[string]any{"type": "Failure", "status": "False", "lastTransitionTime": ts0},
			)},
		},
		{
			name: "A timeout ends the run with Failure Timeout and no counters",
			prev: Running(succeeded(1, ts0), 2, t1),
			step: done(Result{Err: fmt.Errorf("run role %q: %w", "foreman", context.DeadlineExceeded)}, 2, t2),
			want: map[string]any{
				"observedGeneration": int64(2),
				"conditions": list(
					cond(TypeRunning, False, ReasonTimeout, "Awaiting next reconciliation", ts2, 2),
					cond(TypeSuccessful, False, ReasonTimeout, "Last reconciliation failed", ts1, 2),
					cond(TypeFailure, True, ReasonTimeout, `The Ansible run timed out: run role "foreman": context deadline exceeded`, ts2, 2),
				),
			},
		},
		{
			name: "A run without a stats event fails with NoStats instead of staying Running",
			prev: runningFresh(ts0),
			step: done(Result{}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonNoStats, "Awaiting next reconciliation", ts1, 1),
					cond(TypeSuccessful, False, ReasonNoStats, "Last reconciliation failed", ts0, 1),
					cond(TypeFailure, True, ReasonNoStats, "The Ansible run ended without reporting its stats (playbook_on_stats), so its outcome is unknown", ts1, 1),
				),
			},
		},
		{
			name: "A crashed run fails with RunCrashed and lists the tasks that failed before the crash",
			prev: runningFresh(ts0),
			step: done(Result{Failures: []Failure{webFailure}, Err: errors.New("ansible-playbook exited with status 250")}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonRunCrashed, "Awaiting next reconciliation", ts1, 1),
					cond(TypeSuccessful, False, ReasonRunCrashed, "Last reconciliation failed", ts0, 1),
					cond(TypeFailure, True, ReasonRunCrashed, "The Ansible run ended abnormally: ansible-playbook exited with status 250\n"+webFailureLine, ts1, 1),
				),
			},
		},
		{
			name: "A canceled run fails with Interrupted",
			prev: runningFresh(ts0),
			step: done(Result{Err: fmt.Errorf("run role: %w", context.Canceled)}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonInterrupted, "Awaiting next reconciliation", ts1, 1),
					cond(TypeSuccessful, False, ReasonInterrupted, "Last reconciliation failed", ts0, 1),
					cond(TypeFailure, True, ReasonInterrupted, "The Ansible run was interrupted: run role: context canceled", ts1, 1),
				),
			},
		},
		{
			name: "Stats that count a failure no event reported still fail the run",
			prev: runningFresh(ts0),
			step: done(Result{Stats: &Stats{Ok: 3, Changed: 1, Failures: 1}, Completion: completion}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonFailed, "Awaiting next reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, False, ReasonFailed, "Last reconciliation failed", ts0, 1), failedResult()),
					withResult(cond(TypeFailure, True, ReasonFailed, "Ansible counted 1 failed task(s) but reported none of them", ts1, 1), failedResult()),
				),
			},
		},
		{
			name: "An unreachable host fails the run with Unreachable",
			prev: runningFresh(ts0),
			step: done(Result{Stats: &Stats{Unreachable: 1}}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonUnreachable, "Awaiting next reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, False, ReasonUnreachable, "Last reconciliation failed", ts0, 1),
						map[string]any{"ok": int64(0), "changed": int64(0), "skipped": int64(0), "failures": int64(0)}),
					withResult(cond(TypeFailure, True, ReasonUnreachable, "Ansible could not reach 1 host(s)", ts1, 1),
						map[string]any{"ok": int64(0), "changed": int64(0), "skipped": int64(0), "failures": int64(0)}),
				),
			},
		},
		{
			name: "A setup error makes Failure True with its reason and message and drops the counters",
			prev: with(succeeded(1, ts0), "version", "3.9"),
			step: setupError("InvalidAnnotation", errors.New(`parse annotation "ansible.sdk.operatorframework.io/reconcile-period": invalid duration "soon"`), 1, t1),
			want: map[string]any{
				"version":            "3.9",
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, "InvalidAnnotation", "Awaiting next reconciliation", ts0, 1),
					cond(TypeSuccessful, False, "InvalidAnnotation", "Last reconciliation failed", ts1, 1),
					cond(TypeFailure, True, "InvalidAnnotation", `parse annotation "ansible.sdk.operatorframework.io/reconcile-period": invalid duration "soon"`, ts1, 1),
				),
			},
		},
		{
			name: "A setup error with an invalid reason or no error still says what happened",
			prev: nil,
			step: setupError("reserved spec key", nil, 4, t0),
			want: map[string]any{
				"observedGeneration": int64(4),
				"conditions": list(
					cond(TypeRunning, False, ReasonUnspecified, "Awaiting next reconciliation", ts0, 4),
					cond(TypeSuccessful, False, ReasonUnspecified, "Last reconciliation failed", ts0, 4),
					cond(TypeFailure, True, ReasonUnspecified, "Reconciliation could not start", ts0, 4),
				),
			},
		},
		{
			name: "Custom status merges maps deeply, replaces lists and deletes keys set to null",
			prev: with(runningFresh(ts0),
				"version", "3.9",
				"old", "stale",
				"web", map[string]any{"replicas": int64(2), "url": "http://old", "hosts": []any{"a", "b"}, "tls": map[string]any{"enabled": true, "secret": "web-tls"}},
			),
			step: done(withCustom(success(), map[string]any{
				"old":   nil,
				"web":   map[string]any{"replicas": float64(3), "url": nil, "hosts": []any{"c"}, "tls": map[string]any{"secret": nil, "issuer": "ca"}},
				"db":    map[string]any{"ready": true, "size": 1.5, "gone": nil},
				"never": nil,
			}), 1, t1),
			want: with(succeeded(1, ts1),
				"version", "3.9",
				"web", map[string]any{"replicas": int64(3), "hosts": []any{"c"}, "tls": map[string]any{"enabled": true, "issuer": "ca"}},
				"db", map[string]any{"ready": true, "size": 1.5},
			),
		},
		{
			name: "Custom conditions merge by type after the engine's, keeping transition times and other conditions",
			prev: map[string]any{"conditions": []any{
				cond(TypeRunning, True, ReasonRunning, "Running reconciliation", ts0, 1),
				cond("DatabaseReady", True, "Migrated", "Schema 42", ts0, 1),
				map[string]any{"type": "example.com/Backup", "status": "Unknown"},
				"not a condition",
			}},
			step: done(withCustom(success(), map[string]any{"conditions": []any{
				map[string]any{"type": "WebReady", "status": false, "reason": "Scaling", "message": "\x1b[33m1/2\x1b[0m pods ready"},
				map[string]any{"type": "DatabaseReady", "status": "true", "reason": "Migrated", "message": "Schema 43"},
			}}), 2, t1),
			want: map[string]any{
				"observedGeneration": int64(2),
				"conditions": []any{
					cond(TypeRunning, False, ReasonSuccessful, "Awaiting next reconciliation", ts1, 2),
					withResult(cond(TypeSuccessful, True, ReasonSuccessful, "Last reconciliation succeeded", ts1, 2), okResult()),
					withResult(cond(TypeFailure, False, ReasonSuccessful, "Last reconciliation succeeded", ts1, 2), okResult()),
					cond("DatabaseReady", True, "Migrated", "Schema 43", ts0, 2),
					map[string]any{"type": "example.com/Backup", "status": "Unknown"},
					"not a condition",
					cond("WebReady", False, "Scaling", "1/2 pods ready", ts1, 2),
				},
			},
		},
		{
			name: "Keys and conditions owned by the engine cannot be set by a role",
			prev: runningFresh(ts0),
			step: done(withCustom(success(), map[string]any{
				"observedGeneration": int64(99),
				"conditions": []any{
					map[string]any{"type": "Successful", "status": "True", "reason": "Faked"},
					map[string]any{"type": "Failure", "status": "False"},
				},
			}), 1, t1),
			want: succeeded(1, ts1),
			wantWarnings: []string{
				`custom status conditions[0]: type "Successful" is owned by the operator; ignored`,
				`custom status conditions[1]: type "Failure" is owned by the operator; ignored`,
				`custom status key "observedGeneration" is owned by the operator; ignored`,
			},
		},
		{
			name: "Custom status a role cannot mean is ignored with a warning and the rest is applied",
			prev: runningFresh(ts0),
			step: done(withCustom(success(), map[string]any{
				"ratio":    map[string]any{"value": 0.5, "bad": []any{1.0, float64Inf()}},
				"channel":  make(chan int),
				"accepted": "yes",
				"conditions": []any{
					"Ready",
					map[string]any{"status": "True"},
					map[string]any{"type": "Has Spaces", "status": "True"},
					map[string]any{"type": "Ready", "status": "maybe"},
					map[string]any{"type": "Ready"},
					map[string]any{"type": "Ready", "status": true, "reason": "all good", "message": 42, "lastTransitionTime": "2020-01-01T00:00:00Z"},
					map[string]any{"type": "Ready", "status": "False", "reason": 7},
				},
			}), 1, t1),
			want: with(map[string]any{
				"observedGeneration": int64(1),
				"conditions": append(succeeded(1, ts1)["conditions"].([]any),
					cond("Ready", False, ReasonUnspecified, "", ts1, 1)),
			}, "accepted", "yes"),
			wantWarnings: []string{
				`custom status key "channel": chan int cannot be stored in a status; ignored`,
				`custom status conditions[0]: want an object, got string; ignored`,
				`custom status conditions[1]: type "" is not a valid condition type; ignored`,
				`custom status conditions[2]: type "Has Spaces" is not a valid condition type; ignored`,
				`custom status conditions[3]: condition "Ready": status maybe is not True, False or Unknown; ignored`,
				`custom status conditions[4]: condition "Ready": no status; ignored`,
				`custom status conditions[5]: fields lastTransitionTime ignored: only type, status, reason, message are read`,
				`custom status conditions[5]: condition "Ready": reason "all good" is not CamelCase; Unspecified used`,
				`custom status conditions[5]: condition "Ready": message must be a string, got number; ignored`,
				`custom status conditions[6]: condition "Ready": reason must be a string, got number; Unspecified used`,
				`custom status conditions[6]: type "Ready" repeats an earlier entry, which it replaces`,
				`custom status key "ratio": bad: [1]: +Inf cannot be stored in a status; ignored`,
			},
		},
		{
			name: "Previous conditions that are not a list are replaced, and custom conditions that are not a list are ignored",
			prev: with(runningFresh(ts0), "conditions", "garbage"),
			step: done(withCustom(success(), map[string]any{"conditions": map[string]any{"type": "Ready"}}), 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonSuccessful, "Awaiting next reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, True, ReasonSuccessful, "Last reconciliation succeeded", ts1, 1), okResult()),
					withResult(cond(TypeFailure, False, ReasonSuccessful, "Last reconciliation succeeded", ts1, 1), okResult()),
				),
			},
			wantWarnings: []string{`custom status conditions: want a list, got object; ignored`},
		},
		{
			name:         "Null custom conditions cannot delete the conditions",
			prev:         runningFresh(ts0),
			step:         done(withCustom(success(), map[string]any{"conditions": nil}), 1, t1),
			want:         succeeded(1, ts1),
			wantWarnings: []string{"custom status conditions is null: conditions cannot be deleted; ignored"},
		},
		{
			name: "Custom status reported before a failure is applied too",
			prev: runningFresh(ts0),
			step: done(withCustom(failure(), map[string]any{
				"phase":      "migrating",
				"conditions": []any{map[string]any{"type": "DatabaseReady", "status": "False", "reason": "MigrationFailed"}},
			}), 1, t1),
			want: map[string]any{
				"phase":              "migrating",
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonFailed, "Awaiting next reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, False, ReasonFailed, "Last reconciliation failed", ts0, 1), failedResult()),
					withResult(cond(TypeFailure, True, ReasonFailed, webFailureLine, ts1, 1), failedResult()),
					cond("DatabaseReady", False, "MigrationFailed", "", ts1, 1),
				),
			},
		},
		{
			name: "ANSI escapes and control characters are stripped from setup error messages",
			prev: nil,
			step: setupError("ReservedSpecKey", errors.New("spec key \x1b[1mansible_become\x1b[0m is reserved\r"), 1, t0),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, "ReservedSpecKey", "Awaiting next reconciliation", ts0, 1),
					cond(TypeSuccessful, False, "ReservedSpecKey", "Last reconciliation failed", ts0, 1),
					cond(TypeFailure, True, "ReservedSpecKey", "spec key ansible_become is reserved", ts0, 1),
				),
			},
		},
		{
			name: "ANSI escapes and control characters are stripped from failure messages",
			prev: runningFresh(ts0),
			step: done(Result{Stats: &Stats{Failures: 1}, Failures: []Failure{{
				Task: "Run\x1b[1m migrations\x1b[0m\r\n", TaskPath: "main.yml:3",
				Message: "\x1b[31mfatal:\x1b[0m rake aborted!\r\n\tPG::ConnectionBad\x07\x00 \x1b]8;;http://x\x07link\x1b]8;;\x07",
			}}}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonFailed, "Awaiting next reconciliation", ts1, 1),
					withResult(cond(TypeSuccessful, False, ReasonFailed, "Last reconciliation failed", ts0, 1),
						map[string]any{"ok": int64(0), "changed": int64(0), "skipped": int64(0), "failures": int64(1)}),
					withResult(cond(TypeFailure, True, ReasonFailed, "Task \"Run migrations\" (main.yml:3) failed: fatal: rake aborted!\n\tPG::ConnectionBad link", ts1, 1),
						map[string]any{"ok": int64(0), "changed": int64(0), "skipped": int64(0), "failures": int64(1)}),
				),
			},
		},
		{
			name: "A failure message longer than 1 KiB is cut with a marker",
			prev: runningFresh(ts0),
			step: done(Result{Failures: []Failure{{Task: "T", Message: strings.Repeat("x", 5000)}}, Err: errors.New("boom")}, 1, t1),
			want: map[string]any{
				"observedGeneration": int64(1),
				"conditions": list(
					cond(TypeRunning, False, ReasonRunCrashed, "Awaiting next reconciliation", ts1, 1),
					cond(TypeSuccessful, False, ReasonRunCrashed, "Last reconciliation failed", ts0, 1),
					cond(TypeFailure, True, ReasonRunCrashed, "The Ansible run ended abnormally: boom\nTask \"T\" failed: "+strings.Repeat("x", 1024-len(`Task "T" failed: `)-len(truncatedMarker))+truncatedMarker, ts1, 1),
				),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings := tt.step(tt.prev)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// withCustom returns r with custom status.
func withCustom(r Result, custom map[string]any) Result {
	r.CustomStatus = custom
	return r
}

func float64Inf() float64 {
	var zero float64
	return 1 / zero
}

func TestRepeatedStepsAreEqual(t *testing.T) {
	custom := map[string]any{
		"version":    "3.9",
		"conditions": []any{map[string]any{"type": "WebReady", "status": "True", "reason": "Ready"}},
	}
	tests := []struct {
		name string
		prev map[string]any
		step func(now time.Time) step
	}{
		{
			name: "Done twice with the same success and custom status",
			prev: runningFresh(ts0),
			step: func(now time.Time) step { return done(withCustom(success(), custom), 1, now) },
		},
		{
			name: "Done twice with the same failure",
			prev: runningFresh(ts0),
			step: func(now time.Time) step { return done(failure(), 1, now) },
		},
		{
			name: "Done twice with the same timeout",
			prev: runningFresh(ts0),
			step: func(now time.Time) step { return done(Result{Err: context.DeadlineExceeded}, 1, now) },
		},
		{
			name: "Running twice for the same generation",
			prev: succeeded(1, ts0),
			step: func(now time.Time) step { return running(2, now) },
		},
		{
			name: "SetupError twice with the same error",
			prev: succeeded(1, ts0),
			step: func(now time.Time) step { return setupError("InvalidAnnotation", errors.New("bad"), 2, now) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, _ := tt.step(t1)(tt.prev)
			second, _ := tt.step(t2)(first)
			if !Equal(first, second) {
				t.Errorf("second step changed the status (-first +second):\n%s", cmp.Diff(first, second))
			}
			if strings.Contains(fmt.Sprint(second), ts2) {
				t.Errorf("second step wrote its own time %s: %v", ts2, second)
			}
		})
	}
}

func TestReconcileCycleKeepsSuccessfulTransitionTime(t *testing.T) {
	s := Running(nil, 1, t0)
	s, _ = Done(s, success(), 1, t0.Add(time.Second))
	s = Running(s, 1, t1)
	s, _ = Done(s, success(), 1, t1.Add(time.Second))
	want := "2026-03-01T12:00:01Z"
	for _, c := range s["conditions"].([]any) {
		c := c.(map[string]any)
		if c["type"] == TypeSuccessful && c["lastTransitionTime"] != want {
			t.Errorf("Successful lastTransitionTime = %v, want %s: a rerun of a successful generation must not flap it", c["lastTransitionTime"], want)
		}
	}
}

func TestPreviousStatusIsNotChanged(t *testing.T) {
	prev := func() map[string]any {
		return with(failed(1, ts0),
			"web", map[string]any{"replicas": int64(2), "hosts": []any{"a"}},
			"conditions", append(failed(1, ts0)["conditions"].([]any), cond("DatabaseReady", True, "Migrated", "", ts0, 1)),
		)
	}
	custom := map[string]any{
		"web":        map[string]any{"replicas": int64(3), "hosts": nil},
		"conditions": []any{map[string]any{"type": "DatabaseReady", "status": "False"}},
	}
	tests := []struct {
		name string
		step step
	}{
		{name: "Running leaves prev alone", step: running(2, t1)},
		{name: "Done with custom status leaves prev alone", step: done(withCustom(success(), custom), 2, t1)},
		{name: "SetupError leaves prev alone", step: setupError("Bad", errors.New("bad"), 2, t1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := prev()
			got, _ := tt.step(p)
			if diff := cmp.Diff(prev(), p); diff != "" {
				t.Errorf("prev changed (-before +after):\n%s", diff)
			}
			// Changing the result must not reach back into prev either.
			got["web"] = "changed"
			got["conditions"].([]any)[0].(map[string]any)["status"] = "changed"
			for _, c := range got["conditions"].([]any) {
				c.(map[string]any)["reason"] = "Changed"
			}
			if diff := cmp.Diff(prev(), p); diff != "" {
				t.Errorf("prev shares memory with the result (-before +after):\n%s", diff)
			}
		})
	}
}

func TestStatusSurvivesTheAPIServer(t *testing.T) {
	custom := map[string]any{
		"counts":     map[string]any{"int": 3, "float": 3.0, "fraction": 0.25, "number": json.Number("7"), "uint": uint8(4)},
		"list":       []any{int32(1), "two", true, nil, map[string]any{"x": float32(1.5)}},
		"conditions": []map[string]any{{"type": "WebReady", "status": true}},
	}
	got, warnings := Done(Running(nil, 7, t0), withCustom(success(), custom), 7, t1)
	if len(warnings) > 0 {
		t.Fatalf("warnings: %v", warnings)
	}
	u := unstructured.Unstructured{Object: map[string]any{"status": got}}
	_ = u.DeepCopy() // panics on any value an unstructured object cannot hold
	data, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back map[string]any
	if err := utiljson.Unmarshal(data, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if diff := cmp.Diff(got, back["status"]); diff != "" {
		t.Errorf("status changed in a JSON round trip (-sent +read back):\n%s", diff)
	}
}
