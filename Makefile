# Foreman operator. `make` alone lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
export PATH := $(PATH):/usr/local/go/bin
# The local cluster the demo uses; tests use their own, named "test".
CLUSTER_NAME ?= foreman-operator
CLUSTER = hack/cluster
# go test flags for `make test`, e.g. GOTEST_FLAGS='-run TestFoo -v'.
GOTEST_FLAGS ?=
# `make molecule`: one scenario of molecule/ (all when empty), and the
# Molecule command (test, converge, verify, destroy, ...).
SCENARIO ?=
ACTION ?= test

# The release: the bundle's version and the operator image.
VERSION ?= 0.1.0
IMG ?= quay.io/foreman/foreman-operator:$(VERSION)
CHANNELS ?= alpha
DEFAULT_CHANNEL ?= alpha
BUNDLE_IMG ?= quay.io/foreman/foreman-operator-bundle:v$(VERSION)
CONTAINER_TOOL ?= docker
# kubectl, with kustomize built in: yours for install and deploy, else the
# local cluster's (built once). Generated files use the local cluster's,
# whose version is pinned.
KUBECTL ?= $(or $(shell command -v kubectl 2>/dev/null),$(shell $(CLUSTER)/build.sh)/kubectl)
PINNED_KUBECTL = $(shell $(CLUSTER)/build.sh)/kubectl
# `make deploy`: the kustomize config, and the namespace (the config's own
# when empty: foreman for config/default). The image is the config's unless
# IMG is given.
CONFIG ?= config/default
NAMESPACE ?=
DEPLOY_IMG = $(if $(filter file,$(origin IMG)),,$(IMG))

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z0-9_-]+:.*?## / { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: build
build: ## Build every Go package and the binaries into bin/
	$(GO) build ./...
	@if [ -d cmd ]; then $(GO) build -o bin/ ./cmd/...; fi

.PHONY: lint
lint: ## go vet, gofmt, and ansible-lint (production profile) on roles/, playbooks/ and molecule/
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt wants changes in:"; echo "$$out"; exit 1; fi
	@if [ -d roles ]; then hack/cluster/install-deps.sh lint && ansible-lint --nocolor roles playbooks molecule .config/molecule; fi

.PHONY: deps
deps: ## Install the Debian packages and build the cluster binaries (once; cached)
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is required (/usr/local/go/bin/go)"; exit 1; }
	hack/cluster/install-deps.sh etcd ansible postgresql
	$(CLUSTER)/build.sh >/dev/null

##@ Generate

# controller-gen v0.19 is built against k8s.io v0.34, as the operator is.
CONTROLLER_TOOLS_VERSION ?= v0.19.0
CONTROLLER_GEN ?= $(CURDIR)/bin/controller-gen-$(CONTROLLER_TOOLS_VERSION)
API_PATHS = ./pkg/apis/...

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the API types' deepcopy functions (zz_generated.deepcopy.go)
	$(CONTROLLER_GEN) object paths=$(API_PATHS)

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs into config/crd/bases, and config/rbac's Roles from what the roles and code use
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=$(API_PATHS) output:crd:artifacts:config=config/crd/bases
	$(GO) run ./hack/rbacgen

.PHONY: docs
docs: manifests ## Render the Foreman and SmartProxy spec references into README.md from the CRDs
	$(GO) run ./hack/gendocs

.PHONY: verify-gen
verify-gen: $(CONTROLLER_GEN) ## Fail when deepcopy, CRDs, RBAC, the bundle or the README references are stale
	CONTROLLER_GEN=$(CONTROLLER_GEN) API_PATHS=$(API_PATHS) KUBECTL=$(PINNED_KUBECTL) hack/gen-verify.sh

$(CONTROLLER_GEN):
	mkdir -p $(@D)
	GOBIN=$(@D) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(@D)/controller-gen $@

##@ Build

.PHONY: docker-build
docker-build: ## Build the operator image IMG (needs a container engine; CI does not build it)
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the operator image IMG
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: bundle
bundle: ## Render the OLM bundle (bundle/, bundle.Dockerfile) for VERSION and IMG
	$(GO) run ./hack/bundle render -version $(VERSION) -image $(IMG) -channels $(CHANNELS) \
	  -default-channel $(DEFAULT_CHANNEL) -kubectl $(PINNED_KUBECTL)

.PHONY: bundle-validate
bundle-validate: ## Check the bundle; dry-runs alm-examples on the cluster of KUBECONFIG (installs the CRDs there)
	$(GO) run ./hack/bundle validate -kubectl $(PINNED_KUBECTL)

.PHONY: bundle-build
bundle-build: ## Build the bundle image BUNDLE_IMG (needs a container engine)
	$(CONTAINER_TOOL) build -f bundle.Dockerfile -t $(BUNDLE_IMG) .

##@ Deployment (on the cluster of KUBECONFIG)

.PHONY: install
install: ## Install the CRDs (cluster admin, once per cluster)
	KUBECTL=$(KUBECTL) hack/deploy.sh install

.PHONY: uninstall
uninstall: ## Delete the CRDs, and every Foreman with them
	KUBECTL=$(KUBECTL) hack/deploy.sh uninstall

.PHONY: deploy
deploy: ## Deploy the operator from CONFIG (config/default) into NAMESPACE (with image IMG if given)
	KUBECTL=$(KUBECTL) CONFIG=$(CONFIG) NAMESPACE=$(NAMESPACE) IMG=$(DEPLOY_IMG) hack/deploy.sh deploy

.PHONY: undeploy
undeploy: ## Delete what deploy applied (the namespace and its Foremans stay)
	KUBECTL=$(KUBECTL) CONFIG=$(CONFIG) NAMESPACE=$(NAMESPACE) IMG=$(DEPLOY_IMG) hack/deploy.sh undeploy

##@ Test

.PHONY: test
test: deps lint verify-gen ## Unit, integration and scenario tests on a fresh local cluster, then a short fuzz
	hack/test.sh $(GOTEST_FLAGS)
	$(MAKE) fuzz

# How long `make fuzz` fuzzes each target.
FUZZTIME ?= 15s

.PHONY: fuzz
fuzz: ## Fuzz the watches.yaml parser and extra-vars building for FUZZTIME each (seed corpora in testdata/fuzz)
	$(GO) test ./pkg/watches -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/extravars -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime $(FUZZTIME)

.PHONY: test-unit
test-unit: ## The tests that need no cluster (integration tests skip)
	$(GO) test ./... -count=1 $(GOTEST_FLAGS)

.PHONY: molecule
molecule: deps ## Molecule scenarios (SCENARIO=x for one; ACTION=converge, verify, destroy...) on KUBECONFIG's cluster, else a local one
	@KUBECTL=$(KUBECTL) SCENARIO=$(SCENARIO) ACTION=$(ACTION) hack/molecule.sh

.PHONY: bench
bench: deps ## Benchmarks on a local cluster; prints figures
	hack/bench.sh

##@ Local cluster

.PHONY: cluster-up
cluster-up: deps ## Start the local cluster (CLUSTER_NAME=...) and print its kubeconfig
	@CLUSTER_NAME=$(CLUSTER_NAME) $(CLUSTER)/up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local cluster's processes and remove its state
	@CLUSTER_NAME=$(CLUSTER_NAME) $(CLUSTER)/down.sh

.PHONY: demo
demo: deps ## The main job: bring the local cluster up and deploy onto it
	@CLUSTER_NAME=$(CLUSTER_NAME) hack/demo.sh
