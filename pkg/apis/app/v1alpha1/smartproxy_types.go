package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SmartProxySpec describes a Foreman Smart Proxy: the Foreman it registers
// in, the features it serves, and how it runs and is reached. It runs one
// pod, replaced with the Recreate strategy: remote execution's state is in
// the process.
//
// +kubebuilder:validation:XValidation:rule="!has(self.replicas) || self.replicas <= 1",fieldPath=".replicas",message="a Smart Proxy runs one replica (0 stops it): remote execution keeps its state in the process"
// +kubebuilder:validation:XValidation:rule="!has(self.ingress) || !has(self.ingress.type) || self.ingress.type == 'none' || has(self.hostname)",fieldPath=".hostname",message="ingress.type loadbalancer, nodeport, ingress and route need hostname: Foreman and hosts reach the proxy by that name, and its certificate names it"
type SmartProxySpec struct {
	// Foreman is the Foreman the proxy registers in: a Foreman in this
	// namespace (name), or one elsewhere (url, oauth_secret and ca_secret).
	Foreman ForemanRef `json:"foreman"`

	// Features the proxy serves, each with its own settings file. The
	// features they need are turned on with them: ansible needs
	// remote_execution_ssh, which needs dynflow; registration needs templates.
	// +kubebuilder:default={remote_execution_ssh}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Enum=ansible;dynflow;registration;remote_execution_ssh;templates
	// +listType=set
	// +optional
	Features []string `json:"features,omitempty"`

	// Version is the Foreman release stream of the proxy, X.Y or nightly;
	// keep it at the Foreman's.
	// +kubebuilder:default="3.16"
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^(nightly|[0-9]+[.][0-9]+)$')",message="version must be a Foreman release stream such as 3.16, or nightly"
	// +optional
	Version string `json:"version,omitempty"`

	// Image overrides the proxy image; default
	// quay.io/foreman/foreman-proxy:<version> (or RELATED_IMAGE_FOREMAN_PROXY
	// for the operator's pinned version).
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullSecrets are used by the proxy and registration pods.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"image_pull_secrets,omitempty"`

	// Hostname is the name Foreman and hosts reach the proxy by; default
	// <name>.<namespace>.svc. Its certificate names it, and the URL it
	// registers with is built from it.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="hostname must be a lower-case DNS name such as proxy.example.com"
	// +optional
	Hostname string `json:"hostname,omitempty"`

	// RegisteredName is the proxy's name in Foreman; default the hostname.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	RegisteredName string `json:"registered_name,omitempty"`

	// SSHKeySecret holds the key pair remote execution logs in to hosts with
	// (keys id_rsa_foreman_proxy and id_rsa_foreman_proxy.pub). The operator
	// generates <name>-ssh when it is left out, once, and never replaces it.
	// +optional
	SSHKeySecret *SecretRef `json:"ssh_key_secret,omitempty"`

	// TLS names the proxy's certificates.
	// +optional
	TLS SmartProxyTLS `json:"tls,omitempty"`

	// Ingress exposes the proxy's HTTPS port (8443, mutual TLS, passed
	// through) and the templates port (8000, HTTP) outside the cluster.
	// +kubebuilder:default={}
	// +optional
	Ingress SmartProxyIngress `json:"ingress,omitempty"`

	// The proxy pod's size and scheduling.
	// +optional
	ComponentSpec `json:",inline"`

	// Paused stops reconciling without deleting anything.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// DeleteDataOnRemoval deletes the generated SSH key pair and certificate
	// with the CR. By default they are kept (hosts trust the key), as are
	// Secrets the user supplied.
	// +optional
	DeleteDataOnRemoval bool `json:"delete_data_on_removal,omitempty"`
}

// ForemanRef says where a Smart Proxy's Foreman is.
//
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.url)",message="foreman needs name (a Foreman in this namespace) or url (a Foreman elsewhere), and not both"
// +kubebuilder:validation:XValidation:rule="!has(self.url) || (has(self.oauth_secret) && has(self.ca_secret))",message="foreman.url needs oauth_secret (Foreman's OAuth consumer key and secret) and ca_secret (the CA of Foreman's certificates)"
type ForemanRef struct {
	// Name of a Foreman in the proxy's namespace. Its URL inside the
	// cluster, its <instance>-oauth Secret and, where it exists, its
	// <instance>-ca Secret are used unless oauth_secret or ca_secret say
	// otherwise.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// URL of a Foreman elsewhere, such as https://foreman.example.com.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^/?#]+(/[^?#]*)?$')",message="url must be http(s)://host[:port][/path]"
	// +optional
	URL string `json:"url,omitempty"`
	// OAuthSecret holds Foreman's OAuth consumer key and secret (keys
	// consumer_key and consumer_secret), which the registration Job signs
	// its API requests with.
	// +optional
	OAuthSecret *SecretRef `json:"oauth_secret,omitempty"`
	// CASecret holds the CA of Foreman's certificates (key ca.crt unless
	// given): the proxy verifies Foreman's server with it and trusts the
	// client certificates it signed.
	// +optional
	CASecret *SecretKeyRef `json:"ca_secret,omitempty"`
}

// SmartProxyTLS names the proxy's certificates: kubernetes.io/tls Secrets
// (tls.crt, tls.key).
type SmartProxyTLS struct {
	// ServerSecret is the certificate of the proxy's HTTPS port (8443);
	// default <name>-tls, which the operator generates, self-signed, when it
	// does not exist.
	// +optional
	ServerSecret *SecretRef `json:"server_secret,omitempty"`
	// ClientSecret is the certificate the proxy presents to Foreman; default
	// the server certificate.
	// +optional
	ClientSecret *SecretRef `json:"client_secret,omitempty"`
}

// SmartProxyIngress exposes a Smart Proxy.
type SmartProxyIngress struct {
	// Type of exposure: none (a ClusterIP Service), loadbalancer, nodeport,
	// ingress (TLS passed through: the ingress-nginx annotations are set)
	// or route (an OpenShift Route with passthrough termination).
	// +kubebuilder:validation:Enum=none;loadbalancer;nodeport;ingress;route
	// +kubebuilder:default=none
	// +optional
	Type string `json:"type,omitempty"`
	// ClassName is the IngressClass.
	// +optional
	ClassName *string `json:"class_name,omitempty"`
	// Annotations of the Ingress, Route or Service.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SmartProxyStatus is what the operator observed. The engine writes its run
// conditions, the role the URLs, version, features and key Secret, and the
// status reporter Ready, Progressing, Degraded, the components and
// registered.
type SmartProxyStatus struct {
	// Conditions: Ready, Progressing, Degraded, and the engine's Running,
	// Successful and Failure.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Components: the proxy Deployment and the registration Job.
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`
	// Registered is true once the registration Job of the current Foreman
	// URL, proxy URL, features and version has completed.
	// +optional
	Registered bool `json:"registered,omitempty"`
	// ForemanURL is the Foreman the proxy registers in.
	// +optional
	ForemanURL string `json:"foreman_url,omitempty"`
	// URL the proxy registers with, which Foreman calls.
	// +optional
	URL string `json:"url,omitempty"`
	// Version of the proxy.
	// +optional
	Version string `json:"version,omitempty"`
	// Features enabled, dependencies included.
	// +optional
	Features []string `json:"features,omitempty"`
	// SSHKeySecret holds the remote execution key pair; hosts need its
	// public key in authorized_keys.
	// +optional
	SSHKeySecret string `json:"ssh_key_secret,omitempty"`
}

// SmartProxy is a Foreman Smart Proxy.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sp
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Registered",type=boolean,JSONPath=`.status.registered`
// +kubebuilder:printcolumn:name="Foreman",type=string,JSONPath=`.status.foreman_url`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`,priority=1
// +kubebuilder:printcolumn:name="Features",type=string,JSONPath=`.status.features`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type SmartProxy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec SmartProxySpec `json:"spec"`
	// +optional
	Status SmartProxyStatus `json:"status,omitempty"`
}

// SmartProxyList is a list of SmartProxy.
//
// +kubebuilder:object:root=true
type SmartProxyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SmartProxy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&SmartProxy{}, &SmartProxyList{})
}
