package foremanstatus

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/status"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

// ControllerName names the Foreman reporter's controller in logs and
// metrics; another kind's is "<kind>-status", in lower case.
const ControllerName = "foreman-status"

// Reconciler writes the Ready, Progressing and Degraded conditions and the
// components of each CR of one kind from its workloads.
type Reconciler struct {
	Client    client.Client // cached reads and status writes
	APIReader client.Reader // the live read a write is computed against
	// Kind is what the reporter knows of the kind it serves.
	Kind Kind
	// GVK is the kind in the version watches.yaml routes.
	GVK schema.GroupVersionKind
	// Selector is the watch's label selector: other Foremen are left alone.
	Selector labels.Selector
	// RunsReported is the watch's manageStatus: whether Ready waits for the
	// engine's Successful condition.
	RunsReported bool
	// Now is the clock of lastTransitionTime; nil means time.Now.
	Now func() time.Time

	// owns are the kinds of Kind.Owns the cluster serves, found by
	// SetupWithManager; only these are watched and read.
	owns map[schema.GroupVersionKind]bool
}

// Setup adds a reporter to mgr for each of kinds that ws routes, and
// nothing for the others: the Smart Proxy package, whose watches route only
// the SmartProxy kind, never needs the Foreman CRD. Like every controller
// the reporters run only on the leader.
func Setup(mgr manager.Manager, ws []watches.Watch, kinds ...Kind) error {
	for _, k := range kinds {
		for _, w := range ws {
			if w.GroupVersionKind.GroupKind() != k.GroupKind {
				continue
			}
			selector, err := metav1.LabelSelectorAsSelector(&w.Selector)
			if err != nil {
				return fmt.Errorf("set up the %s status reporter: selector: %w", k.GroupKind.Kind, err)
			}
			r := &Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Kind: k, GVK: w.GroupVersionKind,
				Selector: selector, RunsReported: w.ManageStatus}
			if err := r.SetupWithManager(mgr); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetupWithManager watches the CRs (every change, status included: the
// engine's conditions count) and, where the cluster serves them, the kinds
// of children Kind.Owns names.
func (r *Reconciler) SetupWithManager(mgr manager.Manager) error {
	name := ControllerName
	if r.Kind.GroupKind != ForemanKind {
		name = strings.ToLower(r.Kind.GroupKind.Kind) + "-status"
	}
	b := builder.ControllerManagedBy(mgr).
		Named(name).
		For(object(r.GVK), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return r.Selector.Matches(labels.Set(o.GetLabels()))
		})))
	r.owns = map[schema.GroupVersionKind]bool{}
	for _, gvk := range r.Kind.Owns {
		if _, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			mgr.GetLogger().Info("Not watching a kind the cluster does not serve", "controller", name, "kind", gvk.String())
			continue
		}
		r.owns[gvk] = true
		b = b.Owns(object(gvk))
	}
	// Tests start several managers: names repeat.
	err := b.WithOptions(controller.Options{SkipNameValidation: ptr.To(true)}).Complete(r)
	if err != nil {
		return fmt.Errorf("set up the %s status reporter: %w", r.Kind.GroupKind.Kind, err)
	}
	return nil
}

// Reconcile gets the CR, reads its workloads, and writes what they
// say, when that changed.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cr := object(r.GVK)
	if err := r.Client.Get(ctx, req.NamespacedName, cr); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if cr.GetDeletionTimestamp() != nil || !r.Selector.Matches(labels.Set(cr.GetLabels())) {
		return reconcile.Result{}, nil // going away, or not the operator's to serve
	}
	children, err := r.children(ctx, cr)
	if err != nil {
		return reconcile.Result{}, err
	}
	next, err := r.report(cr, children)
	if err != nil {
		return reconcile.Result{}, err
	}
	if status.Equal(statusOf(cr), next) {
		return reconcile.Result{}, nil // the cache agrees: nothing to write
	}
	return reconcile.Result{}, r.writeStatus(ctx, cr, children)
}

// report is cr's status with the reporter's part computed from children.
func (r *Reconciler) report(cr *unstructured.Unstructured, children Children) (map[string]any, error) {
	spec, _ := cr.Object["spec"].(map[string]any)
	expected, err := r.Kind.Expected(spec)
	if err != nil {
		return nil, reconcile.TerminalError(fmt.Errorf("%s %s: %w", r.GVK.Kind, klog.KObj(cr), err))
	}
	prev := statusOf(cr)
	rep := Compute(Observation{Generation: cr.GetGeneration(), Expected: expected, Status: prev,
		RunsReported: r.RunsReported, Children: children})
	if r.Kind.Keys != nil {
		rep.Keys = r.Kind.Keys(rep.Components)
	}
	return Apply(prev, rep, r.now()), nil
}

