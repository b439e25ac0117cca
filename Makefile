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
lint: ## go vet, gofmt, and ansible-lint (production profile) on roles/ and playbooks/
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt wants changes in:"; echo "$$out"; exit 1; fi
	@if [ -d roles ]; then hack/cluster/install-deps.sh lint && ansible-lint --nocolor roles playbooks; fi

.PHONY: deps
deps: ## Install the Debian packages and build the cluster binaries (once; cached)
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is required (/usr/local/go/bin/go)"; exit 1; }
	hack/cluster/install-deps.sh etcd ansible
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
manifests: $(CONTROLLER_GEN) ## Generate the CRDs into config/crd/bases from the API types
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=$(API_PATHS) output:crd:artifacts:config=config/crd/bases

.PHONY: docs
docs: manifests ## Render the Foreman and SmartProxy spec references into README.md from the CRDs
	$(GO) run ./hack/gendocs

.PHONY: verify-gen
verify-gen: $(CONTROLLER_GEN) ## Fail when deepcopy, CRDs or the README references are stale
	CONTROLLER_GEN=$(CONTROLLER_GEN) API_PATHS=$(API_PATHS) hack/gen-verify.sh

$(CONTROLLER_GEN):
	mkdir -p $(@D)
	GOBIN=$(@D) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(@D)/controller-gen $@

##@ Test

.PHONY: test
test: deps lint verify-gen ## Unit, integration and scenario tests on a fresh local cluster
	hack/test.sh $(GOTEST_FLAGS)

.PHONY: test-unit
test-unit: ## The tests that need no cluster (integration tests skip)
	$(GO) test ./... -count=1 $(GOTEST_FLAGS)

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
