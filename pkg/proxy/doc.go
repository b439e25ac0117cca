// Package proxy sits between Ansible and the API server during a run in the
// flow (CR event -> reconcile -> extra vars -> runner -> Ansible -> events ->
// status): it is the API server that a run's kubeconfig points at, and it
// records the CR as the owner of every object the run creates, so that an
// upstream-style role (plain kubernetes.core.k8s tasks, no ownerReferences in
// its templates) runs unchanged while its objects are owned by the CR.
//
// # Authentication
//
// Upstream's proxy takes any request that reaches its port and names the owner
// in the URL's user name. Here the controller calls Register for each run and
// gets a random bearer token (128 bits from crypto/rand) that maps to the CR;
// Kubeconfig writes a kubeconfig with that token and the proxy's real address
// (upstream hard-codes port 8888, whatever --proxy-port says). A request
// without a registered token gets 401 and is not forwarded; the release
// function Register returns revokes the token for new requests. The token is
// then dropped, as are Impersonate-* headers, and the request goes to the API
// server with the operator's own credentials.
//
// The listener binds loopback only and serves TLS with a certificate made in
// New, whose key never leaves the process; the kubeconfig trusts it. TLS is
// not there to hide loopback traffic: client-go, and so kubectl and helm,
// sends no credentials to an http:// server, so a plain-HTTP proxy could
// authenticate the Python clients only.
//
// # Owner injection
//
// The owner is recorded the way upstream and operator-lib's handlers read it:
//
//   - an owner reference {apiVersion, kind, name, uid, controller: true,
//     blockOwnerDeletion: true} when the owner is cluster-scoped or the object
//     lives in the owner's namespace; if the object already names another
//     controller, ours is added without controller. Upstream sets neither flag.
//     blockOwnerDeletion needs update permission on the CR's finalizers
//     subresource where the OwnerReferencesPermissionEnforcement admission
//     plugin is on (OpenShift);
//   - otherwise (a cluster-scoped object, or another namespace, for a
//     namespaced owner) the annotations operator-sdk/primary-resource
//     (<namespace>/<name>) and operator-sdk/primary-resource-type
//     (<Kind>.<group>). Nothing garbage-collects those objects; the role's
//     finalizer must delete them.
//
// Which requests get it:
//
//   - create (POST to a collection): always. Unlike upstream, an owner that is
//     already recorded is not added twice.
//   - server-side apply (PATCH, application/apply-patch+yaml, YAML or JSON):
//     when the object does not exist yet or already records the owner, which
//     the proxy learns with a GET first. Apply must carry the owner every
//     time: a field manager that applied a reference and then omits it
//     removes it.
//   - update (PUT): when the object already records the owner, so that a PUT
//     from a template (kubernetes.core.k8s with force: true) does not strip
//     it. An existing object that does not record the owner is never adopted,
//     as upstream.
//   - a PUT or merge/strategic-merge PATCH answered 201 Created without the
//     owner: the proxy follows up with a JSON merge patch that adds it,
//     guarded by the created object's resourceVersion, and answers the client
//     with the patched object. Only create-on-update kinds (Service,
//     LimitRange, the RBAC kinds, Lease and a few more) create on PUT; the
//     API server answers a non-apply PATCH of a missing object with 404. If
//     the follow-up fails, the client gets 502 and the object stays unowned.
//
// Subresources and "virtual" resources (whose discovery entry lacks get, list
// or watch, such as SelfSubjectAccessReviews) pass untouched. Scope and kind
// come from the discovery client's cache, refreshed once when a resource is
// missing; a resource that is still missing gets 404 without being forwarded.
// A body that needs the owner must be JSON, YAML or protobuf (Go clients' way
// of sending built-in kinds, re-encoded as JSON); anything else gets 415, so
// the proxy never lets an object it cannot mark be created unowned.
//
// # Writes
//
// After every successful write of an object (create, update, patch, apply or
// delete of a resource that is neither a subresource nor virtual, one object
// at a time, not a dry run) the proxy calls Options.OnWrite with what was
// written: kind, namespace, name, the resourceVersion the API server answered
// with ("" for deletes and for responses that are not JSON), whether it was
// created, and how the object records the owner. The controller uses it to
// add dependent watches lazily and to recognise informer events caused by its
// own writes. It is called before the client sees the response, from the
// request's goroutine, so it must not block. The proxy asks for a JSON
// response to these writes when the client accepts JSON, and sends them
// without the client's Accept-Encoding, so that it can read them; a response
// in any other form passes through as it came and is reported without
// resourceVersion. Each write request is logged at V(1) with verb, resource,
// object, status code and owner, never bodies.
//
// # Reads
//
// Reads are not cached: every GET, list and watch goes to the API server, and
// responses stream (a watch event reaches Ansible as soon as the API server
// sends it). Upstream answers GETs from the operator's informer cache, which
// makes a role read stale data right after its own write and makes the
// operator hold every object of each kind a role ever read; the API server
// serves a role's handful of reads well enough.
package proxy
