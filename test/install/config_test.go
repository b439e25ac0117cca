package install_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/theforeman/foreman-operator/internal/bundle"
	"github.com/theforeman/foreman-operator/internal/rbac"
	"github.com/theforeman/foreman-operator/pkg/capacity"
)

func convert[T any](t *testing.T, objs bundle.Objects, kind string) []T {
	t.Helper()
	var out []T
	for _, o := range objs.Kind(kind) {
		var v T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &v); err != nil {
			t.Fatalf("%s %s: %v", kind, o.GetName(), err)
		}
		out = append(out, v)
	}
	return out
}

// clusterScoped are the kinds a namespace admin cannot create.
var clusterScoped = []string{"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Namespace",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}

func TestTheDefaultConfigNeedsNothingClusterScoped(t *testing.T) {
	objs := render(t, "default")
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind())
		if slices.Contains(clusterScoped, o.GetKind()) {
			t.Errorf("config/default has a %s (%s): running in one namespace must need nothing cluster-scoped", o.GetKind(), o.GetName())
		}
		if o.GetNamespace() != "foreman" {
			t.Errorf("%s %s is in namespace %q, want foreman", o.GetKind(), o.GetName(), o.GetNamespace())
		}
	}
	slices.Sort(kinds)
	if want := []string{"Deployment", "Role", "Role", "RoleBinding", "RoleBinding", "ServiceAccount"}; !slices.Equal(kinds, want) {
		t.Errorf("config/default renders %v, want %v", kinds, want)
	}
}

// config/all-namespaces grants the same rules cluster-wide, keeps leader
// election in the operator's namespace, and watches every namespace.
func TestTheAllNamespacesConfigMakesTheRoleAClusterRole(t *testing.T) {
	def, all := render(t, "default"), render(t, "all-namespaces")
	roles := convert[rbacv1.Role](t, def, "Role")
	var managerRules, leaderRules []rbacv1.PolicyRule
	for _, r := range roles {
		if strings.HasSuffix(r.Name, "manager-role") {
			managerRules = r.Rules
		} else {
			leaderRules = r.Rules
		}
	}
	crs := convert[rbacv1.ClusterRole](t, all, "ClusterRole")
	if len(crs) != 1 || !slices.Equal(rbac.Grants(crs[0].Rules), rbac.Grants(managerRules)) {
		t.Fatalf("config/all-namespaces ClusterRoles %v: want one, with the manager Role's rules", crs)
	}
	allRoles := convert[rbacv1.Role](t, all, "Role")
	if len(allRoles) != 1 || !slices.Equal(rbac.Grants(allRoles[0].Rules), rbac.Grants(leaderRules)) {
		t.Errorf("config/all-namespaces Roles %v: want the leader election Role only", allRoles)
	}
	crbs := convert[rbacv1.ClusterRoleBinding](t, all, "ClusterRoleBinding")
	if len(crbs) != 1 || crbs[0].RoleRef.Kind != "ClusterRole" || crbs[0].RoleRef.Name != crs[0].Name ||
		len(crbs[0].Subjects) != 1 || crbs[0].Subjects[0].Namespace != "foreman-operator" {
		t.Errorf("config/all-namespaces ClusterRoleBindings %+v: want one binding the ClusterRole to the ServiceAccount in foreman-operator", crbs)
	}
	deps := convert[appsv1.Deployment](t, all, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("config/all-namespaces has %d Deployments", len(deps))
	}
	if e := env(deps[0].Spec.Template.Spec.Containers[0], "WATCH_NAMESPACE"); e == nil || e.Value != "" || e.ValueFrom != nil {
		t.Errorf("config/all-namespaces WATCH_NAMESPACE %+v, want empty: every namespace", e)
	}
}

