package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
)

// CertificatesSpec configures the certificate authority (CA) that issues the
// certificates of Foreman's services: Candlepin's and Pulp's server
// certificates, Foreman's client certificate and the server certificate of
// the external hostname.
type CertificatesSpec struct {
	// CASecret is a CA of your own that the operator issues from instead of
	// generating <name>-ca: a Secret with the CA certificate in tls.crt and
	// its key in tls.key. On the way from an existing Foreman host, give its
	// CA (katello-default-ca.crt and .key) so that what trusts it keeps
	// working. The operator never writes it.
	// +optional
	CASecret *SecretRef `json:"ca_secret,omitempty"`
}

// CandlepinSpec chooses where Katello's Candlepin runs. It is deployed or
// wired only while Katello is on.
//
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'external' || has(self.external)",message="candlepin.mode external needs candlepin.external with url and credentials_secret"
type CandlepinSpec struct {
	// Mode is managed (a Candlepin Deployment in the cluster) or external.
	// +kubebuilder:validation:Enum=managed;external
	// +kubebuilder:default=managed
	// +optional
	Mode string `json:"mode,omitempty"`
	// Managed customizes the Candlepin the operator runs.
	// +optional
	Managed *ManagedCandlepin `json:"managed,omitempty"`
	// External is a Candlepin outside the cluster, such as the one still
	// running on the existing Foreman host.
	// +optional
	External *ExternalCandlepin `json:"external,omitempty"`
}

// ManagedCandlepin customizes the in-cluster Candlepin.
//
// +kubebuilder:validation:XValidation:rule="!has(self.replicas) || self.replicas <= 1",fieldPath=".replicas",message="Candlepin runs one replica (0 stops it): its message broker and job store are embedded"
type ManagedCandlepin struct {
	// Database is Candlepin's database when it is not on the managed
	// PostgreSQL; required when database.mode is external.
	// +optional
	Database *ServiceDatabase `json:"database,omitempty"`
	// +optional
	ComponentSpec `json:",inline"`
}

// ExternalCandlepin is a Candlepin the operator connects Foreman to but does
// not run.
type ExternalCandlepin struct {
	// URL of Candlepin's API, such as https://foreman.example.com:23443/candlepin.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https://[^/:]+(:[0-9]+)?/.+$')",message="url must be https://host[:port]/path, such as https://foreman.example.com:23443/candlepin"
	URL string `json:"url"`
	// CredentialsSecret holds the OAuth credentials Katello signs its
	// requests with: oauth_secret, and oauth_key (default katello).
	CredentialsSecret SecretRef `json:"credentials_secret"`
	// CASecret holds the CA that signed Candlepin's certificate (key ca.crt
	// unless given); without it, the operator's CA.
	// +optional
	CASecret *SecretKeyRef `json:"ca_secret,omitempty"`
	// EventsPort is the port of Candlepin's STOMP message broker on the same
	// host, which Katello's event daemon reads.
	// +kubebuilder:default=61613
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	EventsPort int32 `json:"events_port,omitempty"`
}

// PulpSpec chooses where Katello's Pulp runs. It is deployed or wired only
// while Katello is on.
//
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'external' || has(self.external)",message="pulp.mode external needs pulp.external with url"
type PulpSpec struct {
	// Mode is managed (Pulp's api, content and worker Deployments in the
	// cluster) or external.
	// +kubebuilder:validation:Enum=managed;external
	// +kubebuilder:default=managed
	// +optional
	Mode string `json:"mode,omitempty"`
	// Managed customizes the Pulp the operator runs.
	// +optional
	Managed *ManagedPulp `json:"managed,omitempty"`
	// External is a Pulp outside the cluster, such as the one still running
	// on the existing Foreman host.
	// +optional
	External *ExternalPulp `json:"external,omitempty"`
}

// ManagedPulp customizes the in-cluster Pulp.
type ManagedPulp struct {
	// Database is Pulp's database when it is not on the managed PostgreSQL;
	// required when database.mode is external.
	// +optional
	Database *ServiceDatabase `json:"database,omitempty"`
	// Storage is where Pulp keeps content.
	// +kubebuilder:default={}
	// +optional
	Storage PulpStorage `json:"storage,omitempty"`
	// API customizes the pulp-api Deployment (default 1 replica).
	// +optional
	API ComponentSpec `json:"api,omitempty"`
	// Content customizes the pulp-content Deployment (default 1 replica).
	// +optional
	Content ComponentSpec `json:"content,omitempty"`
	// Worker customizes the pulp-worker Deployment (default 2 replicas).
	// +optional
	Worker ComponentSpec `json:"worker,omitempty"`
}

