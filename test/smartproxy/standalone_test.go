package smartproxy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	return s
}()

// The namespace and service account config/smartproxy deploys.
const (
	packageNamespace = "foreman-proxy"
	packageAccount   = "foreman-proxy-operator"
)

// runTimeout bounds a SmartProxy run and its workloads on a loaded machine.
const runTimeout = 4 * time.Minute

// TestASmartProxyAloneOnAClusterWithoutTheForemanCRD deploys the Smart
// Proxy package (config/smartproxy) on a cluster of its own, where the
// Foreman CRD was never installed, and runs the operator as the package's
// manager runs: watches-smartproxy.yaml, its namespace only, and the
// package's service account token, so its namespaced Role is all it may do.
// The sample SmartProxy, for a Foreman elsewhere, reaches Ready with a
// registration Job for that Foreman; changing its features re-renders the
// settings, rolls the pod and registers again; a user's key pair is used as
// it is; deleting a SmartProxy keeps the generated key pair.
func TestASmartProxyAloneOnAClusterWithoutTheForemanCRD(t *testing.T) {
	cfg, _ := testcluster.Dedicated(t, "smartproxy")
	admin := newClient(t, cfg)
	ctx := context.Background()

	objs := kustomize(t, "config/smartproxy")
	t.Run("the package holds its CRD, a namespaced Role and a manager, and nothing of Foreman", func(t *testing.T) {
		var kinds []string
		for _, o := range objs {
			kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		}
		want := []string{"Namespace/foreman-proxy", "CustomResourceDefinition/smartproxies.app.theforeman.org",
			"ServiceAccount/foreman-proxy-operator", "Role/foreman-proxy-operator", "RoleBinding/foreman-proxy-operator",
			"Deployment/foreman-proxy-operator"}
		if !slices.Equal(kinds, want) {
			t.Errorf("config/smartproxy renders %v, want %v", kinds, want)
		}
		manager := find(objs, "Deployment", "foreman-proxy-operator")
		args, _, _ := unstructured.NestedSlice(manager.Object, "spec", "template", "spec", "containers")
		if !strings.Contains(fmt.Sprint(args), "--watches-file=watches-smartproxy.yaml") {
			t.Errorf("the manager does not run watches-smartproxy.yaml: %v", args)
		}
	})
	for _, o := range objs {
		o.SetManagedFields(nil)
		if err := admin.Patch(ctx, o, client.Apply, client.ForceOwnership, client.FieldOwner("smartproxy-test")); err != nil {
			t.Fatalf("Apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	waitEstablished(t, admin, "smartproxies.app.theforeman.org")
	// A client made after the CRD exists maps the SmartProxy kind at once.
	admin = newClient(t, cfg)
	var served []string
	testcluster.Eventually(t, 30*time.Second, "discovery serves smartproxies", func(context.Context) (bool, error) {
		var err error
		served, err = servedResources(cfg)
		return slices.Contains(served, "smartproxies"), err
	})
	if slices.Contains(served, "foremen") {
		t.Fatalf("app.theforeman.org/v1alpha1 serves %v: want no foremen", served)
	}

	// The operator, as the package's service account.
	kubeconfig := serviceAccountKubeconfig(t, cfg, packageNamespace, packageAccount)
	sa := newClientFromKubeconfig(t, kubeconfig)
	if err := sa.List(ctx, &corev1.SecretList{}, client.InNamespace("kube-system")); !apierrors.IsForbidden(err) {
		t.Fatalf("the package's account lists Secrets of kube-system (%v): its Role is not namespaced", err)
	}
	root := testrepo.Root(t)
	op := testoperator.Start(t, []string{
		"--watches-file", filepath.Join(root, "watches-smartproxy.yaml"),
		"--kubeconfig", kubeconfig,
		"--proxy-port", "0", "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--runner-dir", t.TempDir(), "--zap-log-level", "info",
	}, "WATCH_NAMESPACE="+packageNamespace, "ANSIBLE_GATHERING=explicit", "ANSIBLE_ROLES_PATH="+filepath.Join(root, "roles"))

	e := &env{t: t, c: admin, ns: packageNamespace}
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "foreman-oauth"},
		StringData: map[string]string{"consumer_key": "key", "consumer_secret": "secret"}})
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "foreman-ca"},
		StringData: map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"}})
	sample := readSample(t)
	e.create(sample)
	const name = "proxy"

	var sshKey map[string][]byte
	var firstJob string
	t.Run("the sample reaches Ready, registered in its Foreman by a Job with its URL and credentials", func(t *testing.T) {
		e := e.with(t)
		sp := e.waitReady(name, "")
		if !sp.Status.Registered || sp.Status.ForemanURL != "https://foreman.example.com" ||
			sp.Status.URL != "https://proxy.example.com:8443" || sp.Status.SSHKeySecret != "proxy-ssh" ||
			!slices.Equal(sp.Status.Features, []string{"ansible", "dynflow", "remote_execution_ssh"}) {
			t.Errorf("status: registered %v, foreman_url %q, url %q, ssh_key_secret %q, features %v", sp.Status.Registered,
				sp.Status.ForemanURL, sp.Status.URL, sp.Status.SSHKeySecret, sp.Status.Features)
		}
		job := e.registrationJob(name)
		firstJob = job.Name
		env := jobEnv(job)
		for k, want := range map[string]string{"FOREMAN_URL": "https://foreman.example.com", "PROXY_URL": "https://proxy.example.com:8443",
			"PROXY_NAME": "proxy.example.com", "PROXY_FEATURES": "Ansible,Dynflow,Script"} {
			if env[k].Value != want {
				t.Errorf("registration Job %s: %s=%q, want %q", job.Name, k, env[k].Value, want)
			}
		}
		for k, key := range map[string]string{"FOREMAN_OAUTH_CONSUMER_KEY": "consumer_key", "FOREMAN_OAUTH_CONSUMER_SECRET": "consumer_secret"} {
			ref := env[k].ValueFrom
			if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "foreman-oauth" || ref.SecretKeyRef.Key != key {
				t.Errorf("registration Job %s: %s comes from %+v, want Secret foreman-oauth key %s", job.Name, k, ref, key)
			}
		}
		if !mountsSecret(job.Spec.Template.Spec, "foreman-ca") {
			t.Errorf("registration Job %s does not mount the CA Secret foreman-ca", job.Name)
		}

		d := e.deployment(name)
		if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("proxy Deployment: %d replicas, strategy %s; want 1, Recreate", *d.Spec.Replicas, d.Spec.Strategy.Type)
		}
		for _, f := range []string{"settings.yml", "settings.d/ansible.yml", "settings.d/dynflow.yml", "settings.d/remote_execution_ssh.yml", "settings.d/templates.yml"} {
			if !mountsFile(d, "/etc/foreman-proxy/"+f) {
				t.Errorf("the proxy does not mount /etc/foreman-proxy/%s", f)
			}
		}
		if !mountsSecret(d.Spec.Template.Spec, "proxy-ssh") || !mountsSecret(d.Spec.Template.Spec, "foreman-ca") || !mountsSecret(d.Spec.Template.Spec, "proxy-tls") {
			t.Errorf("the proxy does not mount proxy-ssh, proxy-tls and foreman-ca: volumes %+v", d.Spec.Template.Spec.Volumes)
		}
		settings := e.configMap("proxy-settings")
		for file, want := range map[string]string{
			"settings.yml":             `:foreman_url: "https://foreman.example.com"`,
			"ansible.yml":              ":enabled: https",
			"remote_execution_ssh.yml": `:ssh_identity_key_file: "/usr/share/foreman-proxy/.ssh/id_rsa_foreman_proxy"`,
			"templates.yml":            ":enabled: false",
		} {
			if !strings.Contains(settings[file], want) {
				t.Errorf("%s lacks %s:\n%s", file, want, settings[file])
			}
		}
		svc := e.service(name)
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8443 {
			t.Errorf("Service %s %+v, want a LoadBalancer on 8443 only", svc.Spec.Type, svc.Spec.Ports)
		}

		ssh := e.secret("proxy-ssh")
		sshKey = ssh.Data
		if !strings.HasPrefix(string(ssh.Data["id_rsa_foreman_proxy.pub"]), "ssh-rsa AAAA") ||
			!strings.Contains(string(ssh.Data["id_rsa_foreman_proxy"]), "BEGIN RSA PRIVATE KEY") {
			t.Error("proxy-ssh does not hold an RSA key pair")
		}
		tls := e.secret("proxy-tls")
		if tls.Type != corev1.SecretTypeTLS || len(tls.Data["tls.crt"]) == 0 {
			t.Errorf("proxy-tls: type %s, %d bytes of certificate", tls.Type, len(tls.Data["tls.crt"]))
		}
		for _, s := range []*corev1.Secret{ssh, tls} {
			if s.Labels["app.theforeman.org/generated"] != "true" || len(s.OwnerReferences) != 0 {
				t.Errorf("Secret %s: labels %v, owners %v; want generated, owned by nobody (kept with the CR)", s.Name, s.Labels, s.OwnerReferences)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("changing the features re-renders the settings, rolls the pod and registers again", func(t *testing.T) {
		e := e.with(t)
		before := e.deployment(name)
		last := completion(e.smartProxy(name))
		e.updateSmartProxy(name, func(sp *appv1alpha1.SmartProxy) {
			sp.Spec.Features = append(sp.Spec.Features, "registration")
		})
		sp := e.waitReady(name, last)
		if !sp.Status.Registered || !slices.Equal(sp.Status.Features, []string{"ansible", "dynflow", "registration", "remote_execution_ssh", "templates"}) {
			t.Errorf("status: registered %v, features %v", sp.Status.Registered, sp.Status.Features)
		}
		settings := e.configMap("proxy-settings")
		for file, want := range map[string]string{
			"templates.yml":    `:template_url: "http://proxy.example.com:8000"`,
			"registration.yml": ":enabled: true",
			"settings.yml":     ":http_port: 8000",
		} {
			if !strings.Contains(settings[file], want) {
				t.Errorf("%s lacks %s:\n%s", file, want, settings[file])
			}
		}
		after := e.deployment(name)
		const checksum = "checksum/config"
		if was, is := before.Spec.Template.Annotations[checksum], after.Spec.Template.Annotations[checksum]; was == "" || was == is {
			t.Errorf("pod template %s was %q, is %q: want a new checksum", checksum, was, is)
		}
		e.waitRolled(after)

		job := e.registrationJob(name)
		if job.Name == firstJob || jobEnv(job)["PROXY_FEATURES"].Value != "Ansible,Dynflow,Registration,Script,Templates" {
			t.Errorf("registration Job %s (first %s), features %q: want a new Job with the new features",
				job.Name, firstJob, jobEnv(job)["PROXY_FEATURES"].Value)
		}
		if svc := e.service(name); len(svc.Spec.Ports) != 2 {
			t.Errorf("Service ports %+v, want 8443 and the templates port 8000", svc.Spec.Ports)
		}
		if got := e.secret("proxy-ssh").Data; !equalData(got, sshKey) {
			t.Error("the SSH key pair changed: it must never be regenerated")
		}
	})

	t.Run("a key pair the user made is used as it is", func(t *testing.T) {
		e := e.with(t)
		e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "my-ssh"}, StringData: map[string]string{
			"id_rsa_foreman_proxy":     "-----BEGIN RSA PRIVATE KEY-----\nnot a real key\n-----END RSA PRIVATE KEY-----\n",
			"id_rsa_foreman_proxy.pub": "ssh-rsa AAAA mine"}})
		mine := e.secret("my-ssh")
		e.create(&appv1alpha1.SmartProxy{ObjectMeta: metav1.ObjectMeta{Name: "byo"}, Spec: appv1alpha1.SmartProxySpec{
			Foreman: appv1alpha1.ForemanRef{URL: "https://foreman.example.com", OAuthSecret: &appv1alpha1.SecretRef{Name: "foreman-oauth"},
				CASecret: &appv1alpha1.SecretKeyRef{Name: "foreman-ca"}},
			SSHKeySecret: &appv1alpha1.SecretRef{Name: "my-ssh"},
		}})
		sp := e.waitReady("byo", "")
		if sp.Status.SSHKeySecret != "my-ssh" {
			t.Errorf("status ssh_key_secret %q, want my-ssh", sp.Status.SSHKeySecret)
		}
		if err := admin.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: "byo-ssh"}, &corev1.Secret{}); !apierrors.IsNotFound(err) {
			t.Errorf("Secret byo-ssh: %v; want none generated beside the user's", err)
		}
		if !mountsSecret(e.deployment("byo").Spec.Template.Spec, "my-ssh") {
			t.Error("the proxy does not mount the user's key pair")
		}
		if got := e.secret("my-ssh"); got.ResourceVersion != mine.ResourceVersion || len(got.OwnerReferences) != 0 {
			t.Errorf("the user's Secret was written: resourceVersion %s → %s, owners %v", mine.ResourceVersion, got.ResourceVersion, got.OwnerReferences)
		}
	})

	t.Run("deleting a SmartProxy collects its workloads and keeps the generated key pair", func(t *testing.T) {
		e := e.with(t)
		sp := e.smartProxy(name)
		if err := admin.Delete(ctx, sp); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, runTimeout, "SmartProxy gone and its Deployment collected", func(ctx context.Context) (bool, error) {
			err := admin.Get(ctx, client.ObjectKeyFromObject(sp), &appv1alpha1.SmartProxy{})
			derr := admin.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &appsv1.Deployment{})
			return apierrors.IsNotFound(err) && apierrors.IsNotFound(derr), fmt.Errorf("smartproxy: %v, deployment: %v", err, derr)
		})
		if got := e.secret("proxy-ssh").Data; !equalData(got, sshKey) {
			t.Error("the generated key pair did not outlive the SmartProxy")
		}
		e.secret("proxy-tls")
	})

	// The package's Role is enough: nothing the operator asked for was
	// forbidden (a watch the Role does not allow only shows in the log).
	for _, line := range strings.Split(op.Log(), "\n") {
		if strings.Contains(line, "forbidden") {
			t.Errorf("the operator was refused something its Role does not grant: %s", line)
		}
	}
}

