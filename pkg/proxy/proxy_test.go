package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

var _ manager.LeaderElectionRunnable = (*Proxy)(nil)

// ownerGVK is the kind of the owners in these tests: a CRD installed in
// envtest, so that owners are real objects with real UIDs, and a namespaced
// owner's annotations name a real group.
var ownerGVK = schema.GroupVersionKind{Group: "test.theforeman.org", Version: "v1", Kind: "Foreman"}

var (
	apiConfig      *rest.Config // envtest's admin; nil when envtest cannot run
	operatorConfig *rest.Config // a service account's token, as the operator has in a pod
	envErr         string       // why envtest cannot run
)

func TestMain(m *testing.M) {
	logf.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		envErr = "KUBEBUILDER_ASSETS is not set: run `make test`"
		os.Exit(m.Run())
	}
	env := &envtest.Environment{CRDs: []*apiextensionsv1.CustomResourceDefinition{ownerCRD()}}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "start envtest: %v\n", err)
		os.Exit(1)
	}
	apiConfig = cfg
	if operatorConfig, err = serviceAccountConfig(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "set up the operator's service account: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop envtest: %v\n", err)
	}
	os.Exit(code)
}

// serviceAccountConfig returns a config that authenticates with the token of
// a cluster-admin service account, so that the proxy forwards requests the way
// it does in a pod: with a bearer token that a client's own Authorization
// header would displace if the proxy did not drop it.
func serviceAccountConfig(admin *rest.Config) (*rest.Config, error) {
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	const ns, name = "foreman-operator-system", "foreman-operator"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = tr.Status.Token
	return cfg, nil
}

func ownerCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "foremen." + ownerGVK.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: ownerGVK.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "foremen", Singular: "foreman", Kind: ownerGVK.Kind},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: ownerGVK.Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
}

// admin returns envtest's admin client, or skips the test without envtest
// (and fails it under CI).
func admin(t *testing.T) client.Client {
	t.Helper()
	if apiConfig == nil {
		if os.Getenv("CI") != "" {
			t.Fatal(envErr)
		}
		t.Skip(envErr)
	}
	return testcluster.Client(t, apiConfig)
}

// recorder keeps what OnWrite reports.
type recorder struct {
	mu     sync.Mutex
	writes []Write
	owners []Owner
}

func (r *recorder) onWrite(o Owner, w Write) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, w)
	r.owners = append(r.owners, o)
}

func (r *recorder) all() []Write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.writes)
}

// startProxy serves a proxy on a free loopback port until the test ends.
func startProxy(t *testing.T) (*Proxy, *recorder) {
	t.Helper()
	rec := &recorder{}
	p, err := New(Options{Config: operatorConfig, Addr: "127.0.0.1:0",
		Log: testr.NewWithOptions(t, testr.Options{Verbosity: 1}), OnWrite: rec.onWrite})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start: %v", err)
		}
	})
	return p, rec
}

// newOwner creates a Foreman in a namespace of its own and returns it as an
// Owner, with its real UID.
func newOwner(t *testing.T, c client.Client) Owner {
	t.Helper()
	ns := testcluster.Namespace(t, c, nil)
	cr := &unstructured.Unstructured{}
	cr.SetGroupVersionKind(ownerGVK)
	cr.SetNamespace(ns)
	cr.SetName("foreman")
	if err := c.Create(context.Background(), cr); err != nil {
		t.Fatalf("Create owner: %v", err)
	}
	return Owner{APIVersion: ownerGVK.GroupVersion().String(), Kind: ownerGVK.Kind, Name: cr.GetName(),
		Namespace: ns, UID: cr.GetUID()}
}

