package foremanrole_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// TestForemanWithRemoteExecution follows the design's example CR (with
// remote_execution only: Katello's services come with their own issue)
// through its life: deploy, a run that changes nothing, scaling, an upgrade,
// pausing and a refused downgrade. Each step builds on the one before.
func TestForemanWithRemoteExecution(t *testing.T) {
	e := startOperator(t)
	const name = "foreman"
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appv1alpha1.ForemanSpec{
			DynflowWorkers: ptr.To[int32](2),
			Plugins:        map[string]bool{"remote_execution": true},
		},
	})

	var last string // completion of the last run
	t.Run("the example CR reaches Successful with the expected objects", func(t *testing.T) {
		f := e.waitRun(name, "Successful", "", firstRun)
		last = completion(f)
		c := e.children(name)

		for _, want := range []string{"foreman-web", "foreman-dynflow-orchestrator", "foreman-dynflow-worker", "foreman-redis"} {
			if c.deployment(want) == nil {
				t.Errorf("no Deployment %s; have %v", want, names(c.Deployments))
			}
		}
		if d := c.deployment("foreman-dynflow-worker-hosts-queue"); d != nil {
			t.Error("a hosts_queue worker without Katello")
		}
		if d := c.deployment("foreman-dynflow-worker"); d != nil && *d.Spec.Replicas != 2 {
			t.Errorf("dynflow worker replicas %d, want 2", *d.Spec.Replicas)
		}
		if d := c.deployment("foreman-dynflow-orchestrator"); d != nil &&
			(*d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType) {
			t.Errorf("orchestrator: %d replicas, strategy %s; want 1, Recreate", *d.Spec.Replicas, d.Spec.Strategy.Type)
		}
		if got := names(c.StatefulSets); !slices.Equal(got, []string{"foreman-postgresql"}) {
			t.Errorf("StatefulSets %v, want [foreman-postgresql]", got)
		} else if p := c.StatefulSets[0].Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
			t.Errorf("PostgreSQL claims are not retained when the CR goes: %+v", p)
		}
		if len(c.Jobs) != 1 || !jobComplete(c.Jobs[0]) {
			t.Errorf("want one complete migration Job, have %v", jobStates(c.Jobs))
		}
		for _, want := range []string{"foreman", "foreman-postgresql", "foreman-redis"} {
			if !contains(names(c.Services), want) {
				t.Errorf("no Service %s; have %v", want, names(c.Services))
			}
		}
		cron := names(c.CronJobs)
		slices.Sort(cron)
		if want := []string{"foreman-cron-daily", "foreman-cron-hourly", "foreman-cron-monthly", "foreman-cron-weekly"}; !slices.Equal(cron, want) {
			t.Errorf("CronJobs %v, want %v", cron, want)
		}
		for _, cj := range c.CronJobs {
			if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				t.Errorf("CronJob %s: concurrencyPolicy %s, want Forbid", cj.Name, cj.Spec.ConcurrencyPolicy)
			}
		}
		for _, want := range []string{"foreman-admin", "foreman-encryption-key", "foreman-oauth", "foreman-postgresql", "foreman-redis", "foreman-settings", "foreman-env"} {
			if !contains(names(c.Secrets), want) {
				t.Errorf("no Secret %s; have %v", want, names(c.Secrets))
			}
		}
		if key := e.secretData("foreman-encryption-key", "encryption_key"); len(key) != 32 || strings.Trim(key, "0123456789abcdef") != "" {
			t.Errorf("encryption key is not 32 hex digits (length %d)", len(key))
		}
		if e.secretData("foreman-admin", "password") == "" {
			t.Error("the admin Secret has no password")
		}

		env := configMap(t, c, "foreman-env")
		if got := env["FOREMAN_ENABLED_PLUGINS"]; got != "foreman-tasks foreman_remote_execution" {
			t.Errorf("FOREMAN_ENABLED_PLUGINS %q, want the plugin and its dependency", got)
		}
		settings := e.secretData("foreman-settings", "settings.yaml")
		for _, want := range []string{":foreman_url:", ":oauth_consumer_key:", ":oauth_consumer_secret:", ":rails_cache_store:", "/4\"]"} {
			if !strings.Contains(settings, want) {
				t.Errorf("settings.yaml lacks %s", want)
			}
		}

		if f.Status.Version != "3.16" || f.Status.AdminSecret != "foreman-admin" ||
			!slices.Equal(f.Status.Plugins, []string{"remote_execution"}) || f.Status.URL == "" {
			t.Errorf("status: version %q, admin_secret %q, plugins %v, url %q", f.Status.Version, f.Status.AdminSecret, f.Status.Plugins, f.Status.URL)
		}
		if c := condition(f, "Paused"); c == nil || c.Status != metav1.ConditionFalse {
			t.Errorf("Paused condition %+v, want False", c)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("the Foreman owns a SmartProxy with remote_execution_ssh", func(t *testing.T) {
		f := e.foreman(name)
		sp := e.smartProxy(name + "-proxy")
		if ref := metav1.GetControllerOf(sp); ref == nil || ref.UID != f.UID || ref.Kind != "Foreman" {
			t.Errorf("SmartProxy %s is controlled by %+v, want the Foreman %s", sp.Name, ref, f.UID)
		}
		if sp.Spec.Foreman.Name != name || !slices.Equal(sp.Spec.Features, []string{"remote_execution_ssh"}) || sp.Spec.Version != "3.16" {
			t.Errorf("SmartProxy spec: foreman %+v, features %v, version %q", sp.Spec.Foreman, sp.Spec.Features, sp.Spec.Version)
		}
		if f.Status.SmartProxy != sp.Name {
			t.Errorf("Foreman status smart_proxy %q, want %s", f.Status.SmartProxy, sp.Name)
		}
	})

	t.Run("every pod passes the restricted Pod Security Standard", func(t *testing.T) {
		e.checkRestrictedPods(t, name)
	})

	t.Run("a second run changes nothing", func(t *testing.T) {
		last = e.checkSecondRunChangesNothing(t, name, last)
	})

	t.Run("the status reporter says Ready once every component is", func(t *testing.T) {
		f := e.waitRun(name, "Ready", "", laterRun)
		var got []string
		for _, c := range f.Status.Components {
			got = append(got, c.Name)
			if !c.Ready {
				t.Errorf("component %s not ready while Ready=True: %s", c.Name, c.Message)
			}
		}
		for _, want := range []string{"web", "dynflow-orchestrator", "dynflow-worker", "postgresql", "redis", "migration", "smart-proxy"} {
			if !contains(got, want) {
				t.Errorf("components %v lack %s", got, want)
			}
		}
		// The child is Ready on its own: deployed, and registered in this
		// Foreman through its Service, with its OAuth Secret.
		sp := e.smartProxy(name + "-proxy")
		wantURL := "http://" + name + "." + e.ns + ".svc:3000"
		if !sp.Status.Registered || sp.Status.ForemanURL != wantURL || sp.Status.URL != "https://"+name+"-proxy."+e.ns+".svc:8443" {
			t.Errorf("SmartProxy status: registered %v, foreman_url %q (want %s), url %q", sp.Status.Registered, sp.Status.ForemanURL, wantURL, sp.Status.URL)
		}
		var jobs batchv1.JobList
		if err := e.c.List(context.Background(), &jobs, client.InNamespace(e.ns),
			client.MatchingLabels{"app.kubernetes.io/instance": name + "-proxy", "app.kubernetes.io/component": "registration"}); err != nil {
			t.Fatal(err)
		}
		if len(jobs.Items) != 1 {
			t.Fatalf("registration Jobs %v, want one", names(jobs.Items))
		}
		env := map[string]corev1.EnvVar{}
		for _, v := range jobs.Items[0].Spec.Template.Spec.Containers[0].Env {
			env[v.Name] = v
		}
		if env["FOREMAN_URL"].Value != wantURL || env["FOREMAN_OAUTH_CONSUMER_SECRET"].ValueFrom == nil ||
			env["FOREMAN_OAUTH_CONSUMER_SECRET"].ValueFrom.SecretKeyRef.Name != name+"-oauth" {
			t.Errorf("registration Job env %+v: want FOREMAN_URL %s and the credentials of %s-oauth", env, wantURL, name)
		}
	})

	t.Run("a deleted Deployment and an edited ConfigMap come back", func(t *testing.T) {
		ctx := context.Background()
		web := &appsv1.Deployment{}
		key := client.ObjectKey{Namespace: e.ns, Name: name + "-web"}
		if err := e.c.Get(ctx, key, web); err != nil {
			t.Fatal(err)
		}
		uid := web.UID
		if err := e.c.Delete(ctx, web); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, laterRun, "web Deployment restored", func(ctx context.Context) (bool, error) {
			err := e.c.Get(ctx, key, web)
			return err == nil && web.UID != uid, err
		})
		cm := &corev1.ConfigMap{}
		cmKey := client.ObjectKey{Namespace: e.ns, Name: name + "-env"}
		if err := e.c.Get(ctx, cmKey, cm); err != nil {
			t.Fatal(err)
		}
		var k, orig string
		for k, orig = range cm.Data {
			break
		}
		cm.Data[k] = "edited by hand"
		if err := e.c.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, laterRun, "edited ConfigMap restored", func(ctx context.Context) (bool, error) {
			if err := e.c.Get(ctx, cmKey, cm); err != nil {
				return false, err
			}
			return cm.Data[k] == orig, fmt.Errorf("%s = %q", k, cm.Data[k])
		})
		// Let the remediation runs finish before the next step counts changes.
		testcluster.Eventually(t, laterRun, "remediation runs finished", func(ctx context.Context) (bool, error) {
			f := e.foreman(name)
			r, s := condition(f, "Running"), condition(f, "Successful")
			ok := r != nil && r.Status == metav1.ConditionFalse && s != nil && s.Status == metav1.ConditionTrue && completion(f) != last
			if ok {
				last = completion(f)
			}
			return ok, fmt.Errorf("running %v successful %v", r, s)
		})
	})

	t.Run("deleting the SmartProxy leaves the Foreman untouched; the Foreman makes it again", func(t *testing.T) {
		ctx := context.Background()
		before := e.children(name).versions()
		generation := e.foreman(name).Generation
		pub := e.secretData(name+"-proxy-ssh", "id_rsa_foreman_proxy.pub")
		sp := e.smartProxy(name + "-proxy")
		if err := e.c.Delete(ctx, sp); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, laterRun, "a new SmartProxy Ready", func(ctx context.Context) (bool, error) {
			got := &appv1alpha1.SmartProxy{}
			if err := e.c.Get(ctx, client.ObjectKeyFromObject(sp), got); err != nil {
				return false, err
			}
			c := findCondition(got.Status.Conditions, "Ready")
			return got.UID != sp.UID && c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == got.Generation,
				fmt.Errorf("uid %s (was %s), Ready %+v", got.UID, sp.UID, c)
		})
		f := e.waitRun(name, "Ready", "", laterRun)
		last = completion(f)
		if f.Generation != generation {
			t.Errorf("the Foreman's generation went from %d to %d", generation, f.Generation)
		}
		if changed := changedVersions(before, e.children(name).versions()); len(changed) > 0 {
			t.Errorf("deleting the SmartProxy changed the Foreman's %v", changed)
		}
		if got := e.secretData(name+"-proxy-ssh", "id_rsa_foreman_proxy.pub"); got != pub {
			t.Error("the SmartProxy made again has another SSH key: the generated key pair must outlive it")
		}
	})

	t.Run("dynflow_workers 2 to 5 changes the worker Deployment only", func(t *testing.T) {
		before := e.children(name).versions()
		e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.DynflowWorkers = ptr.To[int32](5) })
		f := e.waitRun(name, "Successful", last, laterRun)
		last = completion(f)
		c := e.children(name)
		if changed := changedVersions(before, c.versions()); !slices.Equal(changed, []string{"Deployment/foreman-dynflow-worker"}) {
			t.Errorf("changed: %v, want only Deployment/foreman-dynflow-worker", changed)
		}
		if d := c.deployment("foreman-dynflow-worker"); d == nil || *d.Spec.Replicas != 5 {
			t.Errorf("worker Deployment %v, want 5 replicas", d)
		}
	})

	t.Run("smart_proxy.external removes the SmartProxy child", func(t *testing.T) {
		e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.SmartProxy = &appv1alpha1.ForemanSmartProxy{External: true} })
		f := e.waitRun(name, "Successful", last, laterRun)
		last = completion(f)
		err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name + "-proxy"}, &appv1alpha1.SmartProxy{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("SmartProxy %s-proxy: %v; want it deleted", name, err)
		}
		if f.Status.SmartProxy != "" {
			t.Errorf("status smart_proxy %q, want none", f.Status.SmartProxy)
		}
		f = e.waitRun(name, "Ready", "", laterRun)
		for _, c := range f.Status.Components {
			if c.Name == "smart-proxy" {
				t.Errorf("the external proxy is still a component: %+v", c)
			}
		}
	})

	t.Run("turning Katello on migrates for the new plugin set and adds the hosts_queue worker", func(t *testing.T) {
		before := e.children(name)
		old := before.Jobs
		e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.Plugins["katello"] = true })
		f := e.waitRun(name, "Successful", last, firstRun)
		last = completion(f)
		c := e.children(name)
		if len(c.Jobs) != 1 || c.Jobs[0].Name == old[0].Name || !jobComplete(c.Jobs[0]) {
			t.Errorf("migration Jobs %v (before: %v), want one new complete Job", jobStates(c.Jobs), jobStates(old))
		}
		if got := configMap(t, c, "foreman-env")["FOREMAN_ENABLED_PLUGINS"]; got != "foreman-tasks foreman_remote_execution katello" {
			t.Errorf("FOREMAN_ENABLED_PLUGINS %q", got)
		}
		if d := c.deployment("foreman-dynflow-worker-hosts-queue"); d == nil || *d.Spec.Replicas != 1 {
			t.Errorf("hosts_queue worker %v, want 1 replica", d)
		}
		if !slices.Equal(f.Status.Plugins, []string{"katello", "remote_execution"}) {
			t.Errorf("status plugins %v", f.Status.Plugins)
		}
		// The configuration changed, so the pods roll.
		const checksum = "checksum/config"
		was, now := before.deployment("foreman-web").Spec.Template.Annotations[checksum], c.deployment("foreman-web").Spec.Template.Annotations[checksum]
		if was == "" || was == now {
			t.Errorf("web pod template %s was %q, is %q: want a new checksum", checksum, was, now)
		}
	})

	t.Run("a version bump migrates first, then rolls the pods", func(t *testing.T) {
		old := e.children(name).Jobs
		e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.Version = "3.17" })
		f := e.waitRun(name, "Successful", last, firstRun)
		last = completion(f)
		c := e.children(name)
		if len(c.Jobs) != 1 || c.Jobs[0].Name == old[0].Name || !jobComplete(c.Jobs[0]) {
			t.Fatalf("migration Jobs %v (before: %v), want one new complete Job", jobStates(c.Jobs), jobStates(old))
		}
		if got := c.Jobs[0].Labels["app.theforeman.org/version"]; got != "3.17" {
			t.Errorf("migration Job version %q", got)
		}
		web := c.deployment("foreman-web")
		if img := web.Spec.Template.Spec.Containers[0].Image; img != "quay.io/foreman/foreman:3.17" {
			t.Errorf("web image %s", img)
		}
		if v := web.Annotations["app.theforeman.org/version"]; v != "3.17" || f.Status.Version != "3.17" {
			t.Errorf("recorded version %q, status version %q, want 3.17", v, f.Status.Version)
		}
		// The pods rolled after the migration: the web ReplicaSet of 3.17
		// was made after the Job completed.
		var rss appsv1.ReplicaSetList
		if err := e.c.List(context.Background(), &rss, client.InNamespace(e.ns),
			client.MatchingLabels{"app.kubernetes.io/instance": name, "app.kubernetes.io/component": "web", "app.kubernetes.io/version": "3.17"}); err != nil {
			t.Fatal(err)
		}
		done := c.Jobs[0].Status.CompletionTime
		if len(rss.Items) == 0 || done == nil || rss.Items[0].CreationTimestamp.Before(done) {
			t.Errorf("web ReplicaSet of 3.17 %v, migration completed at %v: want the ReplicaSet after the migration", names(rss.Items), done)
		}
	})

	t.Run("paused changes nothing", func(t *testing.T) {
		before := e.children(name).versions()
		e.update(name, func(f *appv1alpha1.Foreman) {
			f.Spec.Paused = true
			f.Spec.DynflowWorkers = ptr.To[int32](1)
		})
		f := e.waitRun(name, "Successful", last, laterRun)
		last = completion(f)
		if c := condition(f, "Paused"); c == nil || c.Status != metav1.ConditionTrue {
			t.Errorf("Paused condition %+v, want True", c)
		}
		if changed := changedVersions(before, e.children(name).versions()); len(changed) > 0 {
			t.Errorf("a paused run changed %v", changed)
		}
	})

	t.Run("a downgrade is refused and changes nothing", func(t *testing.T) {
		before := e.children(name).versions()
		e.update(name, func(f *appv1alpha1.Foreman) {
			f.Spec.Paused = false
			f.Spec.Version = "3.16"
		})
		f := e.waitRun(name, "Failure", last, laterRun)
		if msg := condition(f, "Failure").Message; !strings.Contains(msg, "downgrade from 3.17 to 3.16 is refused") {
			t.Errorf("Failure message %q", msg)
		}
		if changed := changedVersions(before, e.children(name).versions()); len(changed) > 0 {
			t.Errorf("a refused downgrade changed %v", changed)
		}
	})

	t.Run("deleting the CR keeps the database claim and the generated Secrets", func(t *testing.T) {
		ctx := context.Background()
		var secrets []corev1.Secret // the generated ones, which outlive the CR
		for _, s := range e.children(name).Secrets {
			if s.Labels["app.theforeman.org/generated"] == "true" {
				secrets = append(secrets, s)
			}
		}
		f := e.foreman(name)
		if err := e.c.Delete(ctx, f); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, laterRun, "Foreman gone and its workloads collected", func(ctx context.Context) (bool, error) {
			err := e.c.Get(ctx, client.ObjectKeyFromObject(f), f)
			web := &appsv1.Deployment{}
			werr := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name + "-web"}, web)
			return apierrors.IsNotFound(err) && apierrors.IsNotFound(werr), fmt.Errorf("foreman: %v, web: %v", err, werr)
		})
		pvc := &corev1.PersistentVolumeClaim{}
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: "data-" + name + "-postgresql-0"}, pvc); err != nil {
			t.Errorf("the database claim: %v", err)
		}
		if len(secrets) == 0 {
			t.Fatal("the Foreman had no generated Secrets to keep")
		}
		for _, s := range secrets {
			if err := e.c.Get(ctx, client.ObjectKeyFromObject(&s), &corev1.Secret{}); err != nil {
				t.Errorf("Secret %s after the CR's deletion: %v", s.Name, err)
			}
		}
	})
}