// env is the namespace a test works in, on one cluster.
type env struct {
	t  *testing.T
	c  client.Client
	ns string
}

func (e *env) with(t *testing.T) *env { return &env{t: t, c: e.c, ns: e.ns} }

func (e *env) create(obj client.Object) {
	e.t.Helper()
	obj.SetNamespace(e.ns)
	if err := e.c.Create(context.Background(), obj); err != nil {
		e.t.Fatalf("Create %T %s: %v", obj, obj.GetName(), err)
	}
}

func (e *env) get(name string, obj client.Object) {
	e.t.Helper()
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, obj); err != nil {
		e.t.Fatalf("Get %T %s: %v", obj, name, err)
	}
}

func (e *env) smartProxy(name string) *appv1alpha1.SmartProxy {
	e.t.Helper()
	sp := &appv1alpha1.SmartProxy{}
	e.get(name, sp)
	return sp
}

func (e *env) deployment(name string) *appsv1.Deployment {
	e.t.Helper()
	d := &appsv1.Deployment{}
	e.get(name, d)
	return d
}

func (e *env) service(name string) *corev1.Service {
	e.t.Helper()
	s := &corev1.Service{}
	e.get(name, s)
	return s
}

func (e *env) secret(name string) *corev1.Secret {
	e.t.Helper()
	s := &corev1.Secret{}
	e.get(name, s)
	return s
}

