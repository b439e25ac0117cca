package controller

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Annotations that tie a child to its CR where an ownerReference cannot: a
// cluster-scoped child of a namespaced CR, or a child in another namespace.
// The names are upstream ansible-operator's.
const (
	AnnotationPrimaryResource     = "operator-sdk/primary-resource"
	AnnotationPrimaryResourceType = "operator-sdk/primary-resource-type"
)

// settle is how long a child's change waits before it is judged while a run
// of its CR is in progress: long enough for the proxy to report the write
// that caused it, when the run made it. With no run in progress every write
// has been reported, and the change is judged at once.
const settle = 250 * time.Millisecond

// inflight tracks the CRs of one kind whose run is in progress.
type inflight struct {
	mu sync.Mutex
	m  map[types.NamespacedName]int
}

// begin marks a run of cr as in progress and returns the function that ends it.
func (f *inflight) begin(cr types.NamespacedName) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[types.NamespacedName]int{}
	}
	f.m[cr]++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.m[cr]--; f.m[cr] <= 0 {
			delete(f.m, cr)
		}
	}
}

func (f *inflight) running(cr types.NamespacedName) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[cr] > 0
}

// Write is one write a run made through the proxy.
type Write struct {
	Owner                  schema.GroupVersionKind
	Child                  schema.GroupVersionKind
	Namespace, Name        string
	ResourceVersion        string
	Deleted, ClusterScoped bool
}

type objKey struct {
	gvk       schema.GroupVersionKind
	namespace string
	name      string
}

// deletedMark stands for "the operator deleted it" among resourceVersions.
const deletedMark = "\x00deleted"

// ownWrites remembers the resourceVersion each child had after the
// operator's last write, so that the informer events those writes cause are
// told apart from changes made by others.
type ownWrites struct {
	mu   sync.Mutex
	last map[objKey]string
}

func (o *ownWrites) record(k objKey, rv string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil {
		o.last = map[objKey]string{}
	}
	o.last[k] = rv
}

// ours reports whether the object's state rv is one the operator wrote.
func (o *ownWrites) ours(k objKey, rv string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last[k] == rv
}

func (o *ownWrites) forget(k objKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.last, k)
}

// Router takes the proxy's reports of the writes runs make and hands each to
// the controller of the CR's kind, which starts watching the child's kind.
type Router struct {
	writes ownWrites
	mu     sync.Mutex
	byKind map[schema.GroupVersionKind]*dependents
}

// NewRouter returns an empty Router; Setup registers each controller in it.
func NewRouter() *Router {
	return &Router{byKind: map[schema.GroupVersionKind]*dependents{}}
}

// Observe records a write made on behalf of a CR of kind w.Owner.
func (r *Router) Observe(w Write) {
	k := objKey{w.Child, w.Namespace, w.Name}
	if w.Deleted {
		r.writes.record(k, deletedMark)
	} else {
		r.writes.record(k, w.ResourceVersion)
	}
	r.mu.Lock()
	d := r.byKind[w.Owner]
	r.mu.Unlock()
	if d != nil {
		d.watch(w.Child, w.ClusterScoped)
	}
}

func (r *Router) register(d *dependents) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byKind[d.owner] = d
}

// dependents starts, once per child kind, the watch that maps a child's
// events to its CR.
type dependents struct {
	owner         schema.GroupVersionKind
	ctrl          controller.Controller
	cache         cache.Cache
	writes        *ownWrites
	blacklist     map[schema.GroupVersionKind]bool
	clusterScoped bool // watchClusterScopedResources
	runs          *inflight
	log           logr.Logger

	mu      sync.Mutex
	watched map[schema.GroupVersionKind]bool
}

func (d *dependents) watch(child schema.GroupVersionKind, clusterScoped bool) {
	if d.blacklist[child] || (clusterScoped && !d.clusterScoped) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.watched[child] {
		return
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(child)
	h := handler.TypedFuncs[*unstructured.Unstructured, reconcile.Request]{
		UpdateFunc: d.onUpdate,
		DeleteFunc: d.onDelete,
	}
	if err := d.ctrl.Watch(source.Kind(d.cache, obj, h)); err != nil {
		d.log.Error(err, "Cannot watch children", "childKind", child.String())
		return
	}
	d.watched[child] = true
	d.log.V(1).Info("Watching children", "childKind", child.String())
}

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

func (d *dependents) onUpdate(_ context.Context, e event.TypedUpdateEvent[*unstructured.Unstructured], q queue) {
	if !changedByDesign(e.ObjectOld, e.ObjectNew) {
		return
	}
	d.later(e.ObjectNew, e.ObjectNew.GetResourceVersion(), "Child changed", q)
}

func (d *dependents) onDelete(_ context.Context, e event.TypedDeleteEvent[*unstructured.Unstructured], q queue) {
	d.later(e.Object, deletedMark, "Child deleted", q)
}

// later enqueues the child's CRs, unless the operator's own write put the
// child in state rv; while one of them runs, after settle.
func (d *dependents) later(child *unstructured.Unstructured, rv, what string, q queue) {
	reqs := ownersOf(child, d.owner.GroupKind())
	if len(reqs) == 0 {
		return
	}
	k := objKey{child.GroupVersionKind(), child.GetNamespace(), child.GetName()}
	delay := time.Duration(0)
	for _, r := range reqs {
		if d.runs.running(r.NamespacedName) {
			delay = settle
		}
	}
	time.AfterFunc(delay, func() {
		if d.writes.ours(k, rv) {
			if rv == deletedMark {
				d.writes.forget(k)
			}
			return
		}
		for _, r := range reqs {
			d.log.Info(what+"; running the role again", "child", klog.KObj(child),
				"childKind", child.GetKind(), strings.ToLower(d.owner.Kind), klog.KRef(r.Namespace, r.Name))
			q.Add(r)
		}
	})
}

// ownersOf maps a child to the CRs of kind owner it belongs to, by
// ownerReference or by upstream's primary-resource annotations.
func ownersOf(child *unstructured.Unstructured, owner schema.GroupKind) []reconcile.Request {
	var reqs []reconcile.Request
	for _, ref := range child.GetOwnerReferences() {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err == nil && gv.Group == owner.Group && ref.Kind == owner.Kind {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: child.GetNamespace(), Name: ref.Name}})
		}
	}
	a := child.GetAnnotations()
	if a[AnnotationPrimaryResourceType] == owner.Kind+"."+owner.Group {
		ns, name, found := strings.Cut(a[AnnotationPrimaryResource], "/")
		if !found {
			ns, name = "", a[AnnotationPrimaryResource]
		}
		if name != "" {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
		}
	}
	return reqs
}

// changedByDesign reports whether a child's update changed what a role
// declares: anything but status and metadata, plus its labels and
// ownerReferences. Status updates and annotations other controllers add
// (deployment.kubernetes.io/revision, ...) are noise.
func changedByDesign(old, updated *unstructured.Unstructured) bool {
	return !equality.Semantic.DeepEqual(design(old), design(updated))
}

func design(u *unstructured.Unstructured) map[string]any {
	d := make(map[string]any, len(u.Object))
	for k, v := range u.Object {
		if k != "metadata" && k != "status" {
			d[k] = v
		}
	}
	d["labels"] = u.GetLabels()
	d["ownerReferences"] = u.GetOwnerReferences()
	return d
}
