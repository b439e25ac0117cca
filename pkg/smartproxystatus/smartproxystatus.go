package smartproxystatus

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
	"github.com/theforeman/foreman-operator/pkg/foremanstatus"
)

// The components, values of foremanstatus.LabelComponent.
const (
	ComponentProxy        = "proxy"
	ComponentRegistration = "registration"
)

// KeyRegistered is the status key the reporter writes beside the
// conditions and components.
const KeyRegistered = "registered"

// GroupKind is the SmartProxy kind, in any version watches.yaml routes.
var GroupKind = schema.GroupKind{Group: v1alpha1.GroupVersion.Group, Kind: "SmartProxy"}

// Kind is the SmartProxy kind for the status reporter.
var Kind = foremanstatus.Kind{
	GroupKind: GroupKind,
	Expected: func(spec map[string]any) ([]foremanstatus.Expected, error) {
		s, err := foremanstatus.DecodeSpec[v1alpha1.SmartProxySpec](spec)
		return ExpectedComponents(s), err
	},
	Keys: Keys,
	Owns: []schema.GroupVersionKind{foremanstatus.DeploymentGVK, foremanstatus.JobGVK},
}

// ExpectedComponents returns the components a SmartProxy's spec asks for,
// in the order they come up: the proxy, then its registration (Foreman
// calls the proxy to read its features).
func ExpectedComponents(spec v1alpha1.SmartProxySpec) []foremanstatus.Expected {
	replicas := int32(1)
	if spec.Replicas != nil {
		replicas = *spec.Replicas
	}
	return []foremanstatus.Expected{
		{Name: ComponentProxy, Kind: foremanstatus.KindDeployment, Replicas: replicas},
		{Name: ComponentRegistration, Kind: foremanstatus.KindJob},
	}
}

// Keys returns registered: whether the registration component is ready.
func Keys(components []foremanstatus.Observed) map[string]any {
	registered := false
	for _, c := range components {
		if c.Name == ComponentRegistration {
			registered = c.Ready
		}
	}
	return map[string]any{KeyRegistered: registered}
}
