package foremanstatus

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// LabelComponent marks a workload with the component it runs.
const LabelComponent = "app.kubernetes.io/component"

// The components, values of LabelComponent.
const (
	ComponentPostgreSQL              = "postgresql"
	ComponentRedis                   = "redis"
	ComponentMigration               = "migration"
	ComponentWeb                     = "web"
	ComponentDynflowOrchestrator     = "dynflow-orchestrator"
	ComponentDynflowWorker           = "dynflow-worker"
	ComponentDynflowWorkerHostsQueue = "dynflow-worker-hosts-queue"
	ComponentSmartProxy              = "smart-proxy"

	// Katello's.
	ComponentDatabases         = "databases"
	ComponentCandlepin         = "candlepin"
	ComponentCandlepinDatabase = "candlepin-database"
	ComponentPulpMigration     = "pulp-migration"
	ComponentPulpAdmin         = "pulp-admin"
	ComponentPulpAPI           = "pulp-api"
	ComponentPulpContent       = "pulp-content"
	ComponentPulpWorker        = "pulp-worker"
	ComponentPulp              = "pulp"
	ComponentPulpDatabase      = "pulp-database"
	ComponentKatelloEvents     = "katello-events"
	ComponentPulpRegistration  = "pulp-registration"
)

// The results of an external check, as the role publishes them.
const (
	CheckReachable   = "Reachable"
	CheckUnreachable = "Unreachable"
)

// Kinds and locations of a component.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindJob         = "Job"
	KindSmartProxy  = "SmartProxy"
	KindExternal    = "External"

	LocationCluster  = "cluster"
	LocationExternal = "external"
)

// modeExternal is the spec's database.mode and redis.mode for a service the
// operator does not run.
const modeExternal = "external"

// Expected is a component the spec asks for.
type Expected struct {
	Name string
	Kind string // KindDeployment, KindStatefulSet, KindJob, KindSmartProxy or KindExternal
	// Replicas is the number of ready pods the spec asks for; 0 for a Job
	// or an External component.
	Replicas int32
}

// ExpectedComponents returns the components spec asks for, in the order
// they come up: the services, the migrations, then the workloads that need
// them, and the Smart Proxy of remote execution. Unset fields mean what the
// CRD's defaults say.
func ExpectedComponents(spec v1alpha1.ForemanSpec) []Expected {
	out := []Expected{
		service(ComponentPostgreSQL, KindStatefulSet, spec.Database.Mode, 1),
		service(ComponentRedis, KindDeployment, spec.Redis.Mode, 1),
	}
	if katello(spec.Plugins) {
		out = append(out, katelloBackends(spec)...)
	}
	out = append(out,
		Expected{Name: ComponentMigration, Kind: KindJob},
		Expected{Name: ComponentWeb, Kind: KindDeployment, Replicas: orDefault(spec.Web.Replicas, 1)},
		Expected{Name: ComponentDynflowOrchestrator, Kind: KindDeployment, Replicas: 1},
		Expected{Name: ComponentDynflowWorker, Kind: KindDeployment, Replicas: orDefault(spec.DynflowWorkers, 1)},
	)
	if katello(spec.Plugins) {
		out = append(out, Expected{Name: ComponentDynflowWorkerHostsQueue, Kind: KindDeployment, Replicas: 1},
			Expected{Name: ComponentKatelloEvents, Kind: KindDeployment, Replicas: 1})
		out = append(out, pulpWorkloads(spec)...)
	}
	if remoteExecution(spec.Plugins) && (spec.SmartProxy == nil || !spec.SmartProxy.External) {
		out = append(out, Expected{Name: ComponentSmartProxy, Kind: KindSmartProxy})
	}
	return out
}

// katelloBackends are what Foreman's migration needs with Katello: the
// databases of Candlepin and Pulp on the managed PostgreSQL, Candlepin and
// its database, and Pulp's database, migration and admin.
func katelloBackends(spec v1alpha1.ForemanSpec) []Expected {
	candlepin, pulp := spec.Candlepin, spec.Pulp
	if candlepin == nil {
		candlepin = &v1alpha1.CandlepinSpec{}
	}
	if pulp == nil {
		pulp = &v1alpha1.PulpSpec{}
	}
	candlepinOwnDB := candlepin.Mode != modeExternal && candlepin.Managed != nil && candlepin.Managed.Database != nil
	pulpOwnDB := pulp.Mode != modeExternal && pulp.Managed != nil && pulp.Managed.Database != nil
	var out []Expected
	if spec.Database.Mode != modeExternal &&
		((candlepin.Mode != modeExternal && !candlepinOwnDB) || (pulp.Mode != modeExternal && !pulpOwnDB)) {
		out = append(out, Expected{Name: ComponentDatabases, Kind: KindJob})
	}
	if candlepinOwnDB {
		out = append(out, Expected{Name: ComponentCandlepinDatabase, Kind: KindExternal})
	}
	var replicas *int32
	if candlepin.Managed != nil {
		replicas = candlepin.Managed.Replicas
	}
	out = append(out, service(ComponentCandlepin, KindDeployment, candlepin.Mode, orDefault(replicas, 1)))
	if pulpOwnDB {
		out = append(out, Expected{Name: ComponentPulpDatabase, Kind: KindExternal})
	}
	if pulp.Mode != modeExternal {
		out = append(out, Expected{Name: ComponentPulpMigration, Kind: KindJob}, Expected{Name: ComponentPulpAdmin, Kind: KindJob})
	}
	return out
}

