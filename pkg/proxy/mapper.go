package proxy

import (
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
)

// errUnknownResource is returned for a resource that discovery does not list,
// even after a refresh.
var errUnknownResource = errors.New("resource not found in discovery")

// resource is what discovery says about one resource.
type resource struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	// virtual is true for resources that cannot be read back (no get, list
	// or watch), such as SelfSubjectAccessReviews: nothing is stored, so
	// there is nothing to own.
	virtual bool
}

// resources looks resources up in the API server's discovery documents,
// cached in memory. One discovery entry gives kind, scope and verbs at once,
// so no RESTMapper is needed on top of it.
type resources struct {
	disc discovery.CachedDiscoveryInterface
}

func newResources(d discovery.DiscoveryInterface) *resources {
	return &resources{disc: memory.NewMemCacheClient(d)}
}

// lookup finds resource (plural, lowercase) in gv. A miss invalidates the
// cache and tries once more, so that a CRD the run just created is found.
func (m *resources) lookup(gv schema.GroupVersion, name string) (resource, error) {
	r, err := m.find(gv, name)
	if errors.Is(err, errUnknownResource) {
		m.disc.Invalidate()
		r, err = m.find(gv, name)
	}
	return r, err
}

func (m *resources) find(gv schema.GroupVersion, name string) (resource, error) {
	list, err := m.disc.ServerResourcesForGroupVersion(gv.String())
	switch {
	case errors.Is(err, memory.ErrCacheNotFound) || apierrors.IsNotFound(err):
		return resource{}, fmt.Errorf("%w: %s", errUnknownResource, gv)
	case err != nil:
		return resource{}, fmt.Errorf("discover resources of %s: %w", gv, err)
	}
	for _, r := range list.APIResources {
		if r.Name != name {
			continue
		}
		return resource{
			gvk:        gv.WithKind(r.Kind),
			namespaced: r.Namespaced,
			virtual: !slices.Contains(r.Verbs, "get") || !slices.Contains(r.Verbs, "list") ||
				!slices.Contains(r.Verbs, "watch"),
		}, nil
	}
	return resource{}, fmt.Errorf("%w: %s in %s", errUnknownResource, name, gv)
}