// runConfig registers owner and returns the rest config of its run's
// kubeconfig, and the kubeconfig itself.
func runConfig(t *testing.T, p *Proxy, owner Owner) (*rest.Config, []byte) {
	t.Helper()
	token, release := p.Register(owner)
	t.Cleanup(release)
	kc, err := p.Kubeconfig(token)
	if err != nil {
		t.Fatalf("Kubeconfig: %v", err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatalf("Load proxy kubeconfig: %v", err)
	}
	return cfg, kc
}

// httpsClient trusts p's certificate and sends no credentials of its own.
func httpsClient(t *testing.T, p *Proxy) *http.Client {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(p.caPEM) {
		t.Fatal("the proxy's CA is not PEM")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
}

func wantOwnerRef(t *testing.T, obj client.Object, owner Owner) {
	t.Helper()
	want := []metav1.OwnerReference{{APIVersion: owner.APIVersion, Kind: owner.Kind, Name: owner.Name, UID: owner.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	if diff := cmp.Diff(want, obj.GetOwnerReferences()); diff != "" {
		t.Errorf("%T %s/%s: owner references (-want +got):\n%s", obj, obj.GetNamespace(), obj.GetName(), diff)
	}
}

func configMap(ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"k": "v"}}
}

func TestNewRefusesAddressesOutsideLoopback(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	tests := []struct {
		name, addr string
		ok         bool
	}{
		{"An IPv4 loopback address is accepted", "127.0.0.1:0", true},
		{"localhost is accepted", "localhost:0", true},
		{"All interfaces are refused", ":0", false},
		{"The IPv4 wildcard is refused", "0.0.0.0:0", false},
		{"The IPv6 wildcard is refused", "[::]:0", false},
		{"A routable address is refused", "10.1.2.3:0", false},
		{"A host name is refused", "example.com:0", false},
		{"An address without a port is refused", "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(Options{Config: cfg, Addr: tt.addr})
			if (err == nil) != tt.ok {
				t.Fatalf("New(%q) error = %v, want ok %v", tt.addr, err, tt.ok)
			}
			if p != nil {
				if err := p.listener.Close(); err != nil {
					t.Errorf("close listener: %v", err)
				}
			}
		})
	}
}

func TestKubeconfigNamesTheBoundPortAndTheToken(t *testing.T) {
	c := admin(t)
	p, _ := startProxy(t)
	owner := newOwner(t, c)
	token, release := p.Register(owner)
	defer release()
	kc, err := p.Kubeconfig(token)
	if err != nil {
		t.Fatalf("Kubeconfig: %v", err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatalf("Load kubeconfig: %v", err)
	}
	if want := "https://" + p.Addr(); cfg.Host != want || strings.HasSuffix(want, ":8888") {
		t.Errorf("server = %q, want %q (the bound port)", cfg.Host, want)
	}
	if cfg.BearerToken != token {
		t.Errorf("token = %q, want the registered one", cfg.BearerToken)
	}
	other, _ := p.Register(owner)
	if other == token || len(token) < 26 {
		t.Errorf("tokens %q and %q: want distinct tokens of at least 128 bits", token, other)
	}
}

func TestRequestsWithoutARegisteredTokenAreRejected(t *testing.T) {
	c := admin(t)
	p, rec := startProxy(t)
	owner := newOwner(t, c)
	token, release := p.Register(owner)
	release()
	release() // twice is harmless
	tests := []struct {
		name, method, path, auth string
	}{
		{"A create without a token", http.MethodPost, "/api/v1/namespaces/" + owner.Namespace + "/configmaps", ""},
		{"A create with an unknown token", http.MethodPost, "/api/v1/namespaces/" + owner.Namespace + "/configmaps", "Bearer " + rand.String(26)},
		{"A create with a released token", http.MethodPost, "/api/v1/namespaces/" + owner.Namespace + "/configmaps", "Bearer " + token},
		{"A create with basic auth", http.MethodPost, "/api/v1/namespaces/" + owner.Namespace + "/configmaps", "Basic dXNlcjpwYXNz"},
		{"A read without a token", http.MethodGet, "/api/v1/namespaces/" + owner.Namespace + "/configmaps", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("rejected-%d", i)
			body, err := json.Marshal(configMap(owner.Namespace, name))
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(tt.method, "https://"+p.Addr()+tt.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := httpsClient(t, p).Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			defer resp.Body.Close()
			var st metav1.Status
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				t.Fatalf("decode answer: %v", err)
			}
			if resp.StatusCode != http.StatusUnauthorized || st.Reason != metav1.StatusReasonUnauthorized {
				t.Errorf("status %d, reason %q; want 401 Unauthorized", resp.StatusCode, st.Reason)
			}
			err = c.Get(context.Background(), client.ObjectKey{Namespace: owner.Namespace, Name: name}, &corev1.ConfigMap{})
			if !apierrors.IsNotFound(err) {
				t.Errorf("get %s after a rejected create: %v, want NotFound", name, err)
			}
		})
	}
	if w := rec.all(); len(w) != 0 {
		t.Errorf("OnWrite reported %+v for rejected requests", w)
	}
}

func TestWritesThatCannotBeMarkedAreRefused(t *testing.T) {
	c := admin(t)
	p, rec := startProxy(t)
	owner := newOwner(t, c)
	cfg, _ := runConfig(t, p, owner)
	cms := "/api/v1/namespaces/" + owner.Namespace + "/configmaps"
	// The API server would refuse these too; the messages show that the
	// proxy did, without forwarding them.
	tests := []struct {
		name, path, contentType, body string
		code                          int
		message                       string
	}{
		{"A body in a form the proxy cannot read", cms, "text/plain", "name: refused",
			http.StatusUnsupportedMediaType, "needs a JSON, YAML or protobuf body"},
		{"A body that is not an object", cms, "application/json", `["refused"]`,
			http.StatusBadRequest, errNotObject.Error()},
		{"A resource discovery does not know", "/apis/widgets.example.com/v1/namespaces/" + owner.Namespace + "/widgets",
			"application/json", `{"metadata":{"name":"refused"}}`, http.StatusNotFound, errUnknownResource.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "https://"+p.Addr()+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
			resp, err := httpsClient(t, p).Do(req)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			defer resp.Body.Close()
			var st metav1.Status
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				t.Fatalf("decode answer: %v", err)
			}
			if resp.StatusCode != tt.code || st.Code != int32(tt.code) || !strings.Contains(st.Message, tt.message) {
				t.Errorf("status %d (Status code %d, %q), want %d with %q", resp.StatusCode, st.Code, st.Message, tt.code, tt.message)
			}
		})
	}
	list := &corev1.ConfigMapList{}
	if err := c.List(context.Background(), list, client.InNamespace(owner.Namespace)); err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, cm := range list.Items {
		if cm.Name == "refused" {
			t.Errorf("a refused write created %s", cm.Name)
		}
	}
	if w := rec.all(); len(w) != 0 {
		t.Errorf("OnWrite reported %+v for refused writes", w)
	}
}