func env(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// Benchmark figures (make bench): what the operator process and each
// concurrent Ansible run use.
var (
	operatorMemory = resource.MustParse("50M")
	runMemory      = resource.MustParse("185M") // RSS, more than the 150 MB PSS
)

// The manager Deployment: leader election, probes on the health port,
// limits sized from the benchmark for the runs they allow, the restricted
// security context, WATCH_NAMESPACE from the pod's namespace and a
// size-limited emptyDir for run artifacts.
func TestTheManagerDeployment(t *testing.T) {
	deps := convert[appsv1.Deployment](t, render(t, "default"), "Deployment")
	if len(deps) != 1 {
		t.Fatalf("config/default has %d Deployments, want 1", len(deps))
	}
	pod := deps[0].Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, have %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	args := flags(c.Args)

	if args["--leader-elect"] != "true" {
		t.Error("leader election is off: want --leader-elect")
	}
	health := strings.TrimPrefix(args["--health-probe-bind-address"], ":")
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", name)
			continue
		}
		port := p.HTTPGet.Port.String()
		for _, cp := range c.Ports {
			if cp.Name == port {
				port = strconv.Itoa(int(cp.ContainerPort))
			}
		}
		if port != health {
			t.Errorf("%s probe on port %s, the health probes listen on %s", name, port, health)
		}
	}
	if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Error("probes: want liveness /healthz and readiness /readyz")
	}

	// Sizing: the runs the limits allow (pkg/capacity, as the operator
	// computes them from its cgroup) fit in the memory limit.
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Cpu().IsZero() || lim.Memory().IsZero() {
		t.Fatalf("want CPU and memory requests and limits, have %+v", c.Resources)
	}
	runs := capacity.Limits{CPUs: lim.Cpu().AsApproximateFloat64(), Memory: lim.Memory().Value()}.Runs()
	need := operatorMemory.Value() + int64(runs)*runMemory.Value()
	if runs < 2 {
		t.Errorf("the limits allow %d concurrent run: want at least 2, so one slow Foreman does not hold up the others", runs)
	}
	if lim.Memory().Value() < need {
		t.Errorf("memory limit %s holds less than the operator and %d runs (%d MB)", lim.Memory(), runs, need/1e6)
	}
	if req.Memory().Value() < operatorMemory.Value()+runMemory.Value() {
		t.Errorf("memory request %s is less than the operator and one run", req.Memory())
	}

	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v: want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container security context %+v: want no privilege escalation, all capabilities dropped, a read-only root", sc)
	}

	if e := env(c, "WATCH_NAMESPACE"); e == nil || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("WATCH_NAMESPACE %+v: want the pod's namespace", e)
	}

	// The runner directory is on an emptyDir with a size limit larger than
	// the artifacts cap.
	runnerDir := args["--runner-dir"]
	var mount *corev1.VolumeMount
	for i := range c.VolumeMounts {
		if strings.HasPrefix(runnerDir, c.VolumeMounts[i].MountPath) {
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil {
		t.Fatalf("--runner-dir %q is on no volume (the root filesystem is read-only)", runnerDir)
	}
	var vol *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == mount.Name {
			vol = &pod.Volumes[i]
		}
	}
	if vol == nil || vol.EmptyDir == nil || vol.EmptyDir.SizeLimit == nil {
		t.Fatalf("volume %s: want an emptyDir with a sizeLimit", mount.Name)
	}
	artifacts := resource.MustParse(args["--max-artifacts-size"])
	if artifacts.Cmp(*vol.EmptyDir.SizeLimit) >= 0 {
		t.Errorf("--max-artifacts-size %s leaves no room in the emptyDir's %s", artifacts.String(), vol.EmptyDir.SizeLimit)
	}
	if e := env(c, "ANSIBLE_HOME"); e == nil || !strings.HasPrefix(e.Value, mount.MountPath) {
		t.Errorf("ANSIBLE_HOME %+v: Ansible must write its files to the emptyDir", e)
	}
}

// flags maps --name=value and bare --name (true) arguments.
func flags(args []string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			v = "true"
		}
		out[k] = v
	}
	return out
}

// config/testing is config/default with the locally built image.
func TestTheTestingOverlay(t *testing.T) {
	deps := convert[appsv1.Deployment](t, render(t, "testing"), "Deployment")
	if len(deps) != 1 {
		t.Fatalf("config/testing has %d Deployments", len(deps))
	}
	c := deps[0].Spec.Template.Spec.Containers[0]
	if c.Image != "foreman-operator:testing" || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("image %s (%s), want foreman-operator:testing, IfNotPresent", c.Image, c.ImagePullPolicy)
	}
	if flags(c.Args)["--zap-log-level"] != "debug" {
		t.Errorf("args %v: want debug logs", c.Args)
	}
}
