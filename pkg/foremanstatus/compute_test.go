package foremanstatus

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

func TestExpectedComponents(t *testing.T) {
	cluster := func(name, kind string, replicas int32) Expected {
		return Expected{Name: name, Kind: kind, Replicas: replicas}
	}
	base := []Expected{
		cluster("postgresql", "StatefulSet", 1),
		cluster("redis", "Deployment", 1),
		cluster("migration", "Job", 0),
		cluster("web", "Deployment", 1),
		cluster("dynflow-orchestrator", "Deployment", 1),
		cluster("dynflow-worker", "Deployment", 1),
	}
	with := func(list []Expected, i int, e Expected) []Expected {
		out := append([]Expected(nil), list...)
		out[i] = e
		return out
	}
	tests := map[string]struct {
		spec v1alpha1.ForemanSpec
		want []Expected
	}{
		"An empty spec asks for a managed PostgreSQL and Redis, the migration, web, the orchestrator and one worker": {
			want: base,
		},
		"An external database is an External component": {
			spec: v1alpha1.ForemanSpec{Database: v1alpha1.DatabaseSpec{Mode: "external"}},
			want: with(base, 0, Expected{Name: "postgresql", Kind: "External"}),
		},
		"An external Redis is an External component": {
			spec: v1alpha1.ForemanSpec{Redis: v1alpha1.RedisSpec{Mode: "external"}},
			want: with(base, 1, Expected{Name: "redis", Kind: "External"}),
		},
		"A managed mode written out is the default": {
			spec: v1alpha1.ForemanSpec{Database: v1alpha1.DatabaseSpec{Mode: "managed"}, Redis: v1alpha1.RedisSpec{Mode: "managed"}},
			want: base,
		},
		"dynflow_workers sets the worker's replicas": {
			spec: v1alpha1.ForemanSpec{DynflowWorkers: ptr.To[int32](3)},
			want: with(base, 5, cluster("dynflow-worker", "Deployment", 3)),
		},
		"dynflow_workers 0 still lists the worker, with no replicas": {
			spec: v1alpha1.ForemanSpec{DynflowWorkers: ptr.To[int32](0)},
			want: with(base, 5, cluster("dynflow-worker", "Deployment", 0)),
		},
		"web.replicas sets web's replicas": {
			spec: v1alpha1.ForemanSpec{Web: v1alpha1.ComponentSpec{Replicas: ptr.To[int32](2)}},
			want: with(base, 3, cluster("web", "Deployment", 2)),
		},
		"Katello adds its databases, Candlepin and Pulp's migration before Foreman's, and its workloads after": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true}},
			want: katelloAllInOne,
		},
		"rh_cloud needs Katello and Ansible, so it adds Katello's components and the Smart Proxy": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"rh_cloud": true}},
			want: append(katelloAllInOne, Expected{Name: "smart-proxy", Kind: "SmartProxy"}),
		},
		"Pulp's replicas come from the spec, defaults where it has none": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true}, Pulp: &v1alpha1.PulpSpec{Managed: &v1alpha1.ManagedPulp{
				API: v1alpha1.ComponentSpec{Replicas: ptr.To[int32](3)}, Worker: v1alpha1.ComponentSpec{Replicas: ptr.To[int32](4)}}}},
			want: with(with(katelloAllInOne, 12, cluster("pulp-api", "Deployment", 3)), 14, cluster("pulp-worker", "Deployment", 4)),
		},
		"External PostgreSQL and Candlepin, Pulp managed on its own database: no databases Job, three External components": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true},
				Database:  v1alpha1.DatabaseSpec{Mode: "external"},
				Candlepin: &v1alpha1.CandlepinSpec{Mode: "external"},
				Pulp:      &v1alpha1.PulpSpec{Mode: "managed", Managed: &v1alpha1.ManagedPulp{Database: &v1alpha1.ServiceDatabase{}}}},
			want: []Expected{
				{Name: "postgresql", Kind: "External"}, cluster("redis", "Deployment", 1),
				{Name: "candlepin", Kind: "External"}, {Name: "pulp-database", Kind: "External"}, cluster("pulp-migration", "Job", 0),
				cluster("pulp-admin", "Job", 0), cluster("migration", "Job", 0), cluster("web", "Deployment", 1), cluster("dynflow-orchestrator", "Deployment", 1),
				cluster("dynflow-worker", "Deployment", 1), cluster("dynflow-worker-hosts-queue", "Deployment", 1),
				cluster("katello-events", "Deployment", 1), cluster("pulp-api", "Deployment", 1), cluster("pulp-content", "Deployment", 1),
				cluster("pulp-worker", "Deployment", 2), cluster("pulp-registration", "Job", 0),
			},
		},
		"An external Pulp is one External component, still registered; Candlepin on its own database": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true},
				Candlepin: &v1alpha1.CandlepinSpec{Managed: &v1alpha1.ManagedCandlepin{Database: &v1alpha1.ServiceDatabase{}}},
				Pulp:      &v1alpha1.PulpSpec{Mode: "external"}},
			want: []Expected{
				cluster("postgresql", "StatefulSet", 1), cluster("redis", "Deployment", 1),
				{Name: "candlepin-database", Kind: "External"}, cluster("candlepin", "Deployment", 1),
				cluster("migration", "Job", 0), cluster("web", "Deployment", 1), cluster("dynflow-orchestrator", "Deployment", 1),
				cluster("dynflow-worker", "Deployment", 1), cluster("dynflow-worker-hosts-queue", "Deployment", 1),
				cluster("katello-events", "Deployment", 1), {Name: "pulp", Kind: "External"}, cluster("pulp-registration", "Job", 0),
			},
		},
		"Katello turned off adds no hosts-queue worker": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": false, "webhooks": true}},
			want: base,
		},
		"Remote execution adds its Smart Proxy": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"remote_execution": true}},
			want: append(base, Expected{Name: "smart-proxy", Kind: "SmartProxy"}),
		},
		"Ansible needs remote execution, so it adds the Smart Proxy too": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"ansible": true}},
			want: append(base, Expected{Name: "smart-proxy", Kind: "SmartProxy"}),
		},
		"An external Smart Proxy is not the Foreman's component": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"remote_execution": true},
				SmartProxy: &v1alpha1.ForemanSmartProxy{External: true}},
			want: base,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ExpectedComponents(tt.spec)); diff != "" {
				t.Errorf("ExpectedComponents (-want +got):\n%s", diff)
			}
		})
	}
}