func TestImpersonationHeadersAreDropped(t *testing.T) {
	c := admin(t)
	p, _ := startProxy(t)
	owner := newOwner(t, c)
	cfg, _ := runConfig(t, p, owner)
	// envtest's admin may impersonate; if the header reached the API server,
	// the create would run as a user without rights and be forbidden.
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "nobody"}
	pc := testcluster.Client(t, cfg)
	if err := pc.Create(context.Background(), configMap(owner.Namespace, "impersonated")); err != nil {
		t.Fatalf("create through the proxy with Impersonate-User: %v", err)
	}
}

func TestCreatesGetTheOwnerAndEveryWriteIsReported(t *testing.T) {
	c := admin(t)
	ctx := context.Background()
	p, rec := startProxy(t)
	owner := newOwner(t, c)
	other := testcluster.Namespace(t, c, nil)
	cfg, _ := runConfig(t, p, owner)
	pc := testcluster.Client(t, cfg)

	local := configMap(owner.Namespace, "local")
	if err := pc.Create(ctx, local); err != nil {
		t.Fatalf("create: %v", err)
	}
	wantOwnerRef(t, local, owner) // the client got the injected object back
	createdRV := local.ResourceVersion
	if err := pc.Patch(ctx, local, client.RawPatch(types.MergePatchType, []byte(`{"data":{"k":"w"}}`))); err != nil {
		t.Fatalf("patch: %v", err)
	}
	generated := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: owner.Namespace, GenerateName: "gen-"}}
	if err := pc.Create(ctx, generated); err != nil {
		t.Fatalf("create with generateName: %v", err)
	}
	remote := configMap(other, "remote")
	if err := pc.Create(ctx, remote); err != nil {
		t.Fatalf("create in another namespace: %v", err)
	}
	if got := remote.GetAnnotations(); got[PrimaryResourceAnnotation] != owner.Namespace+"/foreman" ||
		got[PrimaryResourceTypeAnnotation] != "Foreman.test.theforeman.org" || len(remote.OwnerReferences) != 0 {
		t.Errorf("object in another namespace: annotations %v, owner references %v", got, remote.OwnerReferences)
	}
	if err := pc.Create(ctx, configMap(owner.Namespace, "dry"), client.DryRunAll); err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "configmaps"}}}
	if err := pc.Create(ctx, ssar); err != nil {
		t.Fatalf("create a SelfSubjectAccessReview (virtual): %v", err)
	}
	if err := pc.Delete(ctx, remote); err != nil {
		t.Fatalf("delete: %v", err)
	}

	current := func(obj client.Object) string {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatalf("get %s: %v", obj.GetName(), err)
		}
		return obj.GetResourceVersion()
	}
	cm := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	want := []Write{
		{GroupVersionKind: cm, Namespace: owner.Namespace, Name: "local", ResourceVersion: createdRV, Verb: "create", Created: true, OwnedBy: OwnedByOwnerRef},
		{GroupVersionKind: cm, Namespace: owner.Namespace, Name: "local", ResourceVersion: current(local), Verb: "patch", OwnedBy: OwnedByOwnerRef},
		{GroupVersionKind: cm, Namespace: owner.Namespace, Name: generated.Name, ResourceVersion: current(generated), Verb: "create", Created: true, OwnedBy: OwnedByOwnerRef},
		{GroupVersionKind: cm, Namespace: other, Name: "remote", ResourceVersion: remote.ResourceVersion, Verb: "create", Created: true, OwnedBy: OwnedByAnnotation},
		// The API server answers this delete with a Status, which names no owner.
		{GroupVersionKind: cm, Namespace: other, Name: "remote", Verb: "delete"},
	}
	if diff := cmp.Diff(want, rec.all()); diff != "" {
		t.Errorf("OnWrite reports (-want +got):\n%s", diff)
	}
	for _, o := range rec.owners {
		if o != owner {
			t.Errorf("OnWrite owner = %+v, want %+v", o, owner)
		}
	}
}

