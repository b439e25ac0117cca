package install_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
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

// convergeTimeout is a first run of the design's example: PostgreSQL, the
// migration Job (kwok completes its pod in about ten seconds), Katello's
// extra worker, on a machine other tests load too.
const convergeTimeout = 10 * time.Minute

// TestLeastPrivilege deploys config/testing into a namespace that enforces
// the restricted Pod Security Standard (`make deploy`), runs the operator
// out of the cluster as its Deployment would run it, with its
// ServiceAccount's token, applies the design's example and waits for it to
// be Ready; then checks that the token is refused everywhere else.
func TestLeastPrivilege(t *testing.T) {
	cfg := testcluster.Config(t)
	admin := os.Getenv(testcluster.KubeconfigEnv)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	// The CRDs are cluster-scoped: a cluster admin installs them.
	makeTarget(t, []string{"KUBECONFIG=" + admin}, "install")
	if c, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil { // maps the Foreman kind at once
		t.Fatal(err)
	}
	ns := testcluster.Namespace(t, c, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	})
	other := testcluster.Namespace(t, c, nil)
	ctx := context.Background()

	makeTarget(t, []string{"KUBECONFIG=" + admin}, "deploy", "CONFIG=config/testing", "NAMESPACE="+ns)
	dep := &appsv1.Deployment{}
	testcluster.Eventually(t, 2*time.Minute, "the manager Deployment available (its pod admitted as restricted, simulated by kwok)",
		func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "foreman-operator-controller-manager"}, dep); err != nil {
				return false, err
			}
			return dep.Status.AvailableReplicas == 1, fmt.Errorf("conditions %+v", dep.Status.Conditions)
		})
	var events corev1.EventList
	if err := c.List(ctx, &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if strings.Contains(e.Message, "violates PodSecurity") {
			t.Errorf("Pod Security refused the manager's pod: %s", e.Message)
		}
	}

	sa := dep.Spec.Template.Spec.ServiceAccountName
	token := serviceAccountToken(t, cfg, ns, sa)
	saKubeconfig := writeKubeconfig(t, cfg, token)
	op, health := startAsTheDeployment(t, dep, ns, saKubeconfig)

	t.Run("the probes answer and the operator becomes ready", func(t *testing.T) {
		ctr := dep.Spec.Template.Spec.Containers[0]
		for _, path := range []string{ctr.LivenessProbe.HTTPGet.Path, ctr.ReadinessProbe.HTTPGet.Path} {
			url := "http://" + health + path
			testcluster.Eventually(t, 2*time.Minute, "GET "+url+" is 200", func(ctx context.Context) (bool, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return false, err
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK, fmt.Errorf("status %d", resp.StatusCode)
			})
		}
	})

	t.Run("it leads through a Lease in its namespace", func(t *testing.T) {
		id := flags(dep.Spec.Template.Spec.Containers[0].Args)["--leader-election-id"]
		testcluster.Eventually(t, time.Minute, "Lease "+id+" held", func(ctx context.Context) (bool, error) {
			l := &coordinationv1.Lease{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: id}, l); err != nil {
				return false, err
			}
			return ptr.Deref(l.Spec.HolderIdentity, "") != "", nil
		})
	})

	t.Run("the design's example converges", func(t *testing.T) {
		f := sample(t)
		f.Namespace = ns
		if err := c.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, convergeTimeout, "Foreman "+f.Name+" Ready", func(ctx context.Context) (bool, error) {
			got := &appv1alpha1.Foreman{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(f), got); err != nil {
				return false, err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == "Failure" && cond.Status == metav1.ConditionTrue {
					// A refusal does not go away with retries: config/rbac lacks a rule.
					if strings.Contains(strings.ToLower(cond.Message), "forbidden") {
						t.Fatalf("the operator's run was refused: %s", cond.Message)
					}
					return false, fmt.Errorf("Failure: %s", cond.Message)
				}
				if cond.Type == "Ready" {
					return cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == got.Generation, fmt.Errorf("Ready %s: %s", cond.Status, cond.Message)
				}
			}
			return false, fmt.Errorf("no Ready condition; conditions %+v", got.Status.Conditions)
		})
		var evs corev1.EventList
		if err := c.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		recorded := false
		for _, e := range evs.Items {
			recorded = recorded || (e.Reason == "RunSucceeded" && e.InvolvedObject.Name == f.Name)
		}
		if !recorded {
			t.Error("no RunSucceeded Event on the Foreman: the operator could not record Events")
		}
	})

	t.Run("nothing the operator did was forbidden", func(t *testing.T) {
		var refused []string
		for _, line := range strings.Split(op.Log(), "\n") {
			if strings.Contains(strings.ToLower(line), "forbidden") {
				refused = append(refused, line)
			}
		}
		if len(refused) > 0 {
			t.Errorf("the operator was refused something, %d times; the first: %s", len(refused), refused[0])
		}
	})

	t.Run("the token is refused outside its namespace and for what it does not need", func(t *testing.T) {
		saCfg := rest.AnonymousClientConfig(cfg)
		saCfg.BearerToken = token
		sc, err := client.New(saCfg, client.Options{Scheme: scheme})
		if err != nil {
			t.Fatal(err)
		}
		cs := kubernetes.NewForConfigOrDie(saCfg)
		attempts := map[string]error{
			"list Foremen in " + other:             sc.List(ctx, &appv1alpha1.ForemanList{}, client.InNamespace(other)),
			"list Secrets in " + other:             sc.List(ctx, &corev1.SecretList{}, client.InNamespace(other)),
			"create a ConfigMap in " + other:       sc.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: other}}),
			"list Deployments in every namespace":  sc.List(ctx, &appsv1.DeploymentList{}),
			"list Namespaces":                      sc.List(ctx, &corev1.NamespaceList{}),
			"list CRDs":                            sc.List(ctx, &apiextensionsv1.CustomResourceDefinitionList{}),
			"create a Pod in its own namespace":    sc.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: ns}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}}}),
			"delete a claim in its own namespace":  sc.Delete(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: ns}}),
			"update a Secret in its own namespace": sc.Update(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "myforeman-admin", Namespace: ns}}),
			"exec in a pod of its own namespace": cs.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name("x").SubResource("exec").
				Param("command", "true").Do(ctx).Error(),
		}
		for what, err := range attempts {
			if !apierrors.IsForbidden(err) {
				t.Errorf("%s: got %v, want 403 Forbidden", what, err)
			}
		}
		// And it does reach what it needs.
		if err := sc.List(ctx, &appv1alpha1.ForemanList{}, client.InNamespace(ns)); err != nil {
			t.Errorf("list Foremen in its own namespace: %v", err)
		}
	})

	t.Run("undeploy removes the operator and keeps the Foreman", func(t *testing.T) {
		op.Kill()
		makeTarget(t, []string{"KUBECONFIG=" + admin}, "undeploy", "CONFIG=config/testing", "NAMESPACE="+ns)
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: dep.Name}, &appsv1.Deployment{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("the manager Deployment after undeploy: %v, want not found", err)
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "myforeman"}, &appv1alpha1.Foreman{}); err != nil {
			t.Errorf("the Foreman after undeploy: %v", err)
		}
	})
}

