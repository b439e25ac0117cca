// Package bundle renders and validates the operator's OLM bundle, the way
// users of Operator Lifecycle Manager install it.
//
// It sits outside the operator's data flow, at packaging: Render turns the
// kustomize rendering of config/manifests (the CSV base, the operator as
// config/default deploys it, the CRDs and the samples) into bundle/: a
// ClusterServiceVersion, the CRDs, metadata/annotations.yaml and
// bundle.Dockerfile. Validate is the check operator-sdk's `bundle validate`
// would be, which cannot be installed here, and more: the CSV's required
// fields, CRDs identical to config/crd, every alm-examples entry accepted by
// a real API server (server-side dry run), CSV permissions equal to
// config/rbac, and related images equal to the images the roles deploy.
package bundle
