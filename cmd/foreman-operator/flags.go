package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// options are the command line, with upstream `ansible-operator run` names
// where upstream has the flag.
type options struct {
	watchesFile             string
	kubeconfig              string
	reconcilePeriod         time.Duration
	maxConcurrentReconciles int
	ansibleVerbosity        int
	ansibleArgs             string
	ansibleRolesPath        string
	ansibleCollectionsPath  string
	ansiblePlaybook         string
	forkServer              bool
	runTimeout              time.Duration
	runnerDir               string
	maxArtifactsSize        string
	maxArtifactsBytes       int64
	injectOwnerRef          bool
	proxyPort               int
	leaderElect             bool
	leaderElectionID        string
	leaderElectionNamespace string
	leaseDuration           time.Duration
	renewDeadline           time.Duration
	gracefulShutdownTimeout time.Duration
	metricsBindAddress      string
	metricsSecure           bool
	metricsRequireRBAC      bool
	healthProbeBindAddress  string
	enableHTTP2             bool
	zap                     zap.Options
}

func parseFlags(args []string) (*options, error) {
	o := &options{zap: zap.Options{Development: false}}
	fs := flag.NewFlagSet("foreman-operator", flag.ContinueOnError)
	fs.StringVar(&o.watchesFile, "watches-file", "./watches.yaml", "Path to the watches file")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Path to a kubeconfig; default $KUBECONFIG, then in-cluster")
	fs.DurationVar(&o.reconcilePeriod, "reconcile-period", 10*time.Hour, "Default period after which a CR is reconciled again; 0 turns periodic runs off")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 0, "Concurrent runs per kind, and in all; 0 sizes it from the cgroup's CPUs and memory (about 100 MB a run)")
	fs.IntVar(&o.ansibleVerbosity, "ansible-verbosity", 2, "Default Ansible verbosity, 0 to 7")
	fs.StringVar(&o.ansibleArgs, "ansible-args", "", "Extra ansible-playbook arguments for every run, e.g. '--tags x'")
	fs.StringVar(&o.ansibleRolesPath, "ansible-roles-path", "", "Sets ANSIBLE_ROLES_PATH (role lookup and Ansible itself)")
	fs.StringVar(&o.ansibleCollectionsPath, "ansible-collections-path", "", "Sets ANSIBLE_COLLECTIONS_PATH")
	fs.StringVar(&o.ansiblePlaybook, "ansible-playbook", "/usr/bin/ansible-playbook", "The ansible-playbook executable")
	fs.BoolVar(&o.forkServer, "ansible-fork-server", true,
		"Fork runs and their Python modules from a process with Ansible imported, instead of executing them; false executes each")
	fs.DurationVar(&o.runTimeout, "run-timeout", time.Hour, "A run still going after this long is stopped with its whole process group; 0 means never")
	fs.StringVar(&o.runnerDir, "runner-dir", "/tmp/ansible-operator/runner", "Root of the per-CR run directories and artifacts")
	fs.StringVar(&o.maxArtifactsSize, "max-artifacts-size", "1Gi", "Cap on the artifacts kept across all CRs; the oldest runs are pruned first")
	fs.BoolVar(&o.injectOwnerRef, "inject-owner-ref", true, "Make the CR own the objects its runs create")
	fs.IntVar(&o.proxyPort, "proxy-port", 8888, "Loopback port of the API proxy that runs use; 0 picks a free one")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader (Lease); only the leader runs roles")
	fs.StringVar(&o.leaderElectionID, "leader-election-id", "foreman-operator", "Name of the leader election Lease")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the Lease; default the pod's")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "Lease duration")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "Lease renew deadline")
	fs.DurationVar(&o.gracefulShutdownTimeout, "graceful-shutdown-timeout", 30*time.Second, "How long runs get to finish on shutdown")
	fs.StringVar(&o.metricsBindAddress, "metrics-bind-address", ":8443", "Metrics address; 0 turns metrics off")
	fs.BoolVar(&o.metricsSecure, "metrics-secure", false, "Serve metrics over HTTPS")
	fs.BoolVar(&o.metricsRequireRBAC, "metrics-require-rbac", false, "Authenticate and authorize metrics requests (needs --metrics-secure)")
	fs.StringVar(&o.healthProbeBindAddress, "health-probe-bind-address", ":6789", "Address of /healthz and /readyz")
	fs.BoolVar(&o.enableHTTP2, "enable-http2", false, "Allow HTTP/2 on the metrics server")
	o.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	q, err := resource.ParseQuantity(o.maxArtifactsSize)
	if err != nil || q.Sign() < 0 {
		return nil, fmt.Errorf("--max-artifacts-size %q: not a size such as 512Mi", o.maxArtifactsSize)
	}
	o.maxArtifactsBytes = q.Value()
	if o.ansibleVerbosity < 0 || o.ansibleVerbosity > 7 {
		return nil, fmt.Errorf("--ansible-verbosity %d: not from 0 to 7", o.ansibleVerbosity)
	}
	if o.metricsRequireRBAC && !o.metricsSecure {
		return nil, fmt.Errorf("--metrics-require-rbac needs --metrics-secure")
	}
	if o.kubeconfig == "" {
		o.kubeconfig = os.Getenv("KUBECONFIG")
	}
	return o, nil
}

// watchNamespaces reads WATCH_NAMESPACE: empty for all, or a comma list.
func watchNamespaces() []string {
	var ns []string
	for _, n := range strings.Split(os.Getenv("WATCH_NAMESPACE"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			ns = append(ns, n)
		}
	}
	return ns
}

func disableHTTP2(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }
