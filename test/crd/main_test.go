// Package crd_test checks the generated Foreman CRD against a real API
// server (envtest): the samples are accepted, an empty spec gets the
// all-in-one defaults, and invalid specs are refused with messages a user
// can act on. It is the API server's half of the CR event that starts the
// operator's data flow.
package crd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// crdDir holds the generated CRDs; samplesDir the example CRs.
var (
	crdDir     = filepath.Join("..", "..", "config", "crd", "bases")
	samplesDir = filepath.Join("..", "..", "config", "samples")
)

// apiServer is the envtest API server shared by the package's tests, with
// the CRDs of crdDir installed; nil when KUBEBUILDER_ASSETS is not set.
// testEnv is its environment, for kubectl.
var (
	apiServer *rest.Config
	testEnv   *envtest.Environment
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	return s
}()

func TestMain(m *testing.M) {
	logf.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		os.Exit(m.Run()) // every test skips, or fails under CI (see config)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Start envtest with the CRDs of %s: %v\n", crdDir, err)
		os.Exit(1)
	}
	apiServer, testEnv = cfg, env
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "Stop envtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// config returns the envtest API server's config, skipping the test when
// there is none (failing it under CI).
func config(t *testing.T) *rest.Config {
	t.Helper()
	if apiServer == nil {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set: CI must run the tests through `make test`")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set: run `make test`")
	}
	return apiServer
}

// newClient returns a client that knows the Foreman types and asks the API
// server for the given field validation ("" leaves the server's default).
func newClient(t *testing.T, validation string) client.Client {
	t.Helper()
	c, err := client.New(config(t), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatalf("Create client: %v", err)
	}
	if validation != "" {
		c = client.WithFieldValidation(c, client.FieldValidation(validation))
	}
	return c
}

// strictClient is the client a careful user has: kubectl's default.
func strictClient(t *testing.T) client.Client {
	return newClient(t, metav1.FieldValidationStrict)
}

// namespace creates a namespace of the test's own.
func namespace(t *testing.T, c client.Client) string {
	t.Helper()
	return testcluster.Namespace(t, c, nil)
}

// foreman builds a Foreman named name in ns from the YAML of its spec, sent
// to the API server exactly as written. An empty specYAML leaves spec out.
func foreman(t *testing.T, ns, name, specYAML string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": appv1alpha1.GroupVersion.String(),
		"kind":       "Foreman",
		"metadata":   map[string]any{"name": name, "namespace": ns},
	}}
	if strings.TrimSpace(specYAML) != "" {
		var spec map[string]any
		if err := yaml.Unmarshal([]byte(specYAML), &spec); err != nil {
			t.Fatalf("Parse the spec of %s: %v\n%s", name, err, specYAML)
		}
		if spec == nil {
			spec = map[string]any{}
		}
		u.Object["spec"] = spec
	}
	return u
}

// get reads a Foreman back as the typed API.
func get(t *testing.T, c client.Client, ns, name string) *appv1alpha1.Foreman {
	t.Helper()
	var f appv1alpha1.Foreman
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &f); err != nil {
		t.Fatalf("Get Foreman %s/%s: %v", ns, name, err)
	}
	return &f
}
