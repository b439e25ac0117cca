package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/theforeman/foreman-operator/pkg/events"
	"github.com/theforeman/foreman-operator/pkg/runner"
	"github.com/theforeman/foreman-operator/pkg/status"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

// Runner runs Ansible for one CR at a time per directory (pkg/runner).
type Runner interface {
	Run(ctx context.Context, in runner.Input) (events.Summary, error)
	Remove(dir string) error
}

// Access hands each run credentials of its own: a kubeconfig that reaches
// the API server through the owner-injecting proxy, acting for owner, and
// the function that revokes it.
type Access interface {
	Grant(owner Owner) (kubeconfig []byte, revoke func(), err error)
}

// Owner is the CR a run acts for.
type Owner struct {
	APIVersion, Kind, Namespace, Name string
	UID                               types.UID
}

// Reasons of the Failure condition for errors found before a run starts.
const (
	ReasonInvalidAnnotation = "InvalidAnnotation"
	ReasonReservedSpecKey   = "ReservedSpecKey"
	ReasonInvalidSpec       = "InvalidSpec"
)

// Reconciler runs a watch's role or playbook for each CR of its kind.
type Reconciler struct {
	Client    client.Client // cached reads and all writes
	APIReader client.Reader // live reads, for the status after a run
	Watch     watches.Watch
	Runner    Runner
	Access    Access
	Gate      *Gate
	Recorder  record.EventRecorder
	Log       logr.Logger

	// Period, Verbosity and the rest are the flags and environment folded
	// over the watch by Setup; CR annotations override the first two.
	Period      time.Duration
	Verbosity   int
	RunTimeout  time.Duration
	AnsibleArgs string
	// RunnerDir is the root of the per-CR directories.
	RunnerDir string

	runs *inflight // shared with the kind's dependent watches
}

// Reconcile gets the CR, handles deletion, then runs the role and records
// the outcome in status.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cr := &unstructured.Unstructured{}
	cr.SetGroupVersionKind(r.Watch.GroupVersionKind)
	if err := r.Client.Get(ctx, req.NamespacedName, cr); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, r.forget(req.Namespace, req.Name)
		}
		return reconcile.Result{}, fmt.Errorf("get %s %s: %w", r.Watch.GroupVersionKind.Kind, req, err)
	}
	fin := r.Watch.Finalizer
	if cr.GetDeletionTimestamp() != nil {
		if fin == nil || !controllerutil.ContainsFinalizer(cr, fin.Name) {
			return reconcile.Result{}, nil // terminating; nothing of ours to do
		}
		return r.finalize(ctx, cr)
	}
	if fin != nil && !controllerutil.ContainsFinalizer(cr, fin.Name) {
		if err := r.patchFinalizers(ctx, cr, func(o client.Object) { controllerutil.AddFinalizer(o, fin.Name) }); err != nil {
			return reconcile.Result{}, err
		}
	}
	opts, err := optionsFor(&r.Watch, r.Period, r.Verbosity, cr.GetAnnotations())
	if err != nil {
		return reconcile.Result{}, r.refuse(ctx, cr, ReasonInvalidAnnotation, err)
	}
	out, err := r.run(ctx, cr, opts, false)
	if err != nil || out.failed {
		return reconcile.Result{}, errors.Join(err, out.err())
	}
	if out.summary.RequeueAfter > 0 {
		return reconcile.Result{RequeueAfter: out.summary.RequeueAfter}, nil
	}
	return reconcile.Result{RequeueAfter: opts.period}, nil
}

// finalize runs the finalizer, then lets the CR go.
func (r *Reconciler) finalize(ctx context.Context, cr *unstructured.Unstructured) (reconcile.Result, error) {
	opts, err := optionsFor(&r.Watch, r.Period, r.Verbosity, cr.GetAnnotations())
	if err != nil {
		return reconcile.Result{}, r.refuse(ctx, cr, ReasonInvalidAnnotation, err)
	}
	out, err := r.run(ctx, cr, opts, true)
	if err != nil || out.failed {
		return reconcile.Result{}, errors.Join(err, out.err())
	}
	name := r.Watch.Finalizer.Name
	if err := r.patchFinalizers(ctx, cr, func(o client.Object) { controllerutil.RemoveFinalizer(o, name) }); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, r.forget(cr.GetNamespace(), cr.GetName())
}

