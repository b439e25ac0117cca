// Package testcluster connects integration tests to the local Kubernetes
// cluster that `make test` starts (hack/cluster), or to envtest, and gives each
// test a namespace of its own that is deleted when the test ends. A test that
// needs a cluster of its own starts one beside it (Dedicated).
//
// It sits outside the operator's data flow: only tests import it.
package testcluster
