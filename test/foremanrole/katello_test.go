package foremanrole_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/testcluster"
	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// A first run with Katello waits for three Jobs (the databases, Pulp's and
// Foreman's migrations) that kwok completes in about ten seconds each, and
// generates a CA; the machine may be loaded.
const katelloFirstRun = 8 * time.Minute

// katelloComponents are the components Katello adds to the status when
// every service is managed.
var katelloComponents = []string{"databases", "candlepin", "pulp-migration", "pulp-admin", "dynflow-worker-hosts-queue", "katello-events",
	"pulp-api", "pulp-content", "pulp-worker", "pulp-registration"}

// TestTheDesignsExampleWithKatello follows config/samples/app_v1alpha1_foreman.yaml,
// the design's example CR as written (in the test's namespace), through its
// life: every Katello component deployed and wired, Ready, a second run that
// changes nothing, a CA that survives an operator restart, and Katello
// turned off. Each step builds on the one before.
func TestTheDesignsExampleWithKatello(t *testing.T) {
	e := startOperator(t)
	raw, err := os.ReadFile(filepath.Join(testrepo.Root(t), "config", "samples", "app_v1alpha1_foreman.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sample := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &sample.Object); err != nil {
		t.Fatal(err)
	}
	e.create(sample)
	name := sample.GetName()
	svc := func(service string) string { return name + "-" + service + "." + e.ns + ".svc" }
	hostname := name + "." + e.ns + ".svc" // the default: the web Service's name

	var last string
	t.Run("every Katello workload is deployed and wired to the others", func(t *testing.T) {
		f := e.waitRun(name, "Successful", "", katelloFirstRun)
		last = completion(f)
		c := e.children(name)

		for _, want := range []string{"candlepin", "pulp-api", "pulp-content", "pulp-worker", "katello-events", "dynflow-worker-hosts-queue",
			"web", "dynflow-orchestrator", "dynflow-worker", "redis"} {
			if c.deployment(name+"-"+want) == nil {
				t.Errorf("no Deployment %s-%s; have %v", name, want, names(c.Deployments))
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		candlepin := c.deployment(name + "-candlepin")
		ctr := candlepin.Spec.Template.Spec.Containers[0]
		if *candlepin.Spec.Replicas != 1 || candlepin.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("Candlepin: %d replicas, strategy %s; want 1, Recreate", *candlepin.Spec.Replicas, candlepin.Spec.Strategy.Type)
		}
		if p := ctr.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/candlepin/status" || p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("Candlepin readiness probe %+v, want HTTPS GET /candlepin/status", p)
		}
		if len(ctr.Ports) == 0 || ctr.Ports[0].ContainerPort != 23443 {
			t.Errorf("Candlepin ports %+v, want 23443 first", ctr.Ports)
		}
		if d := c.deployment(name + "-katello-events"); *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("event daemon: %d replicas, strategy %s; want a Recreate singleton", *d.Spec.Replicas, d.Spec.Strategy.Type)
		}
		if d := c.deployment(name + "-pulp-worker"); *d.Spec.Replicas != 2 {
			t.Errorf("Pulp workers %d, want the default 2", *d.Spec.Replicas)
		}

		// The Jobs: the databases and Pulp's migration, which the run waits
		// for, and Pulp's registration, which it starts last (the status
		// reporter waits for it).
		for _, component := range []string{"databases", "pulp-migration"} {
			if j := jobOf(c.OtherJobs, component); j == nil || !jobComplete(*j) {
				t.Errorf("no complete %s Job; have %v", component, jobStates(c.OtherJobs))
			}
		}
		// Pulp's admin: reset-admin-password, in a Job started once the
		// migration completed (foremanctl's pulpcore-manager-admin-password).
		migration, admin := jobOf(c.OtherJobs, "pulp-migration"), jobOf(c.OtherJobs, "pulp-admin")
		if admin == nil || !jobComplete(*admin) {
			t.Errorf("no complete pulp-admin Job; have %v", jobStates(c.OtherJobs))
		} else {
			if cmd := strings.Join(admin.Spec.Template.Spec.Containers[0].Command, " "); !strings.Contains(cmd, "pulpcore-manager reset-admin-password --random") {
				t.Errorf("the pulp-admin Job runs %q, want pulpcore-manager reset-admin-password --random", cmd)
			}
			if migration != nil && (migration.Status.CompletionTime == nil || admin.CreationTimestamp.Before(migration.Status.CompletionTime)) {
				t.Errorf("the pulp-admin Job was created at %s, before Pulp's migration completed (%v)", admin.CreationTimestamp, migration.Status.CompletionTime)
			}
			if got, want := admin.Spec.Template.Spec.Containers[0].Image, migration.Spec.Template.Spec.Containers[0].Image; got != want {
				t.Errorf("the pulp-admin Job runs %s, Pulp's migration %s", got, want)
			}
		}

		reg := jobOf(c.OtherJobs, "pulp-registration")
		if reg == nil {
			t.Fatalf("no Job registers Pulp; have %v", jobStates(c.OtherJobs))
		}
		if got := envOf(reg.Spec.Template.Spec.Containers[0], "PULP_SMART_PROXY_URL"); got != "https://"+svc("pulp")+"/pulp/api/v3/smart_proxy" {
			t.Errorf("Pulp registered as Smart Proxy at %q", got)
		}

		// Storage: Pulp's content and the upload directory are ReadWriteMany
		// claims; web and Dynflow share the upload directory.
		for _, claim := range []string{name + "-pulp", name + "-foreman-tmp"} {
			pvc := claimOf(c.Claims, claim)
			if pvc == nil || !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) {
				t.Errorf("claim %s: %+v, want ReadWriteMany", claim, pvc)
			} else if len(pvc.OwnerReferences) != 0 {
				t.Errorf("claim %s is owned by %v: it would go with the CR", claim, pvc.OwnerReferences)
			}
		}
		for _, d := range []string{"web", "dynflow-worker", "dynflow-orchestrator", "katello-events"} {
			if !mounts(c.deployment(name+"-"+d).Spec.Template.Spec, name+"-foreman-tmp", "/usr/share/foreman/tmp") {
				t.Errorf("%s does not mount the upload volume at /usr/share/foreman/tmp", d)
			}
		}
		for _, d := range []string{"pulp-api", "pulp-content", "pulp-worker"} {
			pod := c.deployment(name + "-" + d).Spec.Template.Spec
			if !mounts(pod, name+"-pulp", "/var/lib/pulp") {
				t.Errorf("%s does not mount Pulp's content claim at /var/lib/pulp", d)
			}
			// The directories Pulp expects, made on the claim first, with
			// Pulp's image as Pulp's user.
			if len(pod.InitContainers) != 1 || !initMounts(pod, name+"-pulp", "/var/lib/pulp") ||
				pod.InitContainers[0].Image != pod.Containers[0].Image || pod.InitContainers[0].SecurityContext == nil ||
				pod.InitContainers[0].SecurityContext.RunAsUser != nil {
				t.Errorf("%s: init containers %+v, want one that runs Pulp's image as the pod's user with the claim at /var/lib/pulp", d, pod.InitContainers)
			} else if got := strings.Join(pod.InitContainers[0].Command, " "); got != "mkdir -p /var/lib/pulp/media /var/lib/pulp/assets /var/lib/pulp/tmp "+
				"/var/lib/pulp/sync_imports /var/lib/pulp/imports /var/lib/pulp/exports" {
				t.Errorf("%s's init container runs %q, want mkdir -p of media, assets, tmp and the import and export paths", d, got)
			}
		}
		// pulp-api and pulp-content bind IPv4 explicitly; the worker keeps the
		// image's wrapper.
		for d, want := range map[string]string{"pulp-api": "pulpcore-api --bind 0.0.0.0:24817 ", "pulp-content": "pulpcore-content --bind 0.0.0.0:24816 ",
			"pulp-worker": "pulp-worker"} {
			if got := strings.Join(c.deployment(name + "-" + d).Spec.Template.Spec.Containers[0].Command, " ") + " "; !strings.HasPrefix(got, want) {
				t.Errorf("%s runs %q, want %q...", d, got, want)
			}
		}

		// Foreman's Katello settings point at the Services, with the OAuth
		// secret Candlepin has.
		oauth := e.secretData(name+"-candlepin-oauth", "oauth_secret")
		katello := e.secretData(name+"-settings", "katello.yaml")
		for _, want := range []string{
			`:url: "https://` + svc("candlepin") + `:23443/candlepin"`,
			`:oauth_key: "katello"`, `:oauth_secret: "` + oauth + `"`,
			`:broker_host: "` + svc("candlepin") + `"`, ":broker_port: 61613",
			":enabled: false",
		} {
			if !strings.Contains(katello, want) {
				t.Errorf("katello.yaml lacks %s:\n%s", want, katello)
			}
		}
		if events := e.secretData(name+"-settings", "katello-events.yaml"); !strings.Contains(events, ":enabled: true") {
			t.Errorf("the event daemon's katello.yaml does not enable it:\n%s", events)
		}
		conf := e.secretData(name+"-candlepin-config", "candlepin.conf")
		for _, want := range []string{
			"jpa.config.hibernate.connection.url=jdbc:postgresql://" + name + "-postgresql:5432/candlepin?sslmode=disable",
			"jpa.config.hibernate.connection.password=" + e.secretData(name+"-candlepin-db", "password"),
			"candlepin.auth.oauth.consumer.katello.secret=" + oauth,
		} {
			if !strings.Contains(conf, want) {
				t.Errorf("candlepin.conf lacks %s", want)
			}
		}
		if xml := e.secretData(name+"-candlepin-config", "server.xml"); !strings.Contains(xml, `port="23443"`) {
			t.Error("Tomcat's server.xml does not listen on 23443")
		}
		pulpEnv := configMap(t, c, name+"-pulp-env")
		for k, want := range map[string]string{
			"PULP_DATABASES__default__HOST": name + "-postgresql", "PULP_DATABASES__default__NAME": "pulpcore",
			"PULP_SMART_PROXY_PULP_URL": "https://" + svc("pulp"), "PULP_CONTENT_ORIGIN": "http://" + hostname,
			// foremanctl's pulp defaults (src/roles/pulp/defaults/main.yaml).
			"PULP_AUTHENTICATION_BACKENDS":    `["pulpcore.app.authentication.PulpNoCreateRemoteUserBackend"]`,
			"PULP_ALLOWED_CONTENT_CHECKSUMS":  `["sha1", "sha224", "sha256", "sha384", "sha512"]`,
			"PULP_ALLOWED_IMPORT_PATHS":       `["/var/lib/pulp/sync_imports", "/var/lib/pulp/imports"]`,
			"PULP_ALLOWED_EXPORT_PATHS":       `["/var/lib/pulp/exports"]`,
			"PULP_ANSIBLE_API_HOSTNAME":       "http://" + hostname,
			"PULP_ANSIBLE_CONTENT_HOSTNAME":   "http://" + hostname + "/pulp/content",
			"PULP_ANSIBLE_PERMISSION_CLASSES": "[]",
			"PULP_SMART_PROXY_RHSM_URL":       "",
		} {
			if pulpEnv[k] != want {
				t.Errorf("Pulp's %s = %q, want %q", k, pulpEnv[k], want)
			}
		}
		if got := e.secretData(name+"-pulp-env", "PULP_DATABASES__default__PASSWORD"); got != e.secretData(name+"-pulp-db", "password") {
			t.Error("Pulp's database password is not the one of its database user")
		}
		// What the cluster holds reads back as Pulp reads it.
		checkPulpEnv(t, pulpEnv, c.deployment(name+"-pulp-api"), c.deployment(name+"-pulp-content"))

		// The CA and what it issued.
		if f.Status.CASecret != name+"-ca" {
			t.Errorf("status ca_secret %q, want %s-ca", f.Status.CASecret, name)
		}
		ca := e.secret(name + "-ca")
		if ca.Type != corev1.SecretTypeTLS || ca.Labels["app.theforeman.org/generated"] != "true" || len(ca.OwnerReferences) != 0 {
			t.Errorf("CA Secret: type %s, labels %v, owners %v; want kubernetes.io/tls, generated, not owned (the data outlives the CR)",
				ca.Type, ca.Labels, ca.OwnerReferences)
		}
		caCert := parseCert(t, ca.Data["tls.crt"])
		if !caCert.IsCA {
			t.Error("the CA's certificate is not a CA")
		}
		for secret, wantNames := range map[string][]string{
			name + "-candlepin-tls": {name + "-candlepin", svc("candlepin"), name + "-candlepin." + e.ns + ".svc.cluster.local", hostname},
			name + "-pulp-tls":      {name + "-pulp", svc("pulp"), hostname},
			name + "-server-tls":    {name, hostname},
		} {
			cert := parseCert(t, e.secret(secret).Data["tls.crt"])
			if err := cert.CheckSignatureFrom(caCert); err != nil {
				t.Errorf("%s was not signed by the CA: %v", secret, err)
			}
			for _, n := range wantNames {
				if !slices.Contains(cert.DNSNames, n) {
					t.Errorf("%s names %v, not %s", secret, cert.DNSNames, n)
				}
			}
		}
		client := parseCert(t, e.secret(name + "-client-tls").Data["tls.crt"])
		if !slices.Contains(client.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || client.Subject.CommonName != hostname {
			t.Errorf("client certificate %s, usages %v: want the hostname and client authentication", client.Subject, client.ExtKeyUsage)
		}
		if cond := condition(f, "PulpStorage"); cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != "ReadWriteMany" {
			t.Errorf("PulpStorage condition %+v, want True ReadWriteMany", cond)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("every pod passes the restricted Pod Security Standard", func(t *testing.T) {
		e.checkRestrictedPods(t, name)
	})

	t.Run("a second run changes nothing", func(t *testing.T) {
		last = e.checkSecondRunChangesNothing(t, name, last)
	})

	t.Run("the status reporter says Ready with every Katello component, each in the cluster", func(t *testing.T) {
		f := e.waitRun(name, "Ready", "", laterRun)
		got := map[string]appv1alpha1.ComponentStatus{}
		for _, c := range f.Status.Components {
			got[c.Name] = c
		}
		for _, want := range katelloComponents {
			c, ok := got[want]
			if !ok || !c.Ready || c.Location != "cluster" {
				t.Errorf("component %s: %+v, want ready in the cluster", want, c)
			}
		}
	})

	t.Run("the CA and the certificates survive an operator restart and another run unchanged", func(t *testing.T) {
		secrets := []string{name + "-ca", name + "-server-tls", name + "-client-tls", name + "-candlepin-tls", name + "-pulp-tls"}
		before := map[string]*corev1.Secret{}
		for _, s := range secrets {
			before[s] = e.secret(s)
		}
		e.restartOperator()
		e.update(name, func(f *appv1alpha1.Foreman) {
			metav1.SetMetaDataAnnotation(&f.ObjectMeta, "ansible.sdk.operatorframework.io/reconcile-period", "6h")
		})
		f := e.waitRun(name, "Successful", last, laterRun)
		last = completion(f)
		if r := condition(f, "Successful").AnsibleResult; r.Changed != 0 {
			t.Errorf("the run after the restart changed %d things", r.Changed)
		}
		for _, s := range secrets {
			after := e.secret(s)
			if after.UID != before[s].UID || after.ResourceVersion != before[s].ResourceVersion || string(after.Data["tls.crt"]) != string(before[s].Data["tls.crt"]) {
				t.Errorf("Secret %s changed across the restart (resourceVersion %s to %s)", s, before[s].ResourceVersion, after.ResourceVersion)
			}
		}
	})

	t.Run("turning Katello off removes its workloads and keeps the Pulp claim", func(t *testing.T) {
		e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.Plugins["katello"] = false })
		f := e.waitRun(name, "Successful", last, firstRun)
		last = completion(f)
		c := e.children(name)
		for _, gone := range []string{"candlepin", "pulp-api", "pulp-content", "pulp-worker", "katello-events", "dynflow-worker-hosts-queue"} {
			if d := c.deployment(name + "-" + gone); d != nil && d.DeletionTimestamp == nil {
				t.Errorf("Deployment %s-%s is still there", name, gone)
			}
		}
		for _, j := range c.OtherJobs {
			if j.DeletionTimestamp == nil {
				t.Errorf("Job %s is still there", j.Name)
			}
		}
		for _, gone := range []string{"candlepin", "pulp", "pulp-content"} {
			if contains(names(c.Services), name+"-"+gone) {
				t.Errorf("Service %s-%s is still there", name, gone)
			}
		}
		for _, gone := range []string{"candlepin-config", "pulp-env", "candlepin-tls", "pulp-tls"} {
			if contains(names(c.Secrets), name+"-"+gone) {
				t.Errorf("Secret %s-%s is still there", name, gone)
			}
		}
		for _, kept := range []string{"pulp", "foreman-tmp"} {
			if pvc := claimOf(c.Claims, name+"-"+kept); pvc == nil || pvc.DeletionTimestamp != nil {
				t.Errorf("claim %s-%s was not kept: %+v", name, kept, pvc)
			}
		}
		for _, kept := range []string{"pulp-keys", "pulp-db", "candlepin-db", "candlepin-oauth", "ca"} {
			if !contains(names(c.Secrets), name+"-"+kept) {
				t.Errorf("generated Secret %s-%s was not kept", name, kept)
			}
		}
		if got := configMap(t, c, name+"-env")["FOREMAN_ENABLED_PLUGINS"]; got != "foreman-tasks foreman_remote_execution" {
			t.Errorf("FOREMAN_ENABLED_PLUGINS %q after Katello was turned off", got)
		}
		f = e.waitRun(name, "Ready", "", laterRun)
		for _, comp := range f.Status.Components {
			if slices.Contains(katelloComponents, comp.Name) {
				t.Errorf("component %s still listed without Katello", comp.Name)
			}
		}
		if cond := condition(f, "PulpStorage"); cond == nil || cond.Reason != "NoManagedPulp" {
			t.Errorf("PulpStorage condition %+v, want NoManagedPulp", cond)
		}
	})

	t.Run("deleting the CR keeps Pulp's content and the CA", func(t *testing.T) {
		ctx := context.Background()
		if err := e.c.Delete(ctx, e.foreman(name)); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, laterRun, "Foreman gone and its workloads collected", func(ctx context.Context) (bool, error) {
			web := &appsv1.Deployment{}
			err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name + "-web"}, web)
			return apierrors.IsNotFound(err), fmt.Errorf("web: %v", err)
		})
		for _, obj := range []client.Object{
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name + "-pulp"}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-ca"}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-pulp-keys"}},
		} {
			if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: obj.GetName()}, obj); err != nil || obj.GetDeletionTimestamp() != nil {
				t.Errorf("%T %s after the CR's deletion: %v, deleting %v", obj, obj.GetName(), err, obj.GetDeletionTimestamp())
			}
		}
	})
}