func TestUpdatesKeepTheOwnerButNeverAdopt(t *testing.T) {
	c := admin(t)
	ctx := context.Background()
	p, _ := startProxy(t)
	owner := newOwner(t, c)
	cfg, _ := runConfig(t, p, owner)
	pc := testcluster.Client(t, cfg)

	owned := configMap(owner.Namespace, "owned")
	if err := pc.Create(ctx, owned); err != nil {
		t.Fatalf("create: %v", err)
	}
	foreign := configMap(owner.Namespace, "foreign")
	if err := c.Create(ctx, foreign); err != nil {
		t.Fatalf("create without the proxy: %v", err)
	}
	for _, obj := range []*corev1.ConfigMap{owned, foreign} {
		// A PUT from a template, as kubernetes.core.k8s sends with force: true.
		put := configMap(owner.Namespace, obj.Name)
		put.Data["k"] = "replaced"
		if err := pc.Update(ctx, put); err != nil {
			t.Fatalf("replace %s: %v", obj.Name, err)
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatalf("get %s: %v", obj.Name, err)
		}
		if obj.Data["k"] != "replaced" {
			t.Errorf("%s was not replaced: %v", obj.Name, obj.Data)
		}
	}
	wantOwnerRef(t, owned, owner)
	if len(foreign.OwnerReferences) != 0 {
		t.Errorf("an object the run did not create was adopted: %+v", foreign.OwnerReferences)
	}
}

func TestAPutThatCreatesGetsTheOwnerAfterwards(t *testing.T) {
	c := admin(t)
	ctx := context.Background()
	p, rec := startProxy(t)
	owner := newOwner(t, c)
	cfg, _ := runConfig(t, p, owner)
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: owner.Namespace, Name: "put"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer}}}}
	// LimitRange is one of the few built-in kinds whose PUT may create.
	got, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().LimitRanges(owner.Namespace).Update(ctx, lr, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		t.Skipf("this API server does not create LimitRanges on update: %v", err)
	}
	if err != nil {
		t.Fatalf("PUT a new LimitRange: %v", err)
	}
	checkCreatedOnUpdate(t, c, rec, owner, got, "update")
}

