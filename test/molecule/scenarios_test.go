package molecule_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/theforeman/foreman-operator/internal/molecule"
	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
)

// required are the scenarios the design asks for; molecule/ may hold more.
var required = []string{"default", "external-database", "transitional", "smartproxy", "upgrade",
	"remediation", "least-privilege", "restricted"}

// TestEveryScenarioIsMolecule6 loads each scenario of molecule/ as Molecule
// 6 would, strictly, and checks that the playbooks it names exist: create,
// converge, verify and destroy for every one. The required scenarios are
// all there.
func TestEveryScenarioIsMolecule6(t *testing.T) {
	root := repoRoot(t)
	names, err := molecule.Scenarios(root)
	if err != nil || len(names) == 0 || names[0] != "default" {
		t.Fatalf("scenarios %v, %v: want default first", names, err)
	}
	for _, want := range required {
		if !slices.Contains(names, want) {
			t.Errorf("molecule/%s is missing: the scenarios are %v", want, names)
		}
	}
	for _, name := range names {
		s, err := molecule.Load(root, name, t.TempDir(), nil)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, action := range []string{"create", "converge", "verify", "destroy"} {
			if s.Playbook(action) == "" {
				t.Errorf("scenario %s has no %s playbook", name, action)
			}
		}
		for action, path := range s.Config.Provisioner.Playbooks {
			if s.Playbook(action) == "" {
				t.Errorf("scenario %s: provisioner.playbooks.%s: %s does not exist", name, action, path)
			}
		}
	}
}

// scenarioTimeout bounds one scenario on a machine other tests load too;
// a scenario takes one to two minutes alone.
const scenarioTimeout = 15 * time.Minute

// TestScenarios runs Molecule's test sequence of every scenario of
// molecule/ on the local cluster, in parallel, each in its own namespace
// with its own operator (the binary built once, run out of the cluster:
// pods never run here), as `make molecule` does. A failed scenario's
// output, with the dump of its custom resources, children, Events and
// operator log, is in the test log.
func TestScenarios(t *testing.T) {
	testcluster.Config(t) // skips without a cluster, fails without one under CI
	needAnsible(t)
	kubeconfig := os.Getenv(testcluster.KubeconfigEnv)
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/cluster/build.sh)")
	}
	root := repoRoot(t)
	binary := testoperator.Binary(t)
	names, err := molecule.Scenarios(root)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var summary []string
	t.Cleanup(func() { t.Logf("scenario durations:\n%s", strings.Join(summary, "")) })
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := os.Create(filepath.Join(t.TempDir(), "molecule.log"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
			defer cancel()
			report, err := molecule.Run(ctx, molecule.Options{
				Project:   root,
				Scenario:  name,
				Ephemeral: t.TempDir(),
				Env: []string{
					"KUBECONFIG=" + kubeconfig,
					"K8S_AUTH_KUBECONFIG=" + kubeconfig,
					"KUBECTL=" + filepath.Join(assets, "kubectl"),
					"FOREMAN_OPERATOR_BINARY=" + binary,
					"FOREMAN_MOLECULE_OPERATOR_MODE=local",
				},
				OnFailure: "molecule/shared/dump.yml",
				Out:       out,
			})
			if report != nil {
				mu.Lock()
				summary = append(summary, report.String())
				mu.Unlock()
			}
			if err != nil {
				data, _ := os.ReadFile(out.Name())
				t.Fatalf("%v\n%s\n--- output of scenario %s:\n%s", err, report, name, data)
			}
		})
	}
}