func (e *env) configMap(name string) map[string]string {
	e.t.Helper()
	cm := &corev1.ConfigMap{}
	e.get(name, cm)
	return cm.Data
}

// updateSmartProxy changes a SmartProxy, retrying on conflicts with the
// operator's status writes.
func (e *env) updateSmartProxy(name string, mutate func(*appv1alpha1.SmartProxy)) {
	e.t.Helper()
	for i := 0; ; i++ {
		sp := e.smartProxy(name)
		mutate(sp)
		err := e.c.Update(context.Background(), sp)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || i == 10 {
			e.t.Fatalf("Update SmartProxy %s: %v", name, err)
		}
	}
}

// waitReady waits until a run that finished after since ("" for any)
// succeeded for the current generation and the reporter says Ready for it.
func (e *env) waitReady(name, since string) *appv1alpha1.SmartProxy {
	e.t.Helper()
	var sp *appv1alpha1.SmartProxy
	testcluster.Eventually(e.t, runTimeout, "SmartProxy "+name+" Ready", func(ctx context.Context) (bool, error) {
		sp = &appv1alpha1.SmartProxy{}
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, sp); err != nil {
			return false, err
		}
		for _, typ := range []string{"Successful", "Ready"} {
			c := condition(sp.Status.Conditions, typ)
			if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != sp.Generation {
				return false, fmt.Errorf("%s %+v for generation %d; conditions %+v", typ, c, sp.Generation, sp.Status.Conditions)
			}
		}
		if since != "" && completion(sp) == since {
			return false, fmt.Errorf("no run finished since %s", since)
		}
		return true, nil
	})
	return sp
}

