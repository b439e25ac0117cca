package main

import (
	"fmt"
	"net"
	"strconv"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/theforeman/foreman-operator/pkg/controller"
	"github.com/theforeman/foreman-operator/pkg/proxy"
)

// access gives each run its own credentials on the owner-injecting proxy,
// and tells the controllers what the runs wrote.
type access struct {
	*proxy.Proxy
}

func newAccess(cfg *rest.Config, o *options, router *controller.Router, log logr.Logger) (*access, error) {
	p, err := proxy.New(proxy.Options{
		Config: cfg,
		Addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(o.proxyPort)),
		Log:    log,
		OnWrite: func(owner proxy.Owner, w proxy.Write) {
			router.Observe(controller.Write{
				Owner: ownerGVK(owner), Child: w.GroupVersionKind,
				Namespace: w.Namespace, Name: w.Name, ResourceVersion: w.ResourceVersion,
				Deleted: w.Verb == "delete", ClusterScoped: w.Namespace == "",
			})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start the API proxy: %w", err)
	}
	return &access{p}, nil
}

// Grant implements controller.Access.
func (a *access) Grant(owner controller.Owner) ([]byte, func(), error) {
	token, release := a.Register(proxy.Owner{APIVersion: owner.APIVersion, Kind: owner.Kind,
		Namespace: owner.Namespace, Name: owner.Name, UID: owner.UID})
	kubeconfig, err := a.Kubeconfig(token)
	if err != nil {
		release()
		return nil, nil, err
	}
	return kubeconfig, release, nil
}

// ownerGVK is the kind of the CR a write was made for.
func ownerGVK(o proxy.Owner) schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
}
