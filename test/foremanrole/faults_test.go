package foremanrole_test

// Faults at the Foreman level: the operator killed in the middle of a run,
// secrets kept out of everything an admin can read while a run fails, and
// refusals that change nothing. The engine-level faults (API server
// outage, leader failover, full volume, churn) are in cmd/foreman-operator.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	"github.com/theforeman/foreman-operator/internal/testoperator"
	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// generatedSecrets maps the names of the generated Secrets to their UID and
// data.
func (e *env) generatedSecrets() map[string]string {
	e.t.Helper()
	var list corev1.SecretList
	if err := e.c.List(context.Background(), &list, client.InNamespace(e.ns),
		client.MatchingLabels{"app.theforeman.org/generated": "true"}); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range list.Items {
		out[s.Name] = fmt.Sprintf("uid %s data %v", s.UID, s.Data)
	}
	return out
}

func TestAnOperatorKilledMidRunConvergesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "killed"
	e.create(&appv1alpha1.Foreman{ObjectMeta: metav1.ObjectMeta{Name: name}})
	// The run waits for the migration Job once it has made it: the middle.
	testcluster.Eventually(t, firstRun, "the first run made the migration Job", func(context.Context) (bool, error) {
		if n := len(e.op.Entries("Ansible run succeeded")); n > 0 {
			t.Fatalf("the run ended before the test could kill it mid-run (%d runs)", n)
		}
		return len(e.children(name).Jobs) == 1, nil
	})
	secrets := e.generatedSecrets()
	if len(secrets) == 0 {
		t.Fatal("no generated Secrets mid-run")
	}
	procs := testoperator.Descendants(e.op.Cmd.Process.Pid)
	if len(procs) == 0 {
		t.Fatal("the operator has no run processes mid-run")
	}
	if err := syscall.Kill(e.op.Cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testcluster.Eventually(t, 15*time.Second, "the killed operator's run processes are gone", func(context.Context) (bool, error) {
		left := testoperator.Alive(procs)
		return len(left) == 0, fmt.Errorf("still alive: %v", left)
	})

	e.start()
	f := e.waitRun(name, "Successful", "", laterRun)
	e.waitRun(name, "Ready", "", laterRun)
	if c := condition(f, "Running"); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Running = %+v after converging, want False", c)
	}
	if got := e.generatedSecrets(); fmt.Sprint(got) != fmt.Sprint(secrets) {
		t.Errorf("generated Secrets changed across the kill:\nbefore %v\nafter  %v", secrets, got)
	}
	c := e.children(name)
	if len(c.Jobs) != 1 || !jobComplete(c.Jobs[0]) {
		t.Errorf("migration Jobs %v, want the one the killed run made, complete", jobStates(c.Jobs))
	}
}

// leakProbe is a secret value and the forms it could leak in.
func leakProbe(values ...string) []string {
	var out []string
	for _, v := range values {
		out = append(out, v, url.QueryEscape(v), base64.StdEncoding.EncodeToString([]byte(v)))
	}
	return out
}