// sample reads the design's example CR, config/samples/app_v1alpha1_foreman.yaml.
func sample(t *testing.T) *appv1alpha1.Foreman {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testrepo.Root(t), "config", "samples", "app_v1alpha1_foreman.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f := &appv1alpha1.Foreman{}
	if err := yaml.UnmarshalStrict(data, f); err != nil {
		t.Fatal(err)
	}
	return f
}

// serviceAccountToken asks the API server for a token of the ServiceAccount
// (TokenRequest), as the kubelet does for its pods.
func serviceAccountToken(t *testing.T, cfg *rest.Config, ns, sa string) string {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(cfg)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for ServiceAccount %s/%s: %v", ns, sa, err)
	}
	return tr.Status.Token
}

// writeKubeconfig writes a kubeconfig for the cluster of cfg with token as
// its only credential.
func writeKubeconfig(t *testing.T, cfg *rest.Config, token string) string {
	t.Helper()
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["cluster"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca, InsecureSkipTLSVerify: cfg.Insecure}
	kc.AuthInfos["operator"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["operator"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: "operator"}
	kc.CurrentContext = "operator"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAsTheDeployment runs the operator binary with the Deployment's
// arguments and environment, in the repository as the image's WORKDIR (it
// holds watches.yaml, roles/ and playbooks/ alike). What only a pod has is
// stood in for: the emptyDir by a temporary directory, the pod's namespace
// in fieldRefs by ns, the in-cluster credentials by kubeconfig, the Lease's
// namespace (read from the pod's ServiceAccount mount) by a flag, and the
// ports, which other tests on this machine may hold, by free ones. It
// returns the process and the health probes' address.
func startAsTheDeployment(t *testing.T, dep *appsv1.Deployment, ns, kubeconfig string) (*testoperator.Process, string) {
	t.Helper()
	ctr := dep.Spec.Template.Spec.Containers[0]
	tmp := t.TempDir()
	remap := func(s string) string {
		for _, m := range ctr.VolumeMounts {
			s = strings.ReplaceAll(s, m.MountPath, filepath.Join(tmp, m.Name))
		}
		return s
	}
	var args []string
	for _, a := range ctr.Args {
		args = append(args, remap(a))
	}
	health := "127.0.0.1:" + strconv.Itoa(freePort(t))
	args = append(args, "--leader-election-namespace="+ns, "--health-probe-bind-address="+health,
		"--metrics-bind-address=0", "--proxy-port=0")
	env := []string{"KUBECONFIG=" + kubeconfig}
	for _, e := range ctr.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+remap(e.Value))
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env = append(env, e.Name+"="+ns)
		default:
			t.Fatalf("env %s: a source this test cannot stand in for: %+v", e.Name, e.ValueFrom)
		}
	}
	return testoperator.StartIn(t, testrepo.Root(t), args, env...), health
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
