package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ForemanSpec describes a Foreman deployment. An empty spec is valid: an
// all-in-one Foreman with a managed PostgreSQL and Valkey.
//
// +kubebuilder:validation:XValidation:rule="!has(self.dynflow) || !has(self.dynflow.replicas)",fieldPath=".dynflow.replicas",message="dynflow.replicas is not used: set dynflow_workers, the number of Dynflow worker pods"
// +kubebuilder:validation:XValidation:rule="!(has(self.plugins) && (('katello' in self.plugins && self.plugins['katello']) || ('rh_cloud' in self.plugins && self.plugins['rh_cloud']))) || !(has(self.database) && has(self.database.mode) && self.database.mode == 'external') || (has(self.candlepin) && ((has(self.candlepin.mode) && self.candlepin.mode == 'external') || (has(self.candlepin.managed) && has(self.candlepin.managed.database))))",fieldPath=".candlepin",message="katello with database.mode external needs candlepin.managed.database or candlepin.mode external: there is no managed PostgreSQL for Candlepin's database"
// +kubebuilder:validation:XValidation:rule="!(has(self.plugins) && (('katello' in self.plugins && self.plugins['katello']) || ('rh_cloud' in self.plugins && self.plugins['rh_cloud']))) || !(has(self.database) && has(self.database.mode) && self.database.mode == 'external') || (has(self.pulp) && ((has(self.pulp.mode) && self.pulp.mode == 'external') || (has(self.pulp.managed) && has(self.pulp.managed.database))))",fieldPath=".pulp",message="katello with database.mode external needs pulp.managed.database or pulp.mode external: there is no managed PostgreSQL for Pulp's database"
// +kubebuilder:validation:XValidation:rule="!has(self.candlepin) || !has(self.candlepin.managed) || !has(self.candlepin.managed.database) || has(self.candlepin.managed.database.host) || (has(self.database) && has(self.database.mode) && self.database.mode == 'external')",fieldPath=".candlepin.managed.database.host",message="candlepin.managed.database.host is required unless database.mode is external, whose host is the default"
// +kubebuilder:validation:XValidation:rule="!has(self.pulp) || !has(self.pulp.managed) || !has(self.pulp.managed.database) || has(self.pulp.managed.database.host) || (has(self.database) && has(self.database.mode) && self.database.mode == 'external')",fieldPath=".pulp.managed.database.host",message="pulp.managed.database.host is required unless database.mode is external, whose host is the default"
type ForemanSpec struct {
	// Version is the Foreman release stream to run, X.Y or nightly. The
	// default is pinned by the operator release. Downgrades are refused.
	// +kubebuilder:default="3.16"
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^(nightly|[0-9]+[.][0-9]+)$')",message="version must be a Foreman release stream such as 3.16, or nightly"
	// +optional
	Version string `json:"version,omitempty"`

	// Images overrides the image of a component; RELATED_IMAGE_* variables
	// of the operator override the defaults too, for disconnected installs.
	// +optional
	Images *Images `json:"images,omitempty"`

	// ImagePullSecrets are used by every pod.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"image_pull_secrets,omitempty"`

	// Hostname is the external name of Foreman; default <name>.<namespace>.svc.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="hostname must be a lower-case DNS name such as foreman.example.com"
	// +optional
	Hostname string `json:"hostname,omitempty"`

	// Admin is the initial administrator.
	// +kubebuilder:default={}
	// +optional
	Admin AdminSpec `json:"admin,omitempty"`

	// InitialOrganization is the organization the database is seeded with.
	// +kubebuilder:default="Default Organization"
	// +optional
	InitialOrganization string `json:"initial_organization,omitempty"`

	// InitialLocation is the location the database is seeded with.
	// +kubebuilder:default="Default Location"
	// +optional
	InitialLocation string `json:"initial_location,omitempty"`

	// DynflowWorkers is the number of Dynflow worker pods (queues default and
	// remote_execution); the orchestrator is one more, active, pod.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	DynflowWorkers *int32 `json:"dynflow_workers,omitempty"`

	// Plugins turns Foreman plugins on or off. Dependencies are turned on
	// with the plugins that need them (ansible needs remote_execution);
	// setting a needed plugin to false is refused.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(p, p in ['ansible', 'bootdisk', 'discovery', 'katello', 'openscap', 'puppet', 'remote_execution', 'rh_cloud', 'templates', 'webhooks'])",messageExpression="'unknown plugin ' + self.filter(p, !(p in ['ansible', 'bootdisk', 'discovery', 'katello', 'openscap', 'puppet', 'remote_execution', 'rh_cloud', 'templates', 'webhooks']))[0] + ': the known plugins are ansible, bootdisk, discovery, katello, openscap, puppet, remote_execution, rh_cloud, templates and webhooks'",message="unknown plugin: the known plugins are ansible, bootdisk, discovery, katello, openscap, puppet, remote_execution, rh_cloud, templates and webhooks"
	// +kubebuilder:validation:XValidation:rule="!('ansible' in self) || !self['ansible'] || !('remote_execution' in self) || self['remote_execution']",message="ansible needs remote_execution, which is set to false"
	// +kubebuilder:validation:XValidation:rule="!('openscap' in self) || !self['openscap'] || !('ansible' in self) || self['ansible']",message="openscap needs ansible, which is set to false"
	// +kubebuilder:validation:XValidation:rule="!('rh_cloud' in self) || !self['rh_cloud'] || ((!('katello' in self) || self['katello']) && (!('ansible' in self) || self['ansible']))",message="rh_cloud needs katello and ansible, and one of them is set to false"
	// +optional
	Plugins map[string]bool `json:"plugins,omitempty"`

	// Database is Foreman's PostgreSQL: managed in the cluster (the default)
	// or external.
	// +kubebuilder:default={}
	// +optional
	Database DatabaseSpec `json:"database,omitempty"`

	// Redis is the Valkey (Redis) for the Rails cache and Dynflow's queues:
	// managed in the cluster (the default) or external.
	// +kubebuilder:default={}
	// +optional
	Redis RedisSpec `json:"redis,omitempty"`

	// Web customizes the Foreman web (Puma) Deployment.
	// +optional
	Web ComponentSpec `json:"web,omitempty"`

	// Dynflow customizes the Dynflow orchestrator and worker pods; their
	// number is dynflow_workers.
	// +optional
	Dynflow ComponentSpec `json:"dynflow,omitempty"`

	// Certificates configures the certificate authority that issues the
	// services' certificates.
	// +optional
	Certificates CertificatesSpec `json:"certificates,omitempty"`

	// Candlepin is Katello's subscription service: managed in the cluster
	// (the default) or external. Used only while Katello is on.
	// +optional
	Candlepin *CandlepinSpec `json:"candlepin,omitempty"`

	// Pulp is Katello's content service: managed in the cluster (the
	// default) or external. Used only while Katello is on.
	// +optional
	Pulp *PulpSpec `json:"pulp,omitempty"`

	// Ingress exposes Foreman outside the cluster.
	// +kubebuilder:default={}
	// +optional
	Ingress IngressSpec `json:"ingress,omitempty"`

	// SmartProxy is the Smart Proxy of remote execution. A Foreman with
	// remote_execution gets one as a SmartProxy child, <instance>-proxy,
	// with remote_execution_ssh (and ansible with the ansible plugin), unless
	// smart_proxy.external says the proxy runs elsewhere.
	// +optional
	SmartProxy *ForemanSmartProxy `json:"smart_proxy,omitempty"`

	// Paused stops reconciling without deleting anything.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// DeleteDataOnRemoval deletes the PersistentVolumeClaims with the CR.
	// By default they are kept, as are Secrets the user supplied.
	// +optional
	DeleteDataOnRemoval bool `json:"delete_data_on_removal,omitempty"`
}