// pulpWorkloads are Pulp's Deployments, or the external Pulp, and its
// registration as a Smart Proxy.
func pulpWorkloads(spec v1alpha1.ForemanSpec) []Expected {
	pulp := spec.Pulp
	if pulp == nil {
		pulp = &v1alpha1.PulpSpec{}
	}
	var out []Expected
	if pulp.Mode == modeExternal {
		out = append(out, Expected{Name: ComponentPulp, Kind: KindExternal})
	} else {
		m := pulp.Managed
		if m == nil {
			m = &v1alpha1.ManagedPulp{}
		}
		out = append(out,
			Expected{Name: ComponentPulpAPI, Kind: KindDeployment, Replicas: orDefault(m.API.Replicas, 1)},
			Expected{Name: ComponentPulpContent, Kind: KindDeployment, Replicas: orDefault(m.Content.Replicas, 1)},
			Expected{Name: ComponentPulpWorker, Kind: KindDeployment, Replicas: orDefault(m.Worker.Replicas, 2)})
	}
	return append(out, Expected{Name: ComponentPulpRegistration, Kind: KindJob})
}

func service(name, kind, mode string, replicas int32) Expected {
	if mode == modeExternal {
		return Expected{Name: name, Kind: KindExternal}
	}
	return Expected{Name: name, Kind: kind, Replicas: replicas}
}

func orDefault(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// katello reports whether Katello is on: asked for, or needed by rh_cloud
// (the CRD refuses rh_cloud with katello set to false).
func katello(plugins map[string]bool) bool {
	return plugins["katello"] || plugins["rh_cloud"]
}

// remoteExecution reports whether remote execution is on: asked for, or
// needed by ansible, openscap or rh_cloud (the CRD refuses it set to false
// beside them).
func remoteExecution(plugins map[string]bool) bool {
	return plugins["remote_execution"] || plugins["ansible"] || plugins["openscap"] || plugins["rh_cloud"]
}

// Children are the workloads a CR controls that carry LabelComponent.
type Children struct {
	Deployments  []appsv1.Deployment
	StatefulSets []appsv1.StatefulSet
	Jobs         []batchv1.Job
	SmartProxies []v1alpha1.SmartProxy
}

// Observed is one component as found. Failed is set when its workload
// failed in a way that needs someone to act (Degraded), as opposed to one
// that is still coming up (Progressing).
type Observed struct {
	v1alpha1.ComponentStatus
	Failed bool
}

// Observe matches each expected component with its workload in children,
// the newest one when there are several, and says whether it is ready. An
// external component is ready while the operator's last check found it
// Reachable (checks, by component name).
func Observe(expected []Expected, children Children, checks map[string]v1alpha1.ExternalCheck) []Observed {
	out := make([]Observed, 0, len(expected))
	for _, e := range expected {
		c := Observed{ComponentStatus: v1alpha1.ComponentStatus{Name: e.Name, Kind: e.Kind, Location: LocationCluster}}
		switch e.Kind {
		case KindExternal:
			c.Location = LocationExternal
			observeExternal(&c, checks[e.Name])
		case KindDeployment:
			c.Replicas = e.Replicas
			observeDeployment(&c, newest(children.Deployments, e.Name))
		case KindStatefulSet:
			c.Replicas = e.Replicas
			observeStatefulSet(&c, newest(children.StatefulSets, e.Name))
		case KindJob:
			observeJob(&c, newest(children.Jobs, e.Name))
		case KindSmartProxy:
			observeSmartProxy(&c, newest(children.SmartProxies, e.Name))
		}
		out = append(out, c)
	}
	return out
}

// newest returns the most recently created object labelled component, the
// greater name breaking ties, or nil.
func newest[T any, P interface {
	*T
	metav1.Object
}](objs []T, component string) P {
	var best P
	for i := range objs {
		o := P(&objs[i])
		if o.GetLabels()[LabelComponent] != component {
			continue
		}
		if best == nil || newer(o, best) {
			best = o
		}
	}
	return best
}

func newer(a, b metav1.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return tb.Before(&ta)
	}
	return a.GetName() > b.GetName()
}

// observeExternal reads the operator's last check of a component outside
// the cluster: Reachable is ready, Unreachable failed (someone must act),
// and no check yet is not ready.
func observeExternal(c *Observed, check v1alpha1.ExternalCheck) {
	c.Endpoint = check.Endpoint
	switch check.Result {
	case CheckReachable:
		c.Ready = true
	case CheckUnreachable:
		c.Failed = true
		c.Message = fmt.Sprintf("%s does not answer: %s", check.Endpoint, check.Message)
	default:
		c.Message = "not checked yet: the operator checks it on its next run"
	}
}