// katelloAllInOne is Katello with every service managed: the design's
// example CR asks for these and the Smart Proxy of remote execution.
var katelloAllInOne = []Expected{
	{Name: "postgresql", Kind: "StatefulSet", Replicas: 1},
	{Name: "redis", Kind: "Deployment", Replicas: 1},
	{Name: "databases", Kind: "Job"},
	{Name: "candlepin", Kind: "Deployment", Replicas: 1},
	{Name: "pulp-migration", Kind: "Job"},
	{Name: "pulp-admin", Kind: "Job"},
	{Name: "migration", Kind: "Job"},
	{Name: "web", Kind: "Deployment", Replicas: 1},
	{Name: "dynflow-orchestrator", Kind: "Deployment", Replicas: 1},
	{Name: "dynflow-worker", Kind: "Deployment", Replicas: 1},
	{Name: "dynflow-worker-hosts-queue", Kind: "Deployment", Replicas: 1},
	{Name: "katello-events", Kind: "Deployment", Replicas: 1},
	{Name: "pulp-api", Kind: "Deployment", Replicas: 1},
	{Name: "pulp-content", Kind: "Deployment", Replicas: 1},
	{Name: "pulp-worker", Kind: "Deployment", Replicas: 2},
	{Name: "pulp-registration", Kind: "Job"},
}

// Fixtures: workloads in the state their controllers leave them in.

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func meta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Generation: 1, CreationTimestamp: metav1.NewTime(t0),
		Labels: map[string]string{LabelComponent: component}}
}