// Images overrides component images.
type Images struct {
	// Foreman is the image of the web, Dynflow, migration and cron pods;
	// default quay.io/foreman/foreman:<version>.
	// +optional
	Foreman string `json:"foreman,omitempty"`
	// Postgresql is the image of the managed PostgreSQL.
	// +optional
	Postgresql string `json:"postgresql,omitempty"`
	// Redis is the image of the managed Valkey.
	// +optional
	Redis string `json:"redis,omitempty"`
	// Candlepin is the image of the managed Candlepin; default
	// quay.io/foreman/candlepin:foreman-<version>.
	// +optional
	Candlepin string `json:"candlepin,omitempty"`
	// Pulp is the image of the managed Pulp's pods; default
	// quay.io/foreman/pulp:foreman-<version>.
	// +optional
	Pulp string `json:"pulp,omitempty"`
	// Nginx is the image of the TLS front of Pulp's API, which maps
	// Foreman's client certificate to Pulp's admin.
	// +optional
	Nginx string `json:"nginx,omitempty"`
}

// AdminSpec is the initial administrator.
type AdminSpec struct {
	// Username of the administrator.
	// +kubebuilder:default=admin
	// +kubebuilder:validation:MinLength=1
	// +optional
	Username string `json:"username,omitempty"`
	// Email of the administrator.
	// +optional
	Email string `json:"email,omitempty"`
	// PasswordSecret holds the password (key "password" unless given). The
	// operator generates <name>-admin when it is left out, once.
	// +optional
	PasswordSecret *SecretKeyRef `json:"password_secret,omitempty"`
}

