package bundle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// kubectl is the local cluster's, which has kustomize built in.
func kubectl(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set: CI must run the tests through `make test`")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/cluster/build.sh)")
	}
	return filepath.Join(dir, "kubectl")
}

// TestTheCommittedBundleIsValid is `make bundle-validate` on the local
// cluster: every check passes, the dry runs of alm-examples included.
func TestTheCommittedBundleIsValid(t *testing.T) {
	k := kubectl(t)
	cfg := testcluster.Config(t)
	problems, err := Validate(context.Background(), ValidateOptions{Root: testrepo.Root(t), Kubectl: k, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// copyRepo copies what Validate reads into a temporary repository.
func copyRepo(t *testing.T) string {
	t.Helper()
	src, dir := testrepo.Root(t), t.TempDir()
	for _, sub := range []string{"bundle", "config", "roles"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(src, sub))); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(src, Dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, Dockerfile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// editCSV changes the CSV of the bundle under root.
func editCSV(t *testing.T, root string, edit func(csv map[string]any)) {
	t.Helper()
	path := filepath.Join(root, CSVFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var csv map[string]any
	if err := yaml.Unmarshal(data, &csv); err != nil {
		t.Fatal(err)
	}
	edit(csv)
	if data, err = yaml.Marshal(csv); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func field(m map[string]any, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(m, path...)
	return v
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

const noDryRun = "alm-examples were not dry-run"

// Validate reports what is wrong with a bundle; every case breaks one thing
// in a copy of the committed bundle and expects the problem that names it,
// and no other.
func TestValidateReportsWhatIsWrong(t *testing.T) {
	k := kubectl(t)
	cases := []struct {
		name    string
		breakIt func(t *testing.T, root string)
		want    string
	}{
		{"a CRD edited in the bundle", func(t *testing.T, root string) {
			replaceInFile(t, filepath.Join(root, ManifestsDir, "app.theforeman.org_foremen.yaml"), "shortNames:\n    - fm", "shortNames:\n    - fmn")
		}, "CRD foremen.app.theforeman.org differs from config/crd"},
		{"a permission config/rbac does not grant", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) {
				perms := field(csv, "spec", "install", "spec", "permissions").([]any)
				rules := perms[0].(map[string]any)
				rules["rules"] = append(rules["rules"].([]any), map[string]any{"apiGroups": []any{""}, "resources": []any{"serviceaccounts"}, "verbs": []any{"delete"}})
			})
		}, "grant delete core serviceaccounts, which config/rbac does not"},
		{"a permission config/rbac grants is gone", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) {
				perms := field(csv, "spec", "install", "spec", "permissions").([]any)
				p := perms[0].(map[string]any)
				rules := p["rules"].([]any)
				p["rules"] = rules[:len(rules)-1] // routes, which nothing else grants
			})
		}, "lack delete route.openshift.io routes, which config/rbac grants"},
		{"pods/exec", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) {
				perms := field(csv, "spec", "install", "spec", "permissions").([]any)
				p := perms[0].(map[string]any)
				p["rules"] = append(p["rules"].([]any), map[string]any{"apiGroups": []any{""}, "resources": []any{"pods/exec"}, "verbs": []any{"create"}})
			})
		}, "pods/exec runs commands"},
		{"a related image the roles do not deploy", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) {
				for _, r := range field(csv, "spec", "relatedImages").([]any) {
					if m := r.(map[string]any); m["name"] == "postgresql" {
						m["image"] = "quay.io/example/postgresql:13"
					}
				}
			})
		}, `relatedImages postgresql is "quay.io/example/postgresql:13", want "quay.io/sclorg/postgresql-16-c10s:latest"`},
		{"a role default that changed without the manager", func(t *testing.T, root string) {
			replaceInFile(t, filepath.Join(root, "roles", "foreman", "defaults", "main.yml"), "valkey-8-c10s:latest", "valkey-9-c10s:latest")
		}, `the deployment sets RELATED_IMAGE_REDIS="quay.io/sclorg/valkey-8-c10s:latest", the roles deploy "quay.io/sclorg/valkey-9-c10s:latest"`},
		{"no maintainers", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) { delete(field(csv, "spec").(map[string]any), "maintainers") })
		}, "spec.maintainers is empty"},
		{"an install mode left out", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) {
				spec := field(csv, "spec").(map[string]any)
				spec["installModes"] = spec["installModes"].([]any)[:3]
			})
		}, "install mode AllNamespaces is not supported"},
		{"a descriptor of no field", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) {
				owned := field(csv, "spec", "customresourcedefinitions", "owned").([]any)
				d := owned[0].(map[string]any)["specDescriptors"].([]any)[0].(map[string]any)
				d["path"] = "dynflow.workerz"
			})
		}, `spec descriptor "dynflow.workerz" is no field`},
		{"a deployment that drifted from config/default", func(t *testing.T, root string) {
			replaceInFile(t, filepath.Join(root, "config", "manager", "manager.yaml"), "memory: 512Mi", "memory: 1Gi")
		}, "deployment foreman-operator-controller-manager differs from config/default's"},
		{"a bundle image labelled for another channel", func(t *testing.T, root string) {
			replaceInFile(t, filepath.Join(root, Dockerfile), "channels.v1=alpha", "channels.v1=stable")
		}, "LABEL operators.operatorframework.io.bundle.channels.v1=\"stable\""},
		{"a version that is not semantic", func(t *testing.T, root string) {
			editCSV(t, root, func(csv map[string]any) { field(csv, "spec").(map[string]any)["version"] = "1.0" })
		}, `spec.version "1.0" is not a semantic version`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := copyRepo(t)
			c.breakIt(t, root)
			problems, err := Validate(context.Background(), ValidateOptions{Root: root, Kubectl: k})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q lack %q", problems, c.want)
			}
		})
	}
	t.Run("the unbroken copy has no problem but the skipped dry run", func(t *testing.T) {
		problems, err := Validate(context.Background(), ValidateOptions{Root: copyRepo(t), Kubectl: k})
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 1 || !strings.Contains(problems[0], noDryRun) {
			t.Errorf("problems %q, want only %q", problems, noDryRun)
		}
	})
}