// deployment is a rolled-out Deployment of the component with ready pods;
// mods change it.
func deployment(component string, ready int32, mods ...func(*appsv1.Deployment)) appsv1.Deployment {
	d := appsv1.Deployment{
		ObjectMeta: meta("foreman-"+component, component),
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(ready)},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: ready, UpdatedReplicas: ready,
			ReadyReplicas: ready, AvailableReplicas: ready},
	}
	for _, m := range mods {
		m(&d)
	}
	return d
}

func statefulSet(component string, ready int32, mods ...func(*appsv1.StatefulSet)) appsv1.StatefulSet {
	s := appsv1.StatefulSet{
		ObjectMeta: meta("foreman-"+component, component),
		Spec:       appsv1.StatefulSetSpec{Replicas: ptr.To(ready)},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: ready, ReadyReplicas: ready,
			UpdatedReplicas: ready, CurrentRevision: "r1", UpdateRevision: "r1"},
	}
	for _, m := range mods {
		m(&s)
	}
	return s
}

func job(name string, conditions ...batchv1.JobConditionType) batchv1.Job {
	j := batchv1.Job{ObjectMeta: meta(name, ComponentMigration)}
	for _, c := range conditions {
		jc := batchv1.JobCondition{Type: c, Status: corev1.ConditionTrue,
			Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}
		if c == batchv1.JobComplete {
			jc.Reason, jc.Message = "CompletionsReached", "Reached expected number of succeeded pods"
		}
		j.Status.Conditions = append(j.Status.Conditions, jc)
	}
	return j
}

func createdAt(t time.Time) func(*batchv1.Job) {
	return func(j *batchv1.Job) { j.CreationTimestamp = metav1.NewTime(t) }
}

// ready is every default component ready, with workers worker pods.
func ready(workers int32) Children {
	return Children{
		StatefulSets: []appsv1.StatefulSet{statefulSet("postgresql", 1)},
		Deployments: []appsv1.Deployment{
			deployment("redis", 1), deployment("web", 1), deployment("dynflow-orchestrator", 1),
			deployment("dynflow-worker", workers),
		},
		Jobs: []batchv1.Job{job("foreman-migrate-1", batchv1.JobComplete)},
	}
}

// replace returns ch with the Deployment of d's component replaced by d.
func (ch Children) replace(d appsv1.Deployment) Children {
	out := ch
	out.Deployments = nil
	for _, e := range ch.Deployments {
		if e.Labels[LabelComponent] != d.Labels[LabelComponent] {
			out.Deployments = append(out.Deployments, e)
		}
	}
	out.Deployments = append(out.Deployments, d)
	return out
}

// engine is a status with the engine's conditions as it writes them.
func engine(conditions ...map[string]any) map[string]any {
	list := make([]any, 0, len(conditions))
	for _, c := range conditions {
		list = append(list, c)
	}
	return map[string]any{"conditions": list, "version": "3.16", "observedGeneration": int64(2)}
}

func cond(typ, status, reason string, generation int64) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": "",
		"lastTransitionTime": t0.Format(time.RFC3339), "observedGeneration": generation}
}

// withChecks adds the role's external checks to a status.
func withChecks(status map[string]any, checks ...any) map[string]any {
	status["external_checks"] = checks
	return status
}

func check(name, endpoint, result, message string) map[string]any {
	return map[string]any{"name": name, "endpoint": endpoint, "result": result, "message": message}
}

// succeeded is what the engine leaves after a successful run of generation.
func succeeded(generation int64) map[string]any {
	return engine(cond("Running", "False", "Successful", generation), cond("Successful", "True", "Successful", generation),
		cond("Failure", "False", "Successful", generation))
}