// TestForemanWithExternalDatabase deploys no PostgreSQL and connects to the
// database the CR names, with the credentials of the Secret it names.
func TestForemanWithExternalDatabase(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "foreman-ext"
	// A password that needs URL encoding.
	const password = "p@ss/w:rd%1"
	e.create(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db-credentials"},
		StringData: map[string]string{"user": "foreman_app", "password": password},
	})
	e.create(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db-ca"},
		StringData: map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"},
	})
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appv1alpha1.ForemanSpec{
			Plugins: map[string]bool{"remote_execution": true},
			Database: appv1alpha1.DatabaseSpec{
				Mode: "external",
				External: &appv1alpha1.ExternalDatabase{
					Host:              "db.example.com",
					Port:              5433,
					Name:              "foreman_prod",
					CredentialsSecret: appv1alpha1.CredentialsSecret{Name: "db-credentials", UsernameKey: "user"},
					SSLMode:           "verify-full",
					CASecret:          &appv1alpha1.SecretKeyRef{Name: "db-ca"},
				},
			},
		},
	})
	e.waitRun(name, "Successful", "", firstRun)
	c := e.children(name)

	if len(c.StatefulSets) != 0 || contains(names(c.Services), name+"-postgresql") || contains(names(c.Secrets), name+"-postgresql") {
		t.Errorf("a PostgreSQL for an external database: StatefulSets %v, Services %v, Secrets %v",
			names(c.StatefulSets), names(c.Services), names(c.Secrets))
	}
	want := "postgresql://foreman_app:" + url.QueryEscape(password) + "@db.example.com:5433/foreman_prod" +
		"?pool=9&sslmode=verify-full&sslrootcert=/etc/foreman/db-tls/ca.crt"
	if got := e.secretData(name+"-env", "DATABASE_URL"); got != want {
		t.Errorf("DATABASE_URL\n got %s\nwant %s", got, want)
	}
	for _, cm := range c.ConfigMaps {
		for k, v := range cm.Data {
			if strings.Contains(v, password) || strings.Contains(v, url.QueryEscape(password)) {
				t.Errorf("ConfigMap %s key %s holds the database password", cm.Name, k)
			}
		}
	}
	web := c.deployment(name + "-web")
	if web == nil {
		t.Fatalf("no web Deployment; have %v", names(c.Deployments))
	}
	var ca bool
	for _, v := range web.Spec.Template.Spec.Volumes {
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				ca = ca || (s.Secret != nil && s.Secret.Name == "db-ca")
			}
		}
	}
	if !ca {
		t.Errorf("the web pods do not mount the database CA: volumes %+v", web.Spec.Template.Spec.Volumes)
	}
	if len(c.Jobs) != 1 || !jobComplete(c.Jobs[0]) {
		t.Errorf("want one complete migration Job, have %v", jobStates(c.Jobs))
	}
	e.waitWorkloads(name, 2*time.Minute)
	e.checkPodTemplates(c)

	// Another exposure: the Ingress goes, the Service becomes a NodePort
	// and the URL names the port the API server allocated.
	e.update(name, func(f *appv1alpha1.Foreman) {
		f.Spec.Hostname = "foreman.example.com"
		f.Spec.Ingress.Type = "nodeport"
	})
	f := e.waitRun(name, "Successful", "", laterRun)
	c = e.children(name)
	if len(c.Ingresses) != 0 {
		t.Errorf("Ingresses %v left after switching to nodeport", names(c.Ingresses))
	}
	svc := &corev1.Service{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Type != corev1.ServiceTypeNodePort || svc.Spec.Ports[0].NodePort == 0 {
		t.Fatalf("web Service %s %+v, want a NodePort", svc.Spec.Type, svc.Spec.Ports)
	}
	if want := "http://foreman.example.com:" + strconv.Itoa(int(svc.Spec.Ports[0].NodePort)); f.Status.URL != want {
		t.Errorf("status url %q, want %q", f.Status.URL, want)
	}
}

