package proxy

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

// ansiblePlaybook is Debian's ansible-core; its shebang picks the system Python,
// which can import ansible and the kubernetes client (the first python3 on PATH
// may not).
const ansiblePlaybook = "/usr/bin/ansible-playbook"

// upstreamRole is what an upstream-style role does: plain kubernetes.core.k8s
// tasks whose templates say nothing about owners.
const upstreamRole = `
- name: Deploy
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: /usr/bin/python3
  tasks:
    - name: Create the settings and the web deployment
      kubernetes.core.k8s:
        state: present
        definition:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: "{{ owner_namespace }}"}
            data: {foreman_url: "https://foreman.example.com"}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: "{{ owner_namespace }}"}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                    - {name: web, image: "quay.io/foreman/foreman:nightly"}
    - name: Create the monitoring settings in another namespace
      kubernetes.core.k8s:
        state: present
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: monitoring, namespace: "{{ other_namespace }}"}
          data: {scrape: "true"}
    - name: Create the cluster role
      kubernetes.core.k8s:
        state: present
        definition:
          apiVersion: rbac.authorization.k8s.io/v1
          kind: ClusterRole
          metadata: {name: "{{ cluster_role }}"}
          rules:
            - {apiGroups: [""], resources: [configmaps], verbs: [get]}
`

// runPlaybook runs playbook against the proxy with kubeconfig, the way the
// runner does, and returns the stats of host localhost.
func runPlaybook(t *testing.T, playbook string, kubeconfig []byte, vars map[string]string) map[string]int {
	t.Helper()
	if _, err := os.Stat(ansiblePlaybook); err != nil {
		t.Skipf("Ansible integration test needs %s (Debian package ansible-core): %v", ansiblePlaybook, err)
	}
	dir := t.TempDir()
	extra, err := json.Marshal(vars)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"playbook.yml": []byte(playbook), "ansible.cfg": nil, "kubeconfig": kubeconfig}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ansiblePlaybook, "playbook.yml", "-e", string(extra))
	cmd.Dir = dir
	kc := filepath.Join(dir, "kubeconfig")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kc, "K8S_AUTH_KUBECONFIG="+kc, "ANSIBLE_STDOUT_CALLBACK=json",
		"ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_INVENTORY_UNPARSED_WARNING=false",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"), "ANSIBLE_HOME="+filepath.Join(dir, "home"))
	out, err := cmd.Output()
	var result struct {
		Stats map[string]map[string]int `json:"stats"`
	}
	if jerr := json.Unmarshal(out, &result); jerr != nil || err != nil {
		t.Fatalf("ansible-playbook: %v (decode: %v)\n%s", err, jerr, out)
	}
	stats := result.Stats["localhost"]
	if stats["failures"] != 0 || stats["unreachable"] != 0 {
		t.Fatalf("ansible-playbook failed: %v\n%s", stats, out)
	}
	return stats
}

// runCommand runs a command and returns its combined output.
func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

func TestAnUpstreamRoleRunsUnchangedAndItsObjectsAreOwned(t *testing.T) {
	c := admin(t)
	ctx := context.Background()
	p, rec := startProxy(t)
	owner := newOwner(t, c)
	other := testcluster.Namespace(t, c, nil)
	clusterRole := "foreman-proxy-test-" + rand.String(5)
	t.Cleanup(func() {
		err := c.Delete(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: clusterRole}})
		if client.IgnoreNotFound(err) != nil {
			t.Errorf("delete ClusterRole %s: %v", clusterRole, err)
		}
	})
	vars := map[string]string{"owner_namespace": owner.Namespace, "other_namespace": other, "cluster_role": clusterRole}
	_, kubeconfig := runConfig(t, p, owner)

	settings := &corev1.ConfigMap{}
	web := &appsv1.Deployment{}
	monitoring := &corev1.ConfigMap{}
	role := &rbacv1.ClusterRole{}
	objects := []struct {
		obj     client.Object
		key     client.ObjectKey
		ownedBy string
	}{
		{settings, client.ObjectKey{Namespace: owner.Namespace, Name: "settings"}, OwnedByOwnerRef},
		{web, client.ObjectKey{Namespace: owner.Namespace, Name: "web"}, OwnedByOwnerRef},
		{monitoring, client.ObjectKey{Namespace: other, Name: "monitoring"}, OwnedByAnnotation},
		{role, client.ObjectKey{Name: clusterRole}, OwnedByAnnotation},
	}

	for run, wantChanged := range []int{3, 0} { // the tasks that create, then none
		stats := runPlaybook(t, upstreamRole, kubeconfig, vars)
		if stats["changed"] != wantChanged {
			t.Errorf("run %d: changed=%d, want %d", run+1, stats["changed"], wantChanged)
		}
		writes := rec.all()
		for _, o := range objects {
			if err := c.Get(ctx, o.key, o.obj); err != nil {
				t.Fatalf("run %d: get %s: %v", run+1, o.key, err)
			}
			if o.ownedBy == OwnedByOwnerRef {
				wantOwnerRef(t, o.obj, owner)
			} else {
				ann := o.obj.GetAnnotations()
				if ann[PrimaryResourceAnnotation] != owner.Namespace+"/"+owner.Name ||
					ann[PrimaryResourceTypeAnnotation] != "Foreman.test.theforeman.org" || len(o.obj.GetOwnerReferences()) != 0 {
					t.Errorf("run %d: %s: annotations %v, owner references %v; want the primary-resource annotations",
						run+1, o.key, ann, o.obj.GetOwnerReferences())
				}
			}
			// The last report of each object carries its current resourceVersion.
			var last *Write
			for i := range writes {
				if writes[i].Namespace == o.key.Namespace && writes[i].Name == o.key.Name {
					last = &writes[i]
				}
			}
			if last == nil || last.ResourceVersion != o.obj.GetResourceVersion() || last.OwnedBy != o.ownedBy ||
				last.Created != (run == 0) {
				t.Errorf("run %d: %s: last OnWrite report %+v, want resourceVersion %s, owned by %s, created %v",
					run+1, o.key, last, o.obj.GetResourceVersion(), o.ownedBy, run == 0)
			}
		}
	}
}