// An example the API server refuses is reported with the server's reason.
func TestValidateDryRunsTheExamplesOnTheAPIServer(t *testing.T) {
	k := kubectl(t)
	cfg := testcluster.Config(t)
	cases := []struct {
		name string
		spec map[string]any
		want string
	}{
		{"a value out of bounds", map[string]any{"dynflow_workers": -1}, "spec.dynflow_workers"},
		{"an unknown field", map[string]any{"dynflow_workerz": 2}, `unknown field "spec.dynflow_workerz"`},
		{"a CEL rule broken", map[string]any{"plugins": map[string]any{"ansible": true, "remote_execution": false}}, "ansible needs remote_execution"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := copyRepo(t)
			editCSV(t, root, func(csv map[string]any) {
				ann := field(csv, "metadata", "annotations").(map[string]any)
				var examples []map[string]any
				if err := json.Unmarshal([]byte(ann["alm-examples"].(string)), &examples); err != nil {
					t.Fatal(err)
				}
				examples[0]["spec"] = c.spec
				data, _ := json.Marshal(examples)
				ann["alm-examples"] = string(data)
			})
			problems, err := Validate(context.Background(), ValidateOptions{Root: root, Kubectl: k, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0], "alm-examples[0] (Foreman myforeman) is refused by the API server") ||
				!strings.Contains(problems[0], c.want) {
				t.Errorf("problems %q, want only alm-examples[0] refused for %q", problems, c.want)
			}
		})
	}
}

// Render maps the operator's Deployment and RBAC onto OLM's terms.
func TestRenderMakesTheCSVFromTheConfig(t *testing.T) {
	objs, err := Kustomize(kubectl(t), filepath.Join(testrepo.Root(t), "config", "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(objs, Options{Version: "1.2.3", Image: "example.com/op:1.2.3", Channels: []string{"alpha", "stable"},
		DefaultChannel: "stable", Icon: []byte("<svg/>")})
	if err != nil {
		t.Fatal(err)
	}
	var csv map[string]any
	if err := yaml.Unmarshal(files[CSVFile], &csv); err != nil {
		t.Fatal(err)
	}
	if name := field(csv, "metadata", "name"); name != "foreman-operator.v1.2.3" {
		t.Errorf("name %v", name)
	}
	dep := field(csv, "spec", "install", "spec", "deployments").([]any)[0].(map[string]any)
	ctr := field(dep, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
	if ctr["image"] != "example.com/op:1.2.3" || field(csv, "metadata", "annotations", "containerImage") != "example.com/op:1.2.3" {
		t.Errorf("image %v, containerImage %v: want the given image", ctr["image"], field(csv, "metadata", "annotations", "containerImage"))
	}
	for _, e := range ctr["env"].([]any) {
		if m := e.(map[string]any); m["name"] == "WATCH_NAMESPACE" {
			if got := field(m, "valueFrom", "fieldRef", "fieldPath"); got != "metadata.annotations['olm.targetNamespaces']" {
				t.Errorf("WATCH_NAMESPACE from %v, want OLM's target namespaces", got)
			}
		}
	}
	perms := field(csv, "spec", "install", "spec", "permissions").([]any)
	if len(perms) != 1 || perms[0].(map[string]any)["serviceAccountName"] != "foreman-operator-controller-manager" {
		t.Errorf("permissions %v: want one entry for the Deployment's ServiceAccount", perms)
	}
	if cp := field(csv, "spec", "install", "spec", "clusterPermissions"); cp != nil {
		t.Errorf("clusterPermissions %v: config/default binds no ClusterRole", cp)
	}
	var names []string
	for _, r := range field(csv, "spec", "relatedImages").([]any) {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	if want := []string{"foreman-operator", "candlepin", "foreman", "foreman-proxy", "nginx", "postgresql", "pulp", "redis"}; !slices.Equal(names, want) {
		t.Errorf("relatedImages %v, want %v", names, want)
	}
	var examples []map[string]any
	if err := json.Unmarshal([]byte(field(csv, "metadata", "annotations", "alm-examples").(string)), &examples); err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 || field(examples[0], "metadata", "name") != "myforeman" || field(examples[0], "metadata", "namespace") != nil {
		t.Errorf("the first alm-example is %v: want the design's myforeman, without a namespace", examples[0]["metadata"])
	}
	if !strings.Contains(string(files[Annotations]), "channels.v1: alpha,stable") ||
		!strings.Contains(string(files[Dockerfile]), "LABEL operators.operatorframework.io.bundle.channel.default.v1=stable") {
		t.Errorf("channels are not in the metadata:\n%s\n%s", files[Annotations], files[Dockerfile])
	}
}