// TestKatelloWithExternalPostgreSQLAndCandlepin is the transitional path:
// PostgreSQL and Candlepin stay on the existing host (here fakes on
// loopback, since neither runs here: a listener that answers PostgreSQL's
// SSLRequest, and an HTTPS server that answers /candlepin/status), Pulp
// moves into the cluster with its database still on that host, and the
// certificates come from the host's CA. The operator deploys neither
// PostgreSQL nor Candlepin, wires Foreman to both, and checks that they
// answer from where it runs.
func TestKatelloWithExternalPostgreSQLAndCandlepin(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "transitional"
	pgHost, pgPort := fakePostgreSQL(t)
	candlepin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/candlepin/status" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, `{"result": true, "version": "4.4.14"}`)
	}))
	t.Cleanup(candlepin.Close)
	candlepinCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: candlepin.Certificate().Raw})
	caCert, caKey := newCA(t)

	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "foreman-db"},
		StringData: map[string]string{"username": "foreman", "password": "foreman-pw"}})
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pulp-db"},
		StringData: map[string]string{"username": "pulp", "password": "pulp-pw"}})
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "candlepin-oauth"},
		StringData: map[string]string{"oauth_secret": "from-the-old-host"}})
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "candlepin-ca"}, Data: map[string][]byte{"ca.crt": candlepinCA}})
	e.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "old-host-ca"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": caCert, "tls.key": caKey}})
	candlepinURL := candlepin.URL + "/candlepin"
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appv1alpha1.ForemanSpec{
			Hostname:     "foreman.example.com",
			Plugins:      map[string]bool{"katello": true},
			Certificates: appv1alpha1.CertificatesSpec{CASecret: &appv1alpha1.SecretRef{Name: "old-host-ca"}},
			Database: appv1alpha1.DatabaseSpec{Mode: "external", External: &appv1alpha1.ExternalDatabase{
				Host: pgHost, Port: int32(pgPort), CredentialsSecret: appv1alpha1.CredentialsSecret{Name: "foreman-db"}, SSLMode: "disable"}},
			Candlepin: &appv1alpha1.CandlepinSpec{Mode: "external", External: &appv1alpha1.ExternalCandlepin{
				URL: candlepinURL, CredentialsSecret: appv1alpha1.SecretRef{Name: "candlepin-oauth"},
				CASecret: &appv1alpha1.SecretKeyRef{Name: "candlepin-ca"}}},
			Pulp: &appv1alpha1.PulpSpec{Managed: &appv1alpha1.ManagedPulp{Database: &appv1alpha1.ServiceDatabase{
				CredentialsSecret: appv1alpha1.CredentialsSecret{Name: "pulp-db"}}}},
		},
	})
	f := e.waitRun(name, "Successful", "", katelloFirstRun)
	last := completion(f)
	c := e.children(name)

	// Neither PostgreSQL nor Candlepin runs here, nor the databases Job.
	if len(c.StatefulSets) != 0 || c.deployment(name+"-candlepin") != nil || jobOf(c.OtherJobs, "databases") != nil {
		t.Errorf("deployed for external services: StatefulSets %v, Deployments %v, Jobs %v",
			names(c.StatefulSets), names(c.Deployments), names(c.OtherJobs))
	}
	for _, gone := range []string{name + "-postgresql", name + "-candlepin"} {
		if contains(names(c.Services), gone) {
			t.Errorf("Service %s for an external service", gone)
		}
	}
	if c.deployment(name+"-pulp-api") == nil || jobOf(c.OtherJobs, "pulp-migration") == nil {
		t.Errorf("the managed Pulp is missing: Deployments %v, Jobs %v", names(c.Deployments), names(c.OtherJobs))
	}

	// Both are wired: Foreman's database, Katello's Candlepin with the old
	// host's OAuth secret and CA, and Pulp's database on the old host.
	if got, want := e.secretData(name+"-env", "DATABASE_URL"), fmt.Sprintf("@%s:%d/foreman?", pgHost, pgPort); !strings.Contains(got, want) {
		t.Errorf("DATABASE_URL does not point at %s", want)
	}
	katello := e.secretData(name+"-settings", "katello.yaml")
	for _, want := range []string{`:url: "` + candlepinURL + `"`, `:oauth_secret: "from-the-old-host"`, `:broker_host: "127.0.0.1"`} {
		if !strings.Contains(katello, want) {
			t.Errorf("katello.yaml lacks %s:\n%s", want, katello)
		}
	}
	web := c.deployment(name + "-web")
	if !projects(web.Spec.Template.Spec, "candlepin-ca", "candlepin-ca.crt") {
		t.Error("the web pods do not trust the external Candlepin's CA")
	}
	pulpEnv := configMap(t, c, name+"-pulp-env")
	if pulpEnv["PULP_DATABASES__default__HOST"] != pgHost || pulpEnv["PULP_DATABASES__default__PORT"] != strconv.Itoa(pgPort) ||
		pulpEnv["PULP_DATABASES__default__NAME"] != "pulpcore" || pulpEnv["PULP_DATABASES__default__USER"] != "" {
		t.Errorf("Pulp's database %s:%s/%s (user in the ConfigMap: %q), want %s:%d/pulpcore from database.external, the user in a Secret",
			pulpEnv["PULP_DATABASES__default__HOST"], pulpEnv["PULP_DATABASES__default__PORT"], pulpEnv["PULP_DATABASES__default__NAME"],
			pulpEnv["PULP_DATABASES__default__USER"], pgHost, pgPort)
	}
	if got := e.secretData(name+"-pulp-env", "PULP_DATABASES__default__PASSWORD"); got != "pulp-pw" {
		t.Error("Pulp's database password is not the one of the pulp-db Secret")
	}

	// The old host's CA issued the certificates; no CA was generated.
	if f.Status.CASecret != "old-host-ca" || contains(names(c.Secrets), name+"-ca") {
		t.Errorf("status ca_secret %q, Secrets %v: want the user's CA and no generated one", f.Status.CASecret, names(c.Secrets))
	}
	for _, secret := range []string{name + "-pulp-tls", name + "-server-tls"} {
		cert := parseCert(t, e.secret(secret).Data["tls.crt"])
		if err := cert.CheckSignatureFrom(parseCert(t, caCert)); err != nil {
			t.Errorf("%s was not issued by the user's CA: %v", secret, err)
		}
		if !slices.Contains(cert.DNSNames, "foreman.example.com") {
			t.Errorf("%s names %v, not the hostname", secret, cert.DNSNames)
		}
	}
	// The Ingress serves the hostname with the issued server certificate.
	if len(c.Ingresses) != 1 || len(c.Ingresses[0].Spec.TLS) != 1 || c.Ingresses[0].Spec.TLS[0].SecretName != name+"-server-tls" ||
		!slices.Equal(c.Ingresses[0].Spec.TLS[0].Hosts, []string{"foreman.example.com"}) {
		t.Errorf("Ingresses %+v, want one serving foreman.example.com with %s-server-tls", c.Ingresses, name)
	}
	if f.Status.URL != "https://foreman.example.com" {
		t.Errorf("status url %q, want https://foreman.example.com", f.Status.URL)
	}

	// The checks: each external service answered, and the status says
	// where each component runs.
	checks := map[string]appv1alpha1.ExternalCheck{}
	for _, ch := range f.Status.ExternalChecks {
		checks[ch.Name] = ch
	}
	pgEndpoint := net.JoinHostPort(pgHost, strconv.Itoa(pgPort))
	for n, endpoint := range map[string]string{"postgresql": pgEndpoint, "pulp-database": pgEndpoint, "candlepin": candlepinURL + "/status"} {
		if ch := checks[n]; ch.Result != "Reachable" || ch.Endpoint != endpoint {
			t.Errorf("check of %s: %+v, want Reachable at %s", n, ch, endpoint)
		}
	}
	f = e.waitRun(name, "Ready", "", laterRun)
	where := map[string]string{}
	for _, comp := range f.Status.Components {
		where[comp.Name] = comp.Location
		if comp.Location == "external" && comp.Endpoint == "" {
			t.Errorf("external component %s without its endpoint", comp.Name)
		}
	}
	for n, want := range map[string]string{"postgresql": "external", "candlepin": "external", "pulp-database": "external",
		"redis": "cluster", "pulp-api": "cluster", "web": "cluster"} {
		if where[n] != want {
			t.Errorf("component %s runs in %q, want %s (all: %v)", n, where[n], want, where)
		}
	}

	// Candlepin stops answering: the next run says so, and Foreman is
	// Degraded, naming it.
	candlepin.Close()
	e.update(name, func(f *appv1alpha1.Foreman) {
		metav1.SetMetaDataAnnotation(&f.ObjectMeta, "ansible.sdk.operatorframework.io/reconcile-period", "5h")
	})
	e.waitRun(name, "Successful", last, laterRun)
	f = e.waitRun(name, "Degraded", "", laterRun)
	if msg := condition(f, "Degraded").Message; !strings.Contains(msg, "candlepin: "+candlepinURL+"/status does not answer") {
		t.Errorf("Degraded message %q, want it to name Candlepin", msg)
	}
}

