// Command foreman-operator runs the Foreman operator: one controller per
// watches.yaml entry, each running its Ansible role or playbook for the
// custom resources of its kind.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/theforeman/foreman-operator/pkg/artifacts"
	"github.com/theforeman/foreman-operator/pkg/capacity"
	"github.com/theforeman/foreman-operator/pkg/controller"
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
	"github.com/theforeman/foreman-operator/pkg/runner"
	"github.com/theforeman/foreman-operator/pkg/smartproxystatus"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

func main() {
	if err := run(ctrl.SetupSignalHandler(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "foreman-operator:", err)
		os.Exit(1)
	}
}

// run starts the operator and blocks until ctx is done or it fails.
func run(ctx context.Context, args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	log := zap.New(zap.UseFlagOptions(&o.zap))
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	if o.ansibleRolesPath != "" {
		_ = os.Setenv("ANSIBLE_ROLES_PATH", o.ansibleRolesPath)
	}
	if o.ansibleCollectionsPath != "" {
		_ = os.Setenv("ANSIBLE_COLLECTIONS_PATH", o.ansibleCollectionsPath)
	}

	ws, warnings, err := watches.Load(o.watchesFile, watches.Options{})
	for _, w := range warnings {
		log.Info("Warning in the watches file", "warning", w.String())
	}
	if err != nil {
		return fmt.Errorf("load the watches file: %w", err)
	}
	runnerDir, err := filepath.Abs(o.runnerDir)
	if err != nil {
		return fmt.Errorf("--runner-dir: %w", err)
	}

	cfg, err := restConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	runs := o.maxConcurrentReconciles
	if runs <= 0 {
		runs = capacity.Read("/sys/fs/cgroup").Runs()
	}
	mgr, err := ctrl.NewManager(cfg, managerOptions(o))
	if err != nil {
		return fmt.Errorf("create the manager: %w", err)
	}

	artifactsCap, err := fitArtifactsCap(runnerDir, o.maxArtifactsBytes, log)
	if err != nil {
		return err
	}
	r, err := runner.New(runner.Options{AnsiblePlaybook: o.ansiblePlaybook, ArtifactsCap: artifactsCap,
		ForkServer: o.forkServer, Log: log.WithName("runner")})
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()

	router := controller.NewRouter()
	access, err := newAccess(cfg, o, router, log.WithName("proxy"))
	if err != nil {
		return err
	}
	if err := mgr.Add(access); err != nil {
		return fmt.Errorf("add the API proxy: %w", err)
	}
	if err := controller.Setup(mgr, ws, controller.Config{
		Runner: r, Access: access, Router: router, Gate: controller.NewGate(runs),
		ReconcilePeriod: o.reconcilePeriod, Verbosity: o.ansibleVerbosity, MaxConcurrentReconciles: runs,
		RunTimeout: o.runTimeout, AnsibleArgs: o.ansibleArgs, RunnerDir: runnerDir,
	}); err != nil {
		return err
	}
	if err := foremanstatus.Setup(mgr, ws, foremanstatus.Foreman, smartproxystatus.Kind); err != nil {
		return err
	}
	if err := addProbes(mgr, r); err != nil {
		return err
	}
	log.Info("Starting the operator", "kinds", len(ws), "concurrentRuns", runs, "watchNamespaces", watchNamespaces())
	return mgr.Start(ctx)
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("no --kubeconfig or KUBECONFIG, and not in a cluster: %w", err)
	}
	return cfg, nil
}

func managerOptions(o *options) manager.Options {
	opts := manager.Options{
		HealthProbeBindAddress:        o.healthProbeBindAddress,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              o.leaderElectionID,
		LeaderElectionNamespace:       o.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.leaseDuration,
		RenewDeadline:                 &o.renewDeadline,
		GracefulShutdownTimeout:       &o.gracefulShutdownTimeout,
		Metrics: metricsserver.Options{
			BindAddress:   o.metricsBindAddress,
			SecureServing: o.metricsSecure,
		},
	}
	if o.metricsRequireRBAC {
		opts.Metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if !o.enableHTTP2 {
		opts.Metrics.TLSOpts = append(opts.Metrics.TLSOpts, disableHTTP2)
	}
	if ns := watchNamespaces(); len(ns) > 0 {
		opts.Cache.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range ns {
			opts.Cache.DefaultNamespaces[n] = cache.Config{}
		}
	}
	return opts
}

// fitArtifactsCap creates the runner dir and returns the artifacts cap for
// its volume: --max-artifacts-size, or half the volume when that is less.
func fitArtifactsCap(dir string, capBytes int64, log logr.Logger) (int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("--runner-dir: %w", err)
	}
	fitted, space, err := artifacts.FitCap(dir, capBytes)
	if err != nil {
		return 0, fmt.Errorf("--runner-dir: %w", err)
	}
	if fitted != capBytes {
		log.Info("Run artifacts are capped at half the runner dir's volume, below --max-artifacts-size",
			"cap", fitted, "volume", space.Total, "maxArtifactsSize", capBytes)
	}
	return fitted, nil
}

// apiCheckTimeout bounds the API server check behind /readyz.
const apiCheckTimeout = 2 * time.Second

// addProbes serves /healthz, and /readyz that is true only once the caches
// have synced and ansible-playbook has been found and runs, and only while
// the API server answers: an operator that cannot reach it cannot do its
// work, though it keeps running and reconnects by itself.
func addProbes(mgr manager.Manager, r *runner.Runner) error {
	apiReady, err := apiServerReady(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("add probes: %w", err)
	}
	var synced, ansible atomic.Bool
	err = errors.Join(
		mgr.Add(everyReplica(func(ctx context.Context) error {
			if mgr.GetCache().WaitForCacheSync(ctx) {
				synced.Store(true)
			}
			return nil
		})),
		mgr.Add(everyReplica(func(ctx context.Context) error {
			for {
				err := r.Check(ctx)
				if err == nil {
					ansible.Store(true)
					return nil
				}
				ctrl.Log.Error(err, "Ansible is not usable; not ready")
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(10 * time.Second):
				}
			}
		})),
		mgr.AddHealthzCheck("ping", healthz.Ping),
		mgr.AddReadyzCheck("caches", func(*http.Request) error { return readiness(synced.Load(), "caches have not synced") }),
		mgr.AddReadyzCheck("ansible", func(*http.Request) error { return readiness(ansible.Load(), "ansible-playbook has not run yet") }),
		mgr.AddReadyzCheck("apiserver", apiReady),
	)
	if err != nil {
		return fmt.Errorf("add probes: %w", err)
	}
	return nil
}

// apiServerReady returns a check that GETs the API server's /readyz with
// the operator's credentials.
func apiServerReady(cfg *rest.Config) (healthz.Checker, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	url := strings.TrimSuffix(cfg.Host, "/") + "/readyz"
	return func(in *http.Request) error {
		ctx, cancel := context.WithTimeout(in.Context(), apiCheckTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("the API server does not answer: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the API server is not ready: %s", resp.Status)
		}
		return nil
	}, nil
}

func readiness(ok bool, why string) error {
	if ok {
		return nil
	}
	return errors.New(why)
}

// everyReplica is a Runnable that runs on leaders and followers alike.
type everyReplica func(ctx context.Context) error

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }
func (everyReplica) NeedLeaderElection() bool          { return false }
