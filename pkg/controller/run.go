package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/pkg/events"
	"github.com/theforeman/foreman-operator/pkg/extravars"
	"github.com/theforeman/foreman-operator/pkg/metrics"
	"github.com/theforeman/foreman-operator/pkg/runner"
	"github.com/theforeman/foreman-operator/pkg/status"
)

// eventMessageBytes bounds the message of a Kubernetes Event.
const eventMessageBytes = 1000

// outcome is how a run ended.
type outcome struct {
	summary events.Summary
	failed  bool
	message string // the Failure condition's message when failed
}

func (o outcome) err() error {
	if !o.failed {
		return nil
	}
	return errors.New(o.message)
}

// run builds the extra vars, runs the role with the CR's own credentials and
// records the outcome in status and Events. Errors are those of the
// operator's own API calls; the run's failure is in the outcome.
func (r *Reconciler) run(ctx context.Context, cr *unstructured.Unstructured, opts runOptions, deleting bool) (outcome, error) {
	in := extravars.Input{Object: cr, SnakeCase: r.Watch.SnakeCaseParameters, MarkUnsafe: r.Watch.MarkUnsafe,
		WatchVars: r.Watch.Vars, Deleting: deleting}
	role, playbook := r.Watch.Role, r.Watch.Playbook
	if fin := r.Watch.Finalizer; deleting && fin != nil {
		in.FinalizerVars = fin.Vars
		if fin.Role != "" || fin.Playbook != "" {
			role, playbook = fin.Role, fin.Playbook
		}
	}
	vars, err := extravars.Build(in)
	if err != nil {
		reason := ReasonInvalidSpec
		if rk := (*extravars.ReservedKeyError)(nil); errors.As(err, &rk) {
			reason = ReasonReservedSpecKey
		}
		return outcome{}, r.refuse(ctx, cr, reason, err)
	}

	release, err := r.Gate.Acquire(ctx)
	if err != nil {
		return outcome{}, err
	}
	defer release()
	kubeconfig, revoke, err := r.Access.Grant(ownerOf(cr))
	if err != nil {
		return outcome{}, fmt.Errorf("grant API access to the run: %w", err)
	}
	defer revoke()
	path, remove, err := writeKubeconfig(kubeconfig)
	if err != nil {
		return outcome{}, err
	}
	defer remove()

	generation := cr.GetGeneration()
	if r.Watch.ManageStatus {
		if err := r.updateStatus(ctx, cr, func(prev map[string]any) map[string]any {
			return status.Running(prev, generation, time.Now())
		}); err != nil {
			return outcome{}, err
		}
	}
	what := "role " + baseName(role)
	if playbook != "" {
		what = "playbook " + baseName(playbook)
	}
	if deleting {
		what = "finalizer " + what
	}
	log := r.Log.WithValues(strings.ToLower(cr.GetKind()), klog.KObj(cr), "generation", generation)
	log.Info("Starting Ansible run", "run", what)
	r.Recorder.Eventf(cr, corev1.EventTypeNormal, "RunStarted", "Running %s", what)

	end := metrics.RunStarted(r.Watch.GroupVersionKind.Kind)
	start := time.Now()
	if r.runs != nil {
		defer r.runs.begin(client.ObjectKeyFromObject(cr))()
	}
	summary, runErr := r.Runner.Run(ctx, runner.Input{
		Dir: r.dir(cr.GetNamespace(), cr.GetName()), Role: role, Playbook: playbook,
		ExtraVars: vars, Env: []string{"KUBECONFIG=" + path, "K8S_AUTH_KUBECONFIG=" + path},
		Cmdline: r.AnsibleArgs, Timeout: r.RunTimeout, Verbosity: opts.verbosity,
		MaxArtifacts: opts.maxArtifacts, OnEvent: taskLogger(log),
	})
	result := resultOf(summary, runErr)
	prev, _, _ := unstructured.NestedMap(cr.Object, "status")
	next, warnings := status.Done(prev, result, generation, time.Now())
	out := outcome{summary: summary, failed: runErr != nil || summary.Stats == nil || len(result.Failures) > 0 || unreachableOrFailed(summary)}
	out.message = conditionMessage(next, status.TypeFailure)
	for _, w := range append(summary.Warnings, warnings...) {
		log.Info("Ignored a value the run reported", "warning", w)
	}

	elapsed := time.Since(start).Round(time.Millisecond)
	if out.failed {
		end(metricResult(runErr))
		log.Info("Ansible run failed", "duration", elapsed.String(), "message", out.message)
		r.Recorder.Event(cr, corev1.EventTypeWarning, "RunFailed", truncate(out.message, eventMessageBytes))
	} else {
		end(metrics.ResultSucceeded)
		s := summary.Stats
		log.Info("Ansible run succeeded", "duration", elapsed.String(), "ok", s.Ok, "changed", s.Changed, "skipped", s.Skipped)
		r.Recorder.Eventf(cr, corev1.EventTypeNormal, "RunSucceeded", "Ran %s in %s: ok=%d changed=%d skipped=%d",
			what, elapsed, s.Ok, s.Changed, s.Skipped)
	}
	if r.Watch.ManageStatus {
		err := r.updateStatus(ctx, cr, func(prev map[string]any) map[string]any {
			next, _ := status.Done(prev, result, generation, time.Now())
			return next
		})
		if apierrors.IsInvalid(err) {
			// The CRD's schema refused what the role published: say so,
			// without it, rather than leave Running True and run again.
			refused := fmt.Errorf("the API server refused the status the role published (operator_status): %s", apiMessage(err))
			log.Info("The role's custom status was refused", "message", refused.Error())
			r.Recorder.Event(cr, corev1.EventTypeWarning, "RunFailed", truncate(refused.Error(), eventMessageBytes))
			out.failed, out.message = true, refused.Error()
			err = r.updateStatus(ctx, cr, func(prev map[string]any) map[string]any {
				return status.SetupError(prev, ReasonStatusRefused, refused, generation, time.Now())
			})
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// ReasonStatusRefused is Failure's reason when the API server refused the
// status a run published.
const ReasonStatusRefused = "StatusRefused"

// apiMessage is the API server's message in err, or err's text.
func apiMessage(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return se.Status().Message
	}
	return err.Error()
}

// resultOf converts the runner's report into what pkg/status needs.
func resultOf(s events.Summary, runErr error) status.Result {
	res := status.Result{CustomStatus: s.CustomStatus, Completion: s.Completion, Err: runErr}
	if s.Stats != nil {
		res.Stats = &status.Stats{Ok: s.Stats.Ok, Changed: s.Stats.Changed, Skipped: s.Stats.Skipped,
			Failures: s.Stats.Failures, Unreachable: s.Stats.Unreachable}
	}
	for _, f := range s.Failures {
		res.Failures = append(res.Failures, status.Failure{Task: f.Task, TaskPath: f.TaskPath, Action: f.Action, Message: f.Message})
	}
	return res
}

func unreachableOrFailed(s events.Summary) bool {
	return s.Stats != nil && (s.Stats.Failures > 0 || s.Stats.Unreachable > 0)
}

func metricResult(runErr error) string {
	if runErr != nil {
		return metrics.ResultError
	}
	return metrics.ResultFailed
}

// conditionMessage returns the message of the condition of type t, if True.
func conditionMessage(st map[string]any, t string) string {
	conds, _, _ := unstructured.NestedSlice(st, "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == t && m["status"] == status.True {
			msg, _ := m["message"].(string)
			return msg
		}
	}
	return ""
}

func ownerOf(cr *unstructured.Unstructured) Owner {
	return Owner{APIVersion: cr.GetAPIVersion(), Kind: cr.GetKind(), Namespace: cr.GetNamespace(),
		Name: cr.GetName(), UID: cr.GetUID()}
}

func baseName(path string) string {
	path = strings.TrimSuffix(path, "/")
	return path[strings.LastIndex(path, "/")+1:]
}

// taskLogger logs each finished task: name, action, duration, outcome. The
// stdout of a failed task comes along; no_log results are censored by the
// runner's plugin before they get here.
func taskLogger(log logr.Logger) func(events.Event) {
	return func(e events.Event) {
		d := e.EventData
		var outcome string
		switch e.Event {
		case events.RunnerOnOk:
			outcome = "ok"
			if changed, _ := d.Res["changed"].(bool); changed {
				outcome = "changed"
			}
		case events.RunnerOnSkipped:
			outcome = "skipped"
		case events.RunnerOnFailed:
			outcome = "failed"
			if d.IgnoreErrors {
				outcome = "failed (ignored)"
			}
		case events.RunnerOnUnreachable:
			outcome = "unreachable"
		default:
			return
		}
		kv := []any{"task", d.Task, "action", d.ResolvedAction, "duration", fmt.Sprintf("%.3fs", d.Duration), "result", outcome}
		if e.Event == events.RunnerOnFailed || e.Event == events.RunnerOnUnreachable {
			kv = append(kv, "taskPath", d.TaskPath, "stdout", e.Stdout)
		}
		log.Info("Task finished", kv...)
	}
}