// TestPulpOnReadWriteOnceStorage: more than one replica of a Pulp Deployment
// on a ReadWriteOnce claim is refused with a condition that says so, and
// nothing is deployed; one replica each is accepted, its pods kept on one
// node.
func TestPulpOnReadWriteOnceStorage(t *testing.T) {
	t.Parallel()
	e := startOperator(t)
	const name = "rwo"
	e.create(&appv1alpha1.Foreman{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appv1alpha1.ForemanSpec{
			Plugins: map[string]bool{"katello": true},
			Pulp: &appv1alpha1.PulpSpec{Managed: &appv1alpha1.ManagedPulp{
				Storage: appv1alpha1.PulpStorage{AccessMode: "ReadWriteOnce"},
				API:     appv1alpha1.ComponentSpec{Replicas: ptr.To[int32](2)},
				Worker:  appv1alpha1.ComponentSpec{Replicas: ptr.To[int32](1)},
			}},
		},
	})
	f := e.waitRun(name, "Failure", "", laterRun)
	cond := condition(f, "PulpStorage")
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != "ReadWriteOnceWithReplicas" ||
		!strings.Contains(cond.Message, "pulp-api has 2 replicas") {
		t.Errorf("PulpStorage condition %+v, want False ReadWriteOnceWithReplicas naming pulp-api's 2 replicas", cond)
	}
	if msg := condition(f, "Failure").Message; !strings.Contains(msg, "is ReadWriteOnce") {
		t.Errorf("Failure message %q, want the refusal", msg)
	}
	if v := e.children(name).versions(); len(v) != 0 {
		t.Errorf("a refused run made %v", v)
	}
	f = e.waitRun(name, "Degraded", "", laterRun)
	if msg := condition(f, "Degraded").Message; !strings.Contains(msg, "pulp-api has 2 replicas") {
		t.Errorf("Degraded message %q, want the refusal", msg)
	}

	e.update(name, func(f *appv1alpha1.Foreman) { f.Spec.Pulp.Managed.API.Replicas = ptr.To[int32](1) })
	f = e.waitRun(name, "Successful", "", katelloFirstRun)
	if cond := condition(f, "PulpStorage"); cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != "ReadWriteOnce" {
		t.Errorf("PulpStorage condition %+v, want True ReadWriteOnce", cond)
	}
	c := e.children(name)
	if pvc := claimOf(c.Claims, name+"-pulp"); pvc == nil ||
		!slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("Pulp's claim %+v, want ReadWriteOnce", pvc)
	}
	for _, d := range []string{"pulp-api", "pulp-content", "pulp-worker"} {
		dep := c.deployment(name + "-" + d)
		if dep == nil {
			t.Fatalf("no Deployment %s-%s", name, d)
		}
		a := dep.Spec.Template.Spec.Affinity
		if a == nil || a.PodAffinity == nil || len(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 ||
			a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != "kubernetes.io/hostname" {
			t.Errorf("%s is not kept on the node of the other Pulp pods: %+v", d, a)
		}
	}
}