func TestCompute(t *testing.T) {
	workers2 := v1alpha1.ForemanSpec{DynflowWorkers: ptr.To[int32](2)}
	failedRun := engine(cond("Running", "False", "Failed", 2), cond("Successful", "False", "Failed", 2),
		cond("Failure", "True", "Failed", 2))
	failedRun["conditions"].([]any)[2].(map[string]any)["message"] = `Task "web | Deploy Foreman web" (web.yml:3) failed: boom`
	running := engine(cond("Running", "True", "Running", 2), cond("Successful", "False", "Reconciling", 2),
		cond("Failure", "False", "Successful", 1))
	oldGeneration := succeeded(1)

	tests := map[string]struct {
		spec         v1alpha1.ForemanSpec
		status       map[string]any
		children     Children
		manualStatus bool // watches.yaml manageStatus: false
		want         Verdict
		// component is the name of a component whose status is checked.
		component string
		wantComp  v1alpha1.ComponentStatus
	}{
		"Every component ready and the run succeeded for this generation: Ready": {
			spec: workers2, status: succeeded(2), children: ready(2),
			want:      Verdict{StateReady, ReasonAllComponentsReady, "All 6 components are ready; generation 2 is reconciled"},
			component: "dynflow-worker",
			wantComp:  v1alpha1.ComponentStatus{Name: "dynflow-worker", Kind: "Deployment", Location: "cluster", Ready: true, Replicas: 2, ReadyReplicas: 2},
		},
		"A worker short of replicas: Progressing, naming it": {
			spec: workers2, status: succeeded(2), children: ready(1),
			want:      Verdict{StateProgressing, ReasonAwaitingComponents, "dynflow-worker: 1 of 2 replicas ready"},
			component: "dynflow-worker",
			wantComp: v1alpha1.ComponentStatus{Name: "dynflow-worker", Kind: "Deployment", Location: "cluster", Replicas: 2, ReadyReplicas: 1,
				Message: "1 of 2 replicas ready"},
		},
		"A failed migration Job: Degraded, naming it": {
			status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				ch.Jobs = []batchv1.Job{job("foreman-migrate-1", batchv1.JobFailureTarget, batchv1.JobFailed)}
				return ch
			}(),
			want: Verdict{StateDegraded, ReasonComponentFailed,
				"migration: Job foreman-migrate-1 failed: BackoffLimitExceeded: Job has reached the specified backoff limit"},
			component: "migration",
			wantComp: v1alpha1.ComponentStatus{Name: "migration", Kind: "Job", Location: "cluster",
				Message: "Job foreman-migrate-1 failed: BackoffLimitExceeded: Job has reached the specified backoff limit"},
		},
		"The engine's Failure: Degraded, though every component is ready": {
			status: failedRun, children: ready(1),
			want: Verdict{StateDegraded, ReasonAnsibleRunFailed,
				`The Ansible run of generation 2 failed (Failed): Task "web | Deploy Foreman web" (web.yml:3) failed: boom`},
		},
		"The engine's Failure comes before a failed component": {
			status: failedRun,
			children: func() Children {
				ch := ready(1)
				ch.Jobs = []batchv1.Job{job("foreman-migrate-1", batchv1.JobFailed)}
				return ch
			}(),
			want: Verdict{StateDegraded, ReasonAnsibleRunFailed,
				`The Ansible run of generation 2 failed (Failed): Task "web | Deploy Foreman web" (web.yml:3) failed: boom`},
		},
		"Successful for an older generation: not Ready, waiting for the run": {
			status: oldGeneration, children: ready(1),
			want: Verdict{StateProgressing, ReasonAwaitingAnsibleRun, "Waiting for an Ansible run of generation 2"},
		},
		"A run of this generation in progress: Progressing, saying so": {
			status: running, children: ready(1),
			want: Verdict{StateProgressing, ReasonAwaitingAnsibleRun, "The Ansible run of generation 2 is in progress"},
		},
		"No run yet: waiting for one": {
			children: ready(1),
			want:     Verdict{StateProgressing, ReasonAwaitingAnsibleRun, "Waiting for an Ansible run of generation 2"},
		},
		"Without manageStatus, Ready does not wait for a run": {
			children: ready(1), manualStatus: true,
			want: Verdict{StateReady, ReasonAllComponentsReady, "All 6 components are ready; generation 2 is reconciled"},
		},
		"No workloads yet: every missing one is named, in order": {
			status: succeeded(2),
			want: Verdict{StateProgressing, ReasonAwaitingComponents, "postgresql: StatefulSet not found; redis: Deployment not found; " +
				"migration: Job not found; web: Deployment not found; dynflow-orchestrator: Deployment not found; " +
				"dynflow-worker: Deployment not found"},
		},
		"An external database that answered the operator's check is ready, and says where it is": {
			spec:   v1alpha1.ForemanSpec{Database: v1alpha1.DatabaseSpec{Mode: "external"}},
			status: withChecks(succeeded(2), check("postgresql", "db.example.com:5432", "Reachable", "PostgreSQL answered, without TLS")),
			children: func() Children {
				ch := ready(1)
				ch.StatefulSets = nil
				return ch
			}(),
			want:      Verdict{StateReady, ReasonAllComponentsReady, "All 6 components are ready; generation 2 is reconciled"},
			component: "postgresql",
			wantComp: v1alpha1.ComponentStatus{Name: "postgresql", Kind: "External", Location: "external", Endpoint: "db.example.com:5432",
				Ready: true},
		},
		"An external database not checked yet is not ready": {
			spec:   v1alpha1.ForemanSpec{Database: v1alpha1.DatabaseSpec{Mode: "external"}},
			status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				ch.StatefulSets = nil
				return ch
			}(),
			want: Verdict{StateProgressing, ReasonAwaitingComponents,
				"postgresql: not checked yet: the operator checks it on its next run"},
		},
		"An external Candlepin that does not answer: Degraded, naming it and why": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true}, Candlepin: &v1alpha1.CandlepinSpec{Mode: "external"}},
			status: withChecks(succeeded(2),
				check("candlepin", "https://old.example.com:23443/candlepin/status", "Unreachable", "connection refused")),
			children: ready(1),
			want: Verdict{StateDegraded, ReasonComponentFailed,
				"candlepin: https://old.example.com:23443/candlepin/status does not answer: connection refused"},
			component: "candlepin",
			wantComp: v1alpha1.ComponentStatus{Name: "candlepin", Kind: "External", Location: "external",
				Endpoint: "https://old.example.com:23443/candlepin/status",
				Message:  "https://old.example.com:23443/candlepin/status does not answer: connection refused"},
		},
		"Katello's components are waited for, in order": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true}}, status: succeeded(2), children: ready(1),
			want: Verdict{StateProgressing, ReasonAwaitingComponents, "databases: Job not found; candlepin: Deployment not found; " +
				"pulp-migration: Job not found; pulp-admin: Job not found; dynflow-worker-hosts-queue: Deployment not found; katello-events: Deployment not found; " +
				"pulp-api: Deployment not found; pulp-content: Deployment not found; pulp-worker: Deployment not found; " +
				"pulp-registration: Job not found"},
		},
		"Katello with every component up: Ready": {
			spec: v1alpha1.ForemanSpec{Plugins: map[string]bool{"katello": true}}, status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				for _, c := range []string{"candlepin", "dynflow-worker-hosts-queue", "katello-events", "pulp-api", "pulp-content"} {
					ch.Deployments = append(ch.Deployments, deployment(c, 1))
				}
				ch.Deployments = append(ch.Deployments, deployment("pulp-worker", 2))
				for _, c := range []string{"databases", "pulp-migration", "pulp-admin", "pulp-registration"} {
					j := job("foreman-"+c+"-1", batchv1.JobComplete)
					j.Labels[LabelComponent] = c
					ch.Jobs = append(ch.Jobs, j)
				}
				return ch
			}(),
			want:      Verdict{StateReady, ReasonAllComponentsReady, "All 16 components are ready; generation 2 is reconciled"},
			component: "pulp-worker",
			wantComp:  v1alpha1.ComponentStatus{Name: "pulp-worker", Kind: "Deployment", Location: "cluster", Ready: true, Replicas: 2, ReadyReplicas: 2},
		},
		"A Deployment past its progress deadline: Degraded": {
			status: succeeded(2),
			children: ready(1).replace(deployment("web", 1, func(d *appsv1.Deployment) {
				d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
					Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "foreman-web-5d8" has timed out progressing.`}}
			})),
			want: Verdict{StateDegraded, ReasonComponentFailed,
				`web: Deployment foreman-web exceeded its progress deadline: ReplicaSet "foreman-web-5d8" has timed out progressing.`},
		},
		"A Deployment that cannot create its pods: Degraded": {
			status: succeeded(2),
			children: ready(1).replace(deployment("web", 0, func(d *appsv1.Deployment) {
				d.Spec.Replicas = ptr.To[int32](1)
				d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue,
					Reason: "FailedCreate", Message: `pods "foreman-web-5d8-x" is forbidden: violates PodSecurity "restricted:latest"`}}
			})),
			want: Verdict{StateDegraded, ReasonComponentFailed,
				`web: Deployment foreman-web cannot create pods: FailedCreate: pods "foreman-web-5d8-x" is forbidden: violates PodSecurity "restricted:latest"`},
		},
		"A ReplicaFailure with enough pods available is no failure": {
			status: succeeded(2),
			children: ready(1).replace(deployment("web", 1, func(d *appsv1.Deployment) {
				d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue,
					Reason: "FailedCreate", Message: "exceeded quota"}}
			})),
			want: Verdict{StateReady, ReasonAllComponentsReady, "All 6 components are ready; generation 2 is reconciled"},
		},
		"A Deployment changed but not yet seen by its controller is not ready": {
			status:   succeeded(2),
			children: ready(1).replace(deployment("web", 1, func(d *appsv1.Deployment) { d.Generation = 2 })),
			want: Verdict{StateProgressing, ReasonAwaitingComponents,
				"web: Deployment foreman-web: waiting for the deployment controller to see generation 2"},
		},
		"A Deployment rolling out, old pods still there, is not ready": {
			status:   succeeded(2),
			children: ready(1).replace(deployment("web", 1, func(d *appsv1.Deployment) { d.Status.Replicas = 2 })),
			want: Verdict{StateProgressing, ReasonAwaitingComponents,
				"web: Deployment foreman-web: rollout in progress, 1 of 1 replicas updated"},
		},
		"A StatefulSet rolling out is not ready": {
			status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				ch.StatefulSets = []appsv1.StatefulSet{statefulSet("postgresql", 1, func(s *appsv1.StatefulSet) {
					s.Status.UpdateRevision, s.Status.UpdatedReplicas = "r2", 0
				})}
				return ch
			}(),
			want: Verdict{StateProgressing, ReasonAwaitingComponents,
				"postgresql: StatefulSet foreman-postgresql: rollout in progress, 0 of 1 replicas updated"},
		},
		"A migration Job still running is awaited": {
			status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				ch.Jobs = []batchv1.Job{job("foreman-migrate-2")}
				return ch
			}(),
			want: Verdict{StateProgressing, ReasonAwaitingComponents, "migration: Job foreman-migrate-2 has not completed"},
		},
		"The newest migration Job counts, not an older failed one": {
			status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				old := job("foreman-migrate-1", batchv1.JobFailed)
				current := job("foreman-migrate-2", batchv1.JobComplete)
				createdAt(t0.Add(time.Hour))(&current)
				ch.Jobs = []batchv1.Job{current, old}
				return ch
			}(),
			want: Verdict{StateReady, ReasonAllComponentsReady, "All 6 components are ready; generation 2 is reconciled"},
		},
		"No worker asked for and none there is ready": {
			spec: v1alpha1.ForemanSpec{DynflowWorkers: ptr.To[int32](0)}, status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				ch.Deployments = ch.Deployments[:3]
				return ch
			}(),
			want:      Verdict{StateReady, ReasonAllComponentsReady, "All 6 components are ready; generation 2 is reconciled"},
			component: "dynflow-worker",
			wantComp:  v1alpha1.ComponentStatus{Name: "dynflow-worker", Kind: "Deployment", Location: "cluster", Ready: true},
		},
		"A workload of another component is not mistaken for one expected": {
			status: succeeded(2),
			children: func() Children {
				ch := ready(1)
				ch.Deployments = append(ch.Deployments[:3], deployment("dynflow-worker-hosts-queue", 1))
				return ch
			}(),
			want: Verdict{StateProgressing, ReasonAwaitingComponents, "dynflow-worker: Deployment not found"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := Compute(Observation{Generation: 2, Expected: ExpectedComponents(tt.spec), Status: tt.status, RunsReported: !tt.manualStatus,
				Children: tt.children})
			if diff := cmp.Diff(tt.want, got.Verdict); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if got.Generation != 2 {
				t.Errorf("generation %d, want 2", got.Generation)
			}
			if tt.component == "" {
				return
			}
			for _, c := range got.Components {
				if c.Name == tt.component {
					if diff := cmp.Diff(tt.wantComp, c.ComponentStatus); diff != "" {
						t.Errorf("component %s (-want +got):\n%s", tt.component, diff)
					}
					return
				}
			}
			t.Errorf("no component %s in %+v", tt.component, got.Components)
		})
	}
}

func TestRunFailedBoundsTheEngineMessage(t *testing.T) {
	long := strings.Repeat("é", 2*maxRunMessage)
	v, failed := RunFailed(Input{Conditions: []v1alpha1.Condition{{Type: "Failure", Status: "True", Reason: "Failed", Message: long}}})
	if !failed {
		t.Fatal("RunFailed passed a True Failure")
	}
	if len(v.Message) > maxRunMessage+100 || !strings.HasSuffix(v.Message, "…") {
		t.Errorf("message of %d bytes, want at most about %d ending in …", len(v.Message), maxRunMessage)
	}
}

func TestObserveSmartProxy(t *testing.T) {
	proxy := func(generation int64, conds ...v1alpha1.Condition) v1alpha1.SmartProxy {
		p := v1alpha1.SmartProxy{ObjectMeta: meta("foreman-proxy", "smart-proxy")}
		p.Generation = generation
		p.Status.Conditions = conds
		return p
	}
	cond := func(typ, status string, generation int64, msg string) v1alpha1.Condition {
		return v1alpha1.Condition{Type: typ, Status: metav1.ConditionStatus(status), ObservedGeneration: generation, Message: msg}
	}
	tests := map[string]struct {
		proxies []v1alpha1.SmartProxy
		want    Observed
	}{
		"No SmartProxy yet": {
			want: Observed{ComponentStatus: v1alpha1.ComponentStatus{Message: "SmartProxy not found"}},
		},
		"A SmartProxy Ready for its generation is ready": {
			proxies: []v1alpha1.SmartProxy{proxy(2, cond("Ready", "True", 2, "All 2 components are ready"))},
			want:    Observed{ComponentStatus: v1alpha1.ComponentStatus{Ready: true}},
		},
		"A SmartProxy Ready for an older generation is not, and says why": {
			proxies: []v1alpha1.SmartProxy{proxy(3, cond("Ready", "True", 2, "All 2 components are ready"))},
			want: Observed{ComponentStatus: v1alpha1.ComponentStatus{
				Message: "SmartProxy foreman-proxy: All 2 components are ready"}},
		},
		"A SmartProxy on its way gives its own message": {
			proxies: []v1alpha1.SmartProxy{proxy(1, cond("Ready", "False", 1, "registration: Job foreman-proxy-register-1 has not completed"))},
			want: Observed{ComponentStatus: v1alpha1.ComponentStatus{
				Message: "SmartProxy foreman-proxy: registration: Job foreman-proxy-register-1 has not completed"}},
		},
		"A degraded SmartProxy fails the component": {
			proxies: []v1alpha1.SmartProxy{proxy(1, cond("Ready", "False", 1, "x"), cond("Degraded", "True", 1, "registration: Job r failed"))},
			want: Observed{Failed: true, ComponentStatus: v1alpha1.ComponentStatus{
				Message: "SmartProxy foreman-proxy is degraded: registration: Job r failed"}},
		},
		"A SmartProxy without a status waits for one": {
			proxies: []v1alpha1.SmartProxy{proxy(1)},
			want: Observed{ComponentStatus: v1alpha1.ComponentStatus{
				Message: "SmartProxy foreman-proxy: no status for generation 1 yet"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := Observe([]Expected{{Name: "smart-proxy", Kind: "SmartProxy"}}, Children{SmartProxies: tt.proxies}, nil)
			want := tt.want
			want.Name, want.Kind, want.Location = "smart-proxy", "SmartProxy", "cluster"
			if diff := cmp.Diff([]Observed{want}, got); diff != "" {
				t.Errorf("Observe (-want +got):\n%s", diff)
			}
		})
	}
}