// checkCreatedOnUpdate checks that a LimitRange a write created is owned, that
// the client got it with its current resourceVersion, and that OnWrite said so.
func checkCreatedOnUpdate(t *testing.T, c client.Client, rec *recorder, owner Owner, got *corev1.LimitRange, verb string) {
	t.Helper()
	wantOwnerRef(t, got, owner)
	live := &corev1.LimitRange{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(got), live); err != nil {
		t.Fatalf("get: %v", err)
	}
	wantOwnerRef(t, live, owner)
	if got.ResourceVersion != live.ResourceVersion {
		t.Errorf("client got resourceVersion %s, object has %s", got.ResourceVersion, live.ResourceVersion)
	}
	writes := rec.all()
	want := Write{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "LimitRange"}, Namespace: owner.Namespace,
		Name: live.Name, ResourceVersion: live.ResourceVersion, Verb: verb, Created: true, OwnedBy: OwnedByOwnerRef}
	if len(writes) == 0 || writes[len(writes)-1] != want {
		t.Errorf("last OnWrite report %+v, want %+v", writes, want)
	}
}

func TestServerSideApplyRecordsTheOwner(t *testing.T) {
	c := admin(t)
	ctx := context.Background()
	p, rec := startProxy(t)
	owner := newOwner(t, c)
	cfg, kc := runConfig(t, p, owner)

	t.Run("kubectl apply --server-side twice", func(t *testing.T) {
		kubectl := os.Getenv("KUBEBUILDER_ASSETS") + "/kubectl"
		kubeconfig := writeFile(t, "kubeconfig", kc)
		for _, value := range []string{"one", "two"} {
			manifest := writeFile(t, "cm.yaml", []byte(fmt.Sprintf(
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: %s\ndata:\n  k: %s\n", owner.Namespace, value)))
			out, err := runCommand(ctx, kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "-f", manifest)
			if err != nil {
				t.Fatalf("kubectl apply --server-side: %v\n%s", err, out)
			}
		}
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: owner.Namespace, Name: "applied"}, cm); err != nil {
			t.Fatalf("get: %v", err)
		}
		if cm.Data["k"] != "two" {
			t.Errorf("data = %v, want the second apply's", cm.Data)
		}
		wantOwnerRef(t, cm, owner)
		if w := rec.all(); len(w) != 2 || w[0].Verb != "apply" || !w[0].Created || w[1].Created ||
			w[1].ResourceVersion != cm.ResourceVersion {
			t.Errorf("OnWrite reports %+v, want a creating apply and an updating one at resourceVersion %s", w, cm.ResourceVersion)
		}
	})
	t.Run("A YAML apply body", func(t *testing.T) {
		body := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml\n  namespace: %s\ndata:\n  k: v\n", owner.Namespace)
		req, err := http.NewRequest(http.MethodPatch, fmt.Sprintf("https://%s/api/v1/namespaces/%s/configmaps/yaml?fieldManager=test",
			p.Addr(), owner.Namespace), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/apply-patch+yaml")
		req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
		resp, err := httpsClient(t, p).Do(req)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("apply: status %d, %v: %s", resp.StatusCode, err, answer)
		}
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: owner.Namespace, Name: "yaml"}, cm); err != nil {
			t.Fatalf("get: %v", err)
		}
		wantOwnerRef(t, cm, owner)
	})
}

func TestWatchesStream(t *testing.T) {
	c := admin(t)
	p, _ := startProxy(t)
	owner := newOwner(t, c)
	cfg, _ := runConfig(t, p, owner)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// List, then watch from the list's resourceVersion, as informers do (a
	// watch without one waits for etcd progress notifications, which envtest's
	// etcd does not send).
	cms := kubernetes.NewForConfigOrDie(cfg).CoreV1().ConfigMaps(owner.Namespace)
	list, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list through the proxy: %v", err)
	}
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatalf("watch through the proxy: %v", err)
	}
	defer w.Stop()
	// The watch stays open; a proxy that buffered responses would deliver
	// nothing until it ended.
	if err := c.Create(ctx, configMap(owner.Namespace, "watched")); err != nil {
		t.Fatalf("create: %v", err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("watch ended before the event arrived")
			}
			if cm, isCM := ev.Object.(*corev1.ConfigMap); ev.Type == watch.Added && isCM && cm.Name == "watched" {
				return
			}
		case <-timeout:
			t.Fatal("no ADDED event through the proxy within 10s")
		}
	}
}

func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return path
}
