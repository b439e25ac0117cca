package foremanstatus

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// A Kind is what the reporter needs to know of a kind it serves: the
// components a CR's spec asks for, the status keys of its own beside the
// conditions and components, and the kinds of its children.
// The Foreman's is here; other kinds bring theirs (pkg/smartproxystatus).
type Kind struct {
	GroupKind schema.GroupKind
	// Expected returns the components spec (the CR's .spec, nil when it
	// has none) asks for, in the order they come up. An error is an
	// invalid spec, which no retry fixes.
	Expected func(spec map[string]any) ([]Expected, error)
	// Keys returns the further status keys the reporter writes, from the
	// components as observed; nil means none.
	Keys func(components []Observed) map[string]any
	// Owns are the kinds of its children the reporter watches and reads:
	// those of KindDeployment, KindStatefulSet, KindJob and KindSmartProxy
	// components the kind may have, and no others, so that the operator
	// needs no permission it does not use. A kind the cluster does not
	// serve (the SmartProxy CRD not installed) is left out.
	Owns []schema.GroupVersionKind
}

// The kinds of children the reporter knows how to read.
var (
	DeploymentGVK  = appsv1.SchemeGroupVersion.WithKind(KindDeployment)
	StatefulSetGVK = appsv1.SchemeGroupVersion.WithKind(KindStatefulSet)
	JobGVK         = batchv1.SchemeGroupVersion.WithKind(KindJob)
)

// ForemanKind is the kind the Foreman reporter serves, in any version
// watches.yaml routes.
var ForemanKind = schema.GroupKind{Group: v1alpha1.GroupVersion.Group, Kind: "Foreman"}

// SmartProxyGVK is the kind of a Foreman's child Smart Proxy.
var SmartProxyGVK = v1alpha1.GroupVersion.WithKind(KindSmartProxy)

// Foreman is the Foreman kind: its components follow ExpectedComponents,
// and its child SmartProxy is watched where the SmartProxy kind is served.
var Foreman = Kind{
	GroupKind: ForemanKind,
	Expected: func(spec map[string]any) ([]Expected, error) {
		s, err := DecodeSpec[v1alpha1.ForemanSpec](spec)
		return ExpectedComponents(s), err
	},
	Owns: []schema.GroupVersionKind{DeploymentGVK, StatefulSetGVK, JobGVK, SmartProxyGVK},
}

// DecodeSpec reads a CR's .spec, as found in an unstructured object, into
// its API type.
func DecodeSpec[T any](spec map[string]any) (T, error) {
	var out T
	if spec == nil {
		return out, nil
	}
	raw, err := json.Marshal(spec)
	if err == nil {
		err = json.Unmarshal(raw, &out)
	}
	if err != nil {
		return out, fmt.Errorf("read the spec: %w", err)
	}
	return out, nil
}
