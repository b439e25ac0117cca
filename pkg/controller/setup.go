package controller

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/theforeman/foreman-operator/pkg/runner"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

// Config is what every controller shares: the runner, the proxy's access,
// the run gate, and the flags.
type Config struct {
	Runner Runner
	Access Access
	Router *Router
	Gate   *Gate

	ReconcilePeriod         time.Duration
	Verbosity               int
	MaxConcurrentReconciles int
	RunTimeout              time.Duration
	AnsibleArgs             string
	RunnerDir               string
	// Getenv reads the per-kind overrides; nil means os.Getenv.
	Getenv func(string) string
}

// Failed runs are retried from 1 s, doubling, up to 5 minutes: a failing
// role is not re-run back to back.
const (
	retryBase = time.Second
	retryMax  = 5 * time.Minute
)

// Setup adds one controller per watch to mgr.
func Setup(mgr manager.Manager, ws []watches.Watch, cfg Config) error {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for i := range ws {
		w := ws[i]
		gvk := w.GroupVersionKind
		pred, err := primaryPredicate(&w)
		if err != nil {
			return err
		}
		runs := &inflight{}
		r := &Reconciler{
			runs:   runs,
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Watch: w,
			Runner: cfg.Runner, Access: cfg.Access, Gate: cfg.Gate,
			Recorder: mgr.GetEventRecorderFor("foreman-operator"),
			Log:      mgr.GetLogger().WithValues("controller", controllerName(gvk)),
			Period:   cfg.ReconcilePeriod, Verbosity: cfg.Verbosity,
			RunTimeout: cfg.RunTimeout, AnsibleArgs: cfg.AnsibleArgs, RunnerDir: cfg.RunnerDir,
		}
		if w.ReconcilePeriod != nil {
			r.Period = *w.ReconcilePeriod
		}
		if w.AnsibleVerbosity != nil {
			r.Verbosity = *w.AnsibleVerbosity
		}
		if v, ok := envInt(getenv, "ANSIBLE_VERBOSITY", gvk); ok && v >= 0 && v <= runner.MaxVerbosity {
			r.Verbosity = v
		}
		workers := cfg.MaxConcurrentReconciles
		if w.MaxConcurrentReconciles > 0 {
			workers = w.MaxConcurrentReconciles
		}
		if v, ok := envInt(getenv, "MAX_CONCURRENT_RECONCILES", gvk); ok && v > 0 {
			workers = v
		} else if v, ok := envInt(getenv, "WORKER", gvk); ok && v > 0 {
			workers = v
		}

		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(gvk)
		c, err := builder.ControllerManagedBy(mgr).
			Named(controllerName(gvk)).
			For(obj, builder.WithPredicates(pred)).
			WithOptions(controller.Options{
				MaxConcurrentReconciles: max(workers, 1),
				// Upstream's names (<kind>-<version>-controller) may repeat
				// across groups, and tests start several managers.
				SkipNameValidation: ptr.To(true),
				RateLimiter:        workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](retryBase, retryMax),
			}).
			Build(r)
		if err != nil {
			return fmt.Errorf("set up the controller of %s: %w", gvk, err)
		}
		if w.WatchDependentResources && cfg.Router != nil {
			blacklist := map[schema.GroupVersionKind]bool{}
			for _, b := range w.Blacklist {
				blacklist[b] = true
			}
			cfg.Router.register(&dependents{
				owner: gvk, ctrl: c, cache: mgr.GetCache(), writes: &cfg.Router.writes,
				blacklist: blacklist, clusterScoped: w.WatchClusterScopedResources, runs: runs,
				log: r.Log, watched: map[schema.GroupVersionKind]bool{},
			})
		}
		ctrl.Log.V(1).Info("Watching kind", "kind", gvk.String(), "workers", workers, "verbosity", r.Verbosity, "period", r.Period.String())
	}
	return nil
}

// controllerName is upstream's: <kind>-<version>-controller, lowercase.
func controllerName(gvk schema.GroupVersionKind) string {
	return strings.ToLower(gvk.Kind + "-" + gvk.Version + "-controller")
}

// envInt reads <PREFIX>_<KIND>_<GROUP>, upper-cased with dots as underscores.
func envInt(getenv func(string) string, prefix string, gvk schema.GroupVersionKind) (int, bool) {
	name := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(prefix + "_" + gvk.Kind + "_" + gvk.Group))
	v := getenv(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