// writeStatus recomputes the status against a live read of the CR and
// writes it with a merge patch that carries the resourceVersion, retried on
// conflict, so that what the engine writes meanwhile is never lost.
func (r *Reconciler) writeStatus(ctx context.Context, cached *unstructured.Unstructured, children Children) error {
	log := ctrl.LoggerFrom(ctx)
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		live := object(r.GVK)
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cached), live); err != nil {
			return err
		}
		prev := statusOf(live)
		next, err := r.report(live, children)
		if err != nil || status.Equal(prev, next) {
			return err
		}
		orig := live.DeepCopy()
		if err := unstructured.SetNestedMap(live.Object, next, "status"); err != nil {
			return err
		}
		if err := r.Client.Status().Patch(ctx, live, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		logChange(log, r.GVK.Kind, prev, next)
		return nil
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update the status of %s %s: %w", r.GVK.Kind, klog.KObj(cached), err)
	}
	return nil
}

// children lists the children cr controls that carry LabelComponent, of
// the kinds the reporter watches.
func (r *Reconciler) children(ctx context.Context, cr *unstructured.Unstructured) (Children, error) {
	var ch Children
	var err error
	if r.owns[DeploymentGVK] {
		err = listOwned(ctx, r.Client, cr, DeploymentGVK, &ch.Deployments)
	}
	if err == nil && r.owns[StatefulSetGVK] {
		err = listOwned(ctx, r.Client, cr, StatefulSetGVK, &ch.StatefulSets)
	}
	if err == nil && r.owns[JobGVK] {
		err = listOwned(ctx, r.Client, cr, JobGVK, &ch.Jobs)
	}
	if err == nil && r.owns[SmartProxyGVK] {
		err = listOwned(ctx, r.Client, cr, SmartProxyGVK, &ch.SmartProxies)
	}
	return ch, err
}

// listOwned lists objects of kind gvk in cr's namespace, from the cache as
// unstructured objects, keeps those cr controls and converts them to T.
func listOwned[T any](ctx context.Context, c client.Reader, cr client.Object, gvk schema.GroupVersionKind, into *[]T) error {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := c.List(ctx, list, client.InNamespace(cr.GetNamespace()), client.HasLabels{LabelComponent}); err != nil {
		return fmt.Errorf("list the %ss of %s: %w", gvk.Kind, klog.KObj(cr), err)
	}
	for i := range list.Items {
		u := &list.Items[i]
		if ref := metav1.GetControllerOfNoCopy(u); ref == nil || ref.UID != cr.GetUID() {
			continue
		}
		var obj T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &obj); err != nil {
			return fmt.Errorf("read %s %s: %w", gvk.Kind, klog.KObj(u), err)
		}
		*into = append(*into, obj)
	}
	return nil
}

// logChange logs a change of the Ready condition's status or reason, and
// any other change at V(1).
func logChange(log logr.Logger, kind string, prev, next map[string]any) {
	was, is := readyOf(prev), readyOf(next)
	if is == nil {
		return
	}
	if was == nil || was.Status != is.Status || was.Reason != is.Reason {
		log.Info(kind+" status changed", "ready", is.Status, "reason", is.Reason, "message", is.Message)
		return
	}
	log.V(1).Info("Updated "+kind+" status", "ready", is.Status, "reason", is.Reason, "message", is.Message)
}

func readyOf(s map[string]any) *v1alpha1.Condition {
	return find(Conditions(s), TypeReady)
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func object(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

func statusOf(u *unstructured.Unstructured) map[string]any {
	s, _, _ := unstructured.NestedMap(u.Object, "status")
	return s
}

// conflictBackoff retries a status write that lost a race with another
// writer (the engine and the Foreman status reporter share .status): up to
// 12 tries over about 5 s, where client-go's DefaultBackoff gives up after
// 4 tries in 40 ms, which a loaded machine exhausts.
var conflictBackoff = wait.Backoff{Steps: 12, Duration: 10 * time.Millisecond, Factor: 1.7, Jitter: 0.5, Cap: 2 * time.Second}
