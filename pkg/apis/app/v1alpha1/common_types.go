package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// SecretKeyRef names a key of a Secret in the CR's namespace.
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key in the Secret.
	// +optional
	Key string `json:"key,omitempty"`
}

// SecretRef names a Secret in the CR's namespace.
type SecretRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// ComponentSpec customizes one workload: size, scheduling and extras.
type ComponentSpec struct {
	// Replicas of the workload, where it may have more than one.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Resources of the main container; the operator's defaults apply when empty.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// NodeSelector of the pods.
	// +optional
	NodeSelector map[string]string `json:"node_selector,omitempty"`
	// Tolerations of the pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// Affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// TopologySpreadConstraints of the pods.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topology_spread_constraints,omitempty"`
	// Annotations added to the pods.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// Env added to the main container.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// ReadinessProbe replaces the default readiness probe.
	// +optional
	ReadinessProbe *corev1.Probe `json:"readiness_probe,omitempty"`
	// LivenessProbe replaces the default liveness probe.
	// +optional
	LivenessProbe *corev1.Probe `json:"liveness_probe,omitempty"`
}