// DatabaseSpec chooses where Foreman's database lives.
//
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'external' || has(self.external)",message="database.mode external needs database.external with host and credentials_secret"
type DatabaseSpec struct {
	// Mode is managed (a PostgreSQL StatefulSet in the cluster) or external.
	// +kubebuilder:validation:Enum=managed;external
	// +kubebuilder:default=managed
	// +optional
	Mode string `json:"mode,omitempty"`
	// Managed customizes the managed PostgreSQL.
	// +kubebuilder:default={}
	// +optional
	Managed *ManagedDatabase `json:"managed,omitempty"`
	// External is a PostgreSQL outside the cluster, such as the one still
	// on the existing Foreman host.
	// +optional
	External *ExternalDatabase `json:"external,omitempty"`
}

// ManagedDatabase customizes the in-cluster PostgreSQL.
//
// +kubebuilder:validation:XValidation:rule="!has(self.replicas) || self.replicas <= 1",fieldPath=".replicas",message="the managed PostgreSQL runs one replica (0 stops it)"
type ManagedDatabase struct {
	// StorageSize of its PersistentVolumeClaim.
	// +kubebuilder:default="10Gi"
	// +optional
	StorageSize *resource.Quantity `json:"storage_size,omitempty"`
	// StorageClassName of its PersistentVolumeClaim; default the cluster's.
	// +optional
	StorageClassName *string `json:"storage_class_name,omitempty"`
	// +optional
	ComponentSpec `json:",inline"`
}

// ExternalDatabase is a PostgreSQL the operator connects to but does not run.
//
// +kubebuilder:validation:XValidation:rule="!has(self.sslmode) || !(self.sslmode in ['verify-ca', 'verify-full']) || has(self.ca_secret)",message="database.external.sslmode verify-ca and verify-full need ca_secret"
type ExternalDatabase struct {
	// Host name or address.
	// +kubebuilder:validation:MinLength=1
	Host string `json:"host"`
	// Port of PostgreSQL.
	// +kubebuilder:default=5432
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// Name of the database.
	// +kubebuilder:default=foreman
	// +kubebuilder:validation:MinLength=1
	// +optional
	Name string `json:"name,omitempty"`
	// CredentialsSecret holds the user name and password.
	CredentialsSecret CredentialsSecret `json:"credentials_secret"`
	// SSLMode of the connection.
	// +kubebuilder:validation:Enum=disable;allow;prefer;require;verify-ca;verify-full
	// +kubebuilder:default=prefer
	// +optional
	SSLMode string `json:"sslmode,omitempty"`
	// CASecret holds the CA that signed the server's certificate (key ca.crt
	// unless given).
	// +optional
	CASecret *SecretKeyRef `json:"ca_secret,omitempty"`
	// ClientCertSecret is a kubernetes.io/tls Secret for client certificate
	// authentication.
	// +optional
	ClientCertSecret *SecretRef `json:"client_cert_secret,omitempty"`
}

// CredentialsSecret names a Secret and the keys of the user name and password.
type CredentialsSecret struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// UsernameKey is the key of the user name.
	// +kubebuilder:default=username
	// +optional
	UsernameKey string `json:"username_key,omitempty"`
	// PasswordKey is the key of the password.
	// +kubebuilder:default=password
	// +optional
	PasswordKey string `json:"password_key,omitempty"`
}

// RedisSpec chooses where Valkey (Redis) lives.
//
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'external' || has(self.external)",message="redis.mode external needs redis.external with url"
type RedisSpec struct {
	// Mode is managed (a Valkey Deployment in the cluster) or external.
	// +kubebuilder:validation:Enum=managed;external
	// +kubebuilder:default=managed
	// +optional
	Mode string `json:"mode,omitempty"`
	// Managed customizes the managed Valkey.
	// +kubebuilder:validation:XValidation:rule="!has(self.replicas) || self.replicas <= 1",fieldPath=".replicas",message="the managed Valkey runs one replica (0 stops it)"
	// +optional
	Managed *ComponentSpec `json:"managed,omitempty"`
	// External is a Redis or Valkey outside the cluster.
	// +optional
	External *ExternalRedis `json:"external,omitempty"`
}

// ExternalRedis is a Redis the operator connects to but does not run.
type ExternalRedis struct {
	// URL such as redis://redis.example.com:6379, without a database number:
	// the operator picks the databases.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^rediss?://[^/]+/?$')",message="url must be redis://host[:port] or rediss://host[:port], without a database path"
	URL string `json:"url"`
	// PasswordSecret holds the password, if it needs one.
	// +optional
	PasswordSecret *SecretKeyRef `json:"password_secret,omitempty"`
}