// PulpStorage is Pulp's content storage: a volume every Pulp pod mounts, or
// object storage.
//
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'object' || has(self.object_storage_secret)",message="pulp.managed.storage.type object needs object_storage_secret"
type PulpStorage struct {
	// Type is volume (a PersistentVolumeClaim, <name>-pulp) or object (S3 or
	// Azure, configured by object_storage_secret).
	// +kubebuilder:validation:Enum=volume;object
	// +kubebuilder:default=volume
	// +optional
	Type string `json:"type,omitempty"`
	// Size of the claim.
	// +kubebuilder:default="100Gi"
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// StorageClassName of the claim; default the cluster's.
	// +optional
	StorageClassName *string `json:"storage_class_name,omitempty"`
	// AccessMode of the claim. ReadWriteOnce is accepted only while every
	// Pulp Deployment runs one replica; the operator then keeps the Pulp
	// pods on one node.
	// +kubebuilder:validation:Enum=ReadWriteMany;ReadWriteOnce
	// +kubebuilder:default=ReadWriteMany
	// +optional
	AccessMode string `json:"access_mode,omitempty"`
	// ObjectStorageSecret holds Pulp's storage settings as environment
	// variables, such as PULP_STORAGES__default__BACKEND and
	// PULP_STORAGES__default__OPTIONS__bucket_name.
	// +optional
	ObjectStorageSecret *SecretRef `json:"object_storage_secret,omitempty"`
}

// ExternalPulp is a Pulp the operator connects Foreman to but does not run.
type ExternalPulp struct {
	// URL of Pulp, without a path, such as https://foreman.example.com:
	// Katello reaches its API at <url>/pulp/api/v3 and registers it as the
	// Smart Proxy <url>/pulp/api/v3/smart_proxy.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https://[^/:]+(:[0-9]+)?/?$')",message="url must be https://host[:port], without a path"
	URL string `json:"url"`
	// CASecret holds the CA that signed Pulp's certificate (key ca.crt
	// unless given); without it, the operator's CA.
	// +optional
	CASecret *SecretKeyRef `json:"ca_secret,omitempty"`
	// CredentialsSecret is a kubernetes.io/tls Secret with the client
	// certificate Foreman presents to Pulp, which maps it to its admin;
	// without it, the client certificate the operator issues.
	// +optional
	CredentialsSecret *SecretRef `json:"credentials_secret,omitempty"`
}

// ServiceDatabase is a database of Candlepin or Pulp on a PostgreSQL the
// operator does not run. The fields left out are database.external's.
type ServiceDatabase struct {
	// Host name or address; default database.external.host.
	// +optional
	Host string `json:"host,omitempty"`
	// Port of PostgreSQL; default database.external.port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// Name of the database; default candlepin or pulpcore.
	// +optional
	Name string `json:"name,omitempty"`
	// CredentialsSecret holds the user name and password.
	CredentialsSecret CredentialsSecret `json:"credentials_secret"`
	// SSLMode of the connection; default database.external.sslmode.
	// +kubebuilder:validation:Enum=disable;allow;prefer;require;verify-ca;verify-full
	// +optional
	SSLMode string `json:"sslmode,omitempty"`
	// CASecret holds the CA that signed the server's certificate (key ca.crt
	// unless given); default database.external.ca_secret.
	// +optional
	CASecret *SecretKeyRef `json:"ca_secret,omitempty"`
}

// ExternalCheck is the last answer of a service outside the cluster, as the
// operator's run checked it.
type ExternalCheck struct {
	// Name of the component, such as postgresql or candlepin.
	Name string `json:"name"`
	// Endpoint checked, host:port or a URL.
	Endpoint string `json:"endpoint"`
	// Result is Reachable or Unreachable.
	Result string `json:"result"`
	// Message says what answered, or why nothing did.
	// +optional
	Message string `json:"message,omitempty"`
}