// observeDeployment follows `kubectl rollout status`, and also wants as many
// available pods as the spec asks for: a Deployment not yet scaled by the
// role is not ready.
func observeDeployment(c *Observed, d *appsv1.Deployment) {
	if d == nil {
		if c.Replicas == 0 {
			c.Ready = true
			return
		}
		c.Message = "Deployment not found"
		return
	}
	s := d.Status
	c.ReadyReplicas = s.ReadyReplicas
	if cond := deploymentCondition(d, appsv1.DeploymentProgressing); cond != nil &&
		cond.Status == corev1.ConditionFalse && cond.Reason == "ProgressDeadlineExceeded" {
		c.Failed = true
		c.Message = fmt.Sprintf("Deployment %s exceeded its progress deadline: %s", d.Name, cond.Message)
		return
	}
	replicaFailure := deploymentCondition(d, appsv1.DeploymentReplicaFailure)
	want := orDefault(d.Spec.Replicas, 1)
	switch {
	case d.Generation > s.ObservedGeneration:
		c.Message = fmt.Sprintf("Deployment %s: waiting for the deployment controller to see generation %d", d.Name, d.Generation)
	case s.AvailableReplicas < c.Replicas && replicaFailure != nil && replicaFailure.Status == corev1.ConditionTrue:
		c.Failed = true
		c.Message = fmt.Sprintf("Deployment %s cannot create pods: %s: %s", d.Name, replicaFailure.Reason, replicaFailure.Message)
	case s.AvailableReplicas < c.Replicas:
		c.Message = fmt.Sprintf("%d of %d replicas ready", s.AvailableReplicas, c.Replicas)
	case s.UpdatedReplicas < want || s.Replicas > s.UpdatedReplicas || s.AvailableReplicas < s.UpdatedReplicas:
		c.Message = fmt.Sprintf("Deployment %s: rollout in progress, %d of %d replicas updated", d.Name, s.UpdatedReplicas, want)
	default:
		c.Ready = true
	}
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// observeStatefulSet follows `kubectl rollout status` for a StatefulSet.
func observeStatefulSet(c *Observed, s *appsv1.StatefulSet) {
	if s == nil {
		c.Message = "StatefulSet not found"
		return
	}
	st := s.Status
	c.ReadyReplicas = st.ReadyReplicas
	rolling := s.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		st.UpdateRevision != "" && st.CurrentRevision != st.UpdateRevision
	switch {
	case s.Generation > st.ObservedGeneration:
		c.Message = fmt.Sprintf("StatefulSet %s: waiting for the StatefulSet controller to see generation %d", s.Name, s.Generation)
	case st.ReadyReplicas < c.Replicas:
		c.Message = fmt.Sprintf("%d of %d replicas ready", st.ReadyReplicas, c.Replicas)
	case rolling:
		c.Message = fmt.Sprintf("StatefulSet %s: rollout in progress, %d of %d replicas updated", s.Name, st.UpdatedReplicas, orDefault(s.Spec.Replicas, 1))
	default:
		c.Ready = true
	}
}

// observeJob says a Job is ready once complete, failed once it failed or is
// about to (FailureTarget).
func observeJob(c *Observed, j *batchv1.Job) {
	if j == nil {
		c.Message = "Job not found"
		return
	}
	for _, cond := range j.Status.Conditions {
		if cond.Status != corev1.ConditionTrue {
			continue
		}
		switch cond.Type {
		case batchv1.JobComplete:
			c.Ready = true
			c.Message = ""
			return
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			c.Failed = true
			c.Message = fmt.Sprintf("Job %s failed: %s: %s", j.Name, cond.Reason, cond.Message)
			return
		case batchv1.JobSuspended:
			c.Message = fmt.Sprintf("Job %s is suspended", j.Name)
		}
	}
	if c.Message == "" {
		c.Message = fmt.Sprintf("Job %s has not completed", j.Name)
	}
}

// observeSmartProxy takes a child SmartProxy's own verdict: ready once its
// Ready condition is True for its current generation, failed while its
// Degraded condition is True.
func observeSmartProxy(c *Observed, p *v1alpha1.SmartProxy) {
	if p == nil {
		c.Message = "SmartProxy not found"
		return
	}
	ready, degraded := find(p.Status.Conditions, TypeReady), find(p.Status.Conditions, TypeDegraded)
	switch {
	case degraded != nil && degraded.Status == metav1.ConditionTrue:
		c.Failed = true
		c.Message = fmt.Sprintf("SmartProxy %s is degraded: %s", p.Name, degraded.Message)
	case ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == p.Generation:
		c.Ready = true
	case ready != nil && ready.Message != "":
		c.Message = fmt.Sprintf("SmartProxy %s: %s", p.Name, ready.Message)
	default:
		c.Message = fmt.Sprintf("SmartProxy %s: no status for generation %d yet", p.Name, p.Generation)
	}
}