// IngressSpec exposes Foreman.
type IngressSpec struct {
	// Type of exposure: auto (an OpenShift Route where the route API exists,
	// else an Ingress), none, ingress, route, loadbalancer or nodeport.
	// +kubebuilder:validation:Enum=auto;none;ingress;route;loadbalancer;nodeport
	// +kubebuilder:default=auto
	// +optional
	Type string `json:"type,omitempty"`
	// ClassName is the IngressClass.
	// +optional
	ClassName *string `json:"class_name,omitempty"`
	// Annotations of the Ingress, Route or Service.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// TLSSecret is a kubernetes.io/tls Secret for the external hostname;
	// without it, an Ingress for a hostname serves <name>-server-tls, which
	// the operator's CA issues.
	// +optional
	TLSSecret *SecretRef `json:"tls_secret,omitempty"`
}

// ForemanSmartProxy configures the Smart Proxy a Foreman with
// remote_execution gets.
//
// +kubebuilder:validation:XValidation:rule="!has(self.external) || !self.external || !has(self.features)",fieldPath=".features",message="smart_proxy.features configure the SmartProxy the operator makes; with smart_proxy.external true it makes none"
type ForemanSmartProxy struct {
	// External says the proxy runs elsewhere (a SmartProxy CR of its own,
	// another cluster, a host): the operator makes none, and deletes the
	// one it made.
	// +optional
	External bool `json:"external,omitempty"`
	// Features the child proxy serves beside remote_execution_ssh (and
	// ansible with the ansible plugin).
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Enum=ansible;dynflow;registration;remote_execution_ssh;templates
	// +listType=set
	// +optional
	Features []string `json:"features,omitempty"`
}

// ForemanStatus is what the operator observed. Go writes it: the engine
// its run conditions (Running, Successful, Failure), the status reporter
// Ready, Progressing, Degraded and the components.
type ForemanStatus struct {
	// Conditions: Ready, Progressing, Degraded, and the engine's Running,
	// Successful and Failure.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Components lists every component the spec asks for.
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`
	// Version is the Foreman version running.
	// +optional
	Version string `json:"version,omitempty"`
	// URL of Foreman.
	// +optional
	URL string `json:"url,omitempty"`
	// AdminSecret is the Secret with the administrator's password.
	// +optional
	AdminSecret string `json:"admin_secret,omitempty"`
	// Plugins are the plugins enabled, dependencies included.
	// +optional
	Plugins []string `json:"plugins,omitempty"`
	// CASecret is the Secret with the CA that issued the services'
	// certificates (ca.crt, tls.crt and, for issuing, tls.key).
	// +optional
	CASecret string `json:"ca_secret,omitempty"`
	// ExternalChecks are the answers of the services outside the cluster,
	// checked by the operator's last run.
	// +listType=map
	// +listMapKey=name
	// +optional
	ExternalChecks []ExternalCheck `json:"external_checks,omitempty"`
	// SmartProxy is the SmartProxy child the operator made, if any.
	// +optional
	SmartProxy string `json:"smart_proxy,omitempty"`
}

// ComponentStatus is one component's state.
type ComponentStatus struct {
	// Name of the component, e.g. web, dynflow-worker, postgresql.
	Name string `json:"name"`
	// Kind of its workload (Deployment, StatefulSet, Job), or External.
	// +optional
	Kind string `json:"kind,omitempty"`
	// Location is cluster or external.
	// +optional
	Location string `json:"location,omitempty"`
	// Endpoint is where an external component answers.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Ready is true when the component serves.
	Ready bool `json:"ready"`
	// Replicas desired.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// ReadyReplicas observed.
	// +optional
	ReadyReplicas int32 `json:"ready_replicas,omitempty"`
	// Message explains a component that is not ready.
	// +optional
	Message string `json:"message,omitempty"`
}

// Condition is metav1.Condition plus the engine's ansibleResult, which
// upstream ansible-operator writes on its run conditions.
type Condition struct {
	// +kubebuilder:validation:MinLength=1
	Type string `json:"type"`
	// +kubebuilder:validation:Enum=True;False;Unknown
	Status metav1.ConditionStatus `json:"status"`
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	AnsibleResult *AnsibleResult `json:"ansibleResult,omitempty"`
}

// AnsibleResult counts a run's task results.
type AnsibleResult struct {
	Ok       int `json:"ok"`
	Changed  int `json:"changed"`
	Skipped  int `json:"skipped"`
	Failures int `json:"failures"`
	// +optional
	Completion string `json:"completion,omitempty"`
}

// Foreman is a Foreman deployment.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=fm
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.version`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Foreman struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:default={}
	// +optional
	Spec ForemanSpec `json:"spec,omitempty"`
	// +optional
	Status ForemanStatus `json:"status,omitempty"`
}

// ForemanList is a list of Foreman.
//
// +kubebuilder:object:root=true
type ForemanList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Foreman `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Foreman{}, &ForemanList{})
}