// refuse records an error found before a run in the Failure condition.
// It is terminal: the CR must change before it is tried again.
func (r *Reconciler) refuse(ctx context.Context, cr *unstructured.Unstructured, reason string, cause error) error {
	generation := cr.GetGeneration()
	r.Recorder.Event(cr, corev1.EventTypeWarning, reason, cause.Error())
	if err := r.updateStatus(ctx, cr, func(prev map[string]any) map[string]any {
		return status.SetupError(prev, reason, cause, generation, time.Now())
	}); err != nil {
		return err
	}
	return reconcile.TerminalError(cause)
}

// forget removes what the operator kept for a CR that is gone.
func (r *Reconciler) forget(namespace, name string) error {
	if err := r.Runner.Remove(r.dir(namespace, name)); err != nil {
		return fmt.Errorf("remove run directory of %s/%s: %w", namespace, name, err)
	}
	return nil
}

func (r *Reconciler) dir(namespace, name string) string {
	gvk := r.Watch.GroupVersionKind
	return filepath.Join(r.RunnerDir, gvk.Group, gvk.Version, gvk.Kind, namespace, name)
}

func (r *Reconciler) patchFinalizers(ctx context.Context, cr *unstructured.Unstructured, change func(client.Object)) error {
	orig := cr.DeepCopy()
	change(cr)
	if err := r.Client.Patch(ctx, cr, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("update finalizers of %s: %w", klog.KObj(cr), err)
	}
	return nil
}

// updateStatus sets the CR's status to compute(the live status): read from
// the API server, not the cache, and written with a merge patch under
// optimistic locking, retried on conflict, so that conditions others write
// (the Foreman status reporter's) are never lost. Nothing is written when
// nothing changed, or when the CR is gone. cr is refreshed in place.
func (r *Reconciler) updateStatus(ctx context.Context, cr *unstructured.Unstructured, compute func(prev map[string]any) map[string]any) error {
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(cr.GroupVersionKind())
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cr), live); err != nil {
			return err
		}
		defer func() { cr.Object = live.Object }()
		prev, _, _ := unstructured.NestedMap(live.Object, "status")
		next := compute(prev)
		if status.Equal(prev, next) {
			return nil
		}
		orig := live.DeepCopy()
		if err := unstructured.SetNestedMap(live.Object, next, "status"); err != nil {
			return err
		}
		return r.Client.Status().Patch(ctx, live, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update status of %s: %w", klog.KObj(cr), err)
	}
	return nil
}

// writeKubeconfig puts a run's kubeconfig in a private file outside the
// artifacts, and returns the function that removes it.
func writeKubeconfig(data []byte) (string, func(), error) {
	f, err := os.CreateTemp("", "foreman-operator-run-*.kubeconfig")
	if err != nil {
		return "", nil, fmt.Errorf("create run kubeconfig: %w", err)
	}
	remove := func() { _ = os.Remove(f.Name()) }
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		remove()
		return "", nil, fmt.Errorf("write run kubeconfig: %w", err)
	}
	if err := f.Close(); err != nil {
		remove()
		return "", nil, fmt.Errorf("write run kubeconfig: %w", err)
	}
	return f.Name(), remove, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// conflictBackoff retries a status write that lost a race with another
// writer (the engine and the Foreman status reporter share .status): up to
// 12 tries over about 5 s, where client-go's DefaultBackoff gives up after
// 4 tries in 40 ms, which a loaded machine exhausts.
var conflictBackoff = wait.Backoff{Steps: 12, Duration: 10 * time.Millisecond, Factor: 1.7, Jitter: 0.5, Cap: 2 * time.Second}
