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
lint: ## go vet and gofmt (ansible-lint joins once roles exist)
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt wants changes in:"; echo "$$out"; exit 1; fi

.PHONY: deps
deps: ## Install the Debian packages and build the cluster binaries (once; cached)
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is required (/usr/local/go/bin/go)"; exit 1; }
	hack/cluster/install-deps.sh etcd ansible
	$(CLUSTER)/build.sh >/dev/null

##@ Test

.PHONY: test
test: deps lint ## Unit, integration and scenario tests on a fresh local cluster
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