// registrationJob is the one registration Job of the SmartProxy, once the
// older ones are gone.
func (e *env) registrationJob(name string) *batchv1.Job {
	e.t.Helper()
	var jobs batchv1.JobList
	testcluster.Eventually(e.t, runTimeout, "one registration Job of "+name, func(ctx context.Context) (bool, error) {
		if err := e.c.List(ctx, &jobs, client.InNamespace(e.ns), client.MatchingLabels{
			"app.kubernetes.io/instance": name, "app.kubernetes.io/component": "registration"}); err != nil {
			return false, err
		}
		var live []string
		for _, j := range jobs.Items {
			if j.DeletionTimestamp == nil {
				live = append(live, j.Name)
			}
		}
		return len(live) == 1 && len(jobs.Items) == 1, fmt.Errorf("registration Jobs %v", live)
	})
	return &jobs.Items[0]
}

// waitRolled waits until the Deployment's pods are all of its current
// template (Recreate: the old pod went first).
func (e *env) waitRolled(d *appsv1.Deployment) {
	e.t.Helper()
	testcluster.Eventually(e.t, runTimeout, "Deployment "+d.Name+" rolled", func(ctx context.Context) (bool, error) {
		got := &appsv1.Deployment{}
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(d), got); err != nil {
			return false, err
		}
		s := got.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == 1 && s.Replicas == 1 && s.AvailableReplicas == 1,
			fmt.Errorf("status %+v", s)
	})
	var rss appsv1.ReplicaSetList
	if err := e.c.List(context.Background(), &rss, client.InNamespace(e.ns),
		client.MatchingLabels{"app.kubernetes.io/instance": d.Name, "app.kubernetes.io/component": "proxy"}); err != nil {
		e.t.Fatal(err)
	}
	var running []string
	for _, rs := range rss.Items {
		if ptr.Deref(rs.Spec.Replicas, 0) > 0 {
			running = append(running, rs.Name)
		}
	}
	if len(rss.Items) < 2 || len(running) != 1 {
		e.t.Errorf("ReplicaSets %d, scaled up %v: want a new one that replaced the old", len(rss.Items), running)
	}
}