// TestAPluginConflictIsRefused: a conflict the CRD's rules cannot see (a
// plugin needed two steps away is set to false) ends the run before anything
// is made, with a message that names the chain.
func TestAPluginConflictIsRefused(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "conflict"
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       appv1alpha1.ForemanSpec{Plugins: map[string]bool{"openscap": true, "remote_execution": false}},
	})
	f := e.waitRun(name, "Failure", "", laterRun)
	want := "plugins: openscap needs ansible, ansible needs remote_execution, which is set to false"
	if msg := condition(f, "Failure").Message; !strings.Contains(msg, want) {
		t.Errorf("Failure message %q, want it to contain %q", msg, want)
	}
	if v := e.children(name).versions(); len(v) != 0 {
		t.Errorf("a refused run made %v", v)
	}
}

func jobComplete(j batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func jobStates(jobs []batchv1.Job) []string {
	var out []string
	for _, j := range jobs {
		state := "running"
		if jobComplete(j) {
			state = "complete"
		}
		out = append(out, j.Name+" "+state)
	}
	return out
}

func configMap(t *testing.T, c children, name string) map[string]string {
	t.Helper()
	for _, cm := range c.ConfigMaps {
		if cm.Name == name {
			return cm.Data
		}
	}
	t.Fatalf("no ConfigMap %s; have %v", name, names(c.ConfigMaps))
	return nil
}