// findLeaks returns where any of probes appears: the operator's log, the
// CR's status, the namespace's Events, the run artifacts.
func (e *env) findLeaks(name string, probes []string) []string {
	e.t.Helper()
	places := map[string]string{"operator log": e.op.Log()}
	status, err := yaml.Marshal(e.foreman(name).Status)
	if err != nil {
		e.t.Fatal(err)
	}
	places["CR status"] = string(status)
	var events corev1.EventList
	if err := e.c.List(context.Background(), &events, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range events.Items {
		places["Event "+ev.Name] = ev.Reason + " " + ev.Message
	}
	err = filepath.WalkDir(e.runnerDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err // latest links a run directory the walk reads anyway
		}
		b, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		places[path] = string(b)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var leaks []string
	for where, text := range places {
		for _, p := range probes {
			if strings.Contains(text, p) {
				leaks = append(leaks, fmt.Sprintf("%s holds %.4s…", where, p))
			}
		}
	}
	return leaks
}

// TestSecretsNeverLeakAndABrokenUserSecretChangesNothing deploys a Foreman
// with known passwords, breaks the user's database Secret so that runs
// fail after reading it, and looks for every secret value in what an admin
// can read.
func TestSecretsNeverLeakAndABrokenUserSecretChangesNothing(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "leaky"
	const dbPassword, adminPassword = "db-Pa55-9f3kq2", "admin-Pa55-x81mz7"
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-credentials"},
		StringData: map[string]string{"username": "foreman_app", "password": dbPassword}})
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "admin-password"},
		StringData: map[string]string{"password": adminPassword}})
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appv1alpha1.ForemanSpec{
			Admin: appv1alpha1.AdminSpec{PasswordSecret: &appv1alpha1.SecretKeyRef{Name: "admin-password"}},
			Database: appv1alpha1.DatabaseSpec{Mode: "external", External: &appv1alpha1.ExternalDatabase{
				Host: "db.example.com", CredentialsSecret: appv1alpha1.CredentialsSecret{Name: "db-credentials"},
			}},
		},
	})
	f := e.waitRun(name, "Successful", "", firstRun)
	before := e.children(name).versions()

	// The user's Secret loses its password: runs fail after reading it.
	var creds corev1.Secret
	key := types.NamespacedName{Namespace: e.ns, Name: "db-credentials"}
	if err := e.c.Get(context.Background(), key, &creds); err != nil {
		t.Fatal(err)
	}
	creds.Data = map[string][]byte{"username": []byte("foreman_app"), "pass": []byte(dbPassword)}
	if err := e.c.Update(context.Background(), &creds); err != nil {
		t.Fatal(err)
	}
	// A spec change makes the run happen now, not at the next resync.
	e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.DynflowWorkers = ptr.To[int32](2) })
	f = e.waitRun(name, "Failure", completion(f), laterRun)
	if msg := condition(f, "Failure").Message; !strings.Contains(msg, "db-credentials") {
		t.Errorf("Failure message %q does not name the Secret", msg)
	}
	if changed := changedVersions(before, e.children(name).versions()); len(changed) != 0 {
		t.Errorf("a run refused for a broken user Secret changed %v", changed)
	}

	probes := leakProbe(dbPassword, adminPassword)
	for gen := range e.generatedSecrets() {
		var s corev1.Secret
		if err := e.c.Get(context.Background(), types.NamespacedName{Namespace: e.ns, Name: gen}, &s); err != nil {
			t.Fatal(err)
		}
		for _, v := range s.Data {
			if len(v) >= 8 { // a password or key, not a user name or flag
				probes = append(probes, leakProbe(string(v))...)
			}
		}
	}
	if leaks := e.findLeaks(name, probes); len(leaks) != 0 {
		t.Errorf("secret values leaked (%d probes):\n%s", len(probes), strings.Join(leaks, "\n"))
	}
}

// TestAMissingUserSecretIsRefusedBeforeAnyRollout: the schema cannot know
// that a Secret the CR names does not exist; the run refuses, naming it,
// and makes no workload.
func TestAMissingUserSecretIsRefusedBeforeAnyRollout(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "nosecret"
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appv1alpha1.ForemanSpec{Database: appv1alpha1.DatabaseSpec{Mode: "external", External: &appv1alpha1.ExternalDatabase{
			Host: "db.example.com", CredentialsSecret: appv1alpha1.CredentialsSecret{Name: "no-such-secret"},
		}}},
	})
	f := e.waitRun(name, "Failure", "", laterRun)
	if msg := condition(f, "Failure").Message; !strings.Contains(msg, "no-such-secret") {
		t.Errorf("Failure message %q does not name the missing Secret", msg)
	}
	c := e.children(name)
	if len(c.Deployments)+len(c.StatefulSets)+len(c.Jobs)+len(c.CronJobs) != 0 {
		t.Errorf("workloads made before the refusal: Deployments %v, StatefulSets %v, Jobs %v",
			names(c.Deployments), names(c.StatefulSets), jobStates(c.Jobs))
	}
}