// fakePostgreSQL listens on loopback and answers PostgreSQL's SSLRequest with
// N (no TLS), as a PostgreSQL without TLS does: enough for the operator's
// check, which never logs in.
func fakePostgreSQL(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 8)
				if _, err := io.ReadFull(conn, buf); err == nil && binary.BigEndian.Uint32(buf[4:]) == 80877103 {
					_, _ = conn.Write([]byte("N"))
				}
			}()
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	return addr.IP.String(), addr.Port
}

// newCA makes a CA certificate and its PKCS #8 key, PEM-encoded: the CA of
// an existing Foreman host.
func newCA(t *testing.T) ([]byte, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Katello Default CA (old host)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("not a PEM certificate: %q", data)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func (e *env) secret(name string) *corev1.Secret {
	e.t.Helper()
	s := &corev1.Secret{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			e.t.Fatalf("no Secret %s", name)
		}
		e.t.Fatal(err)
	}
	return s
}

func jobOf(jobs []batchv1.Job, component string) *batchv1.Job {
	for i := range jobs {
		if jobs[i].Labels["app.kubernetes.io/component"] == component {
			return &jobs[i]
		}
	}
	return nil
}

func claimOf(claims []corev1.PersistentVolumeClaim, name string) *corev1.PersistentVolumeClaim {
	for i := range claims {
		if claims[i].Name == name {
			return &claims[i]
		}
	}
	return nil
}

func envOf(c corev1.Container, name string) string {
	for _, v := range c.Env {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

// initMounts reports whether an init container of pod mounts claim at path.
func initMounts(pod corev1.PodSpec, claim, path string) bool {
	return mounts(corev1.PodSpec{Volumes: pod.Volumes, Containers: pod.InitContainers}, claim, path)
}

// mounts reports whether a container of pod mounts claim at path.
func mounts(pod corev1.PodSpec, claim, path string) bool {
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claim {
			continue
		}
		for _, c := range pod.Containers {
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name && m.MountPath == path {
					return true
				}
			}
		}
	}
	return false
}

// projects reports whether a projected volume of pod puts Secret secret's
// key at path.
func projects(pod corev1.PodSpec, secret, path string) bool {
	for _, v := range pod.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.Secret == nil || s.Secret.Name != secret {
				continue
			}
			for _, item := range s.Secret.Items {
				if item.Path == path {
					return true
				}
			}
		}
	}
	return false
}