func condition(cs []appv1alpha1.Condition, typ string) *appv1alpha1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

// completion is the time the last run finished.
func completion(sp *appv1alpha1.SmartProxy) string {
	for _, typ := range []string{"Successful", "Failure"} {
		if c := condition(sp.Status.Conditions, typ); c != nil && c.AnsibleResult != nil && c.Status == metav1.ConditionTrue {
			return c.AnsibleResult.Completion
		}
	}
	return ""
}

func jobEnv(j *batchv1.Job) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, v := range j.Spec.Template.Spec.Containers[0].Env {
		out[v.Name] = v
	}
	return out
}

// mountsSecret reports whether a pod has a volume of Secret name, alone or
// projected.
func mountsSecret(spec corev1.PodSpec, name string) bool {
	for _, v := range spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == name {
			return true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil && s.Secret.Name == name {
					return true
				}
			}
		}
	}
	return false
}

func mountsFile(d *appsv1.Deployment, path string) bool {
	for _, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

func equalData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func newClient(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newClientFromKubeconfig(t *testing.T, path string) client.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, cfg)
}

// kustomize renders a kustomization of the repository with the cluster's
// kubectl.
func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("kubectl of the local cluster (KUBEBUILDER_ASSETS): %v", err)
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(testrepo.Root(t), dir)).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{}}
}

func waitEstablished(t *testing.T, c client.Client, name string) {
	t.Helper()
	testcluster.Eventually(t, 30*time.Second, "CRD "+name+" established", func(ctx context.Context) (bool, error) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			return false, err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// servedResources lists the resources app.theforeman.org/v1alpha1 serves.
func servedResources(cfg *rest.Config) ([]string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	list, err := dc.ServerResourcesForGroupVersion(appv1alpha1.GroupVersion.String())
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", appv1alpha1.GroupVersion, err)
	}
	var out []string
	for _, r := range list.APIResources {
		out = append(out, r.Name)
	}
	return out, nil
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as the
// service account with a token from the TokenRequest API.
func serviceAccountKubeconfig(t *testing.T, cfg *rest.Config, ns, account string) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), account,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("Request a token for %s/%s: %v", ns, account, err)
	}
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca}
	kc.AuthInfos[account] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["sa"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: account, Namespace: ns}
	kc.CurrentContext = "sa"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// readSample reads the Smart Proxy sample, into the package's namespace.
func readSample(t *testing.T) *appv1alpha1.SmartProxy {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testrepo.Root(t), "config", "samples", "app_v1alpha1_smartproxy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sp := &appv1alpha1.SmartProxy{}
	if err := yaml.UnmarshalStrict(raw, sp); err != nil {
		t.Fatalf("Parse the sample: %v", err)
	}
	sp.Namespace = packageNamespace
	return sp
}
