# sandgate: make run | make test | make bench | make reliability | make fuzz
SHELL := /bin/bash
GO ?= go
BIN := bin/sandgate
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# The Vault server for integration tests is built once from the Go module
# proxy into a cache outside the repository (10 to 20 minutes the first time).
VAULT_VERSION := 1.21.0
VAULT_BIN ?= $(HOME)/.cache/sandgate/vault-$(VAULT_VERSION)/vault
export SANDGATE_VAULT_BIN := $(VAULT_BIN)

.PHONY: all build run test unit integration deps vault bench reliability vet fuzz clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sandgate

## run: start a gateway with the example config (file secrets, shipped scripts)
run: build
	@bash examples/run.sh $(BIN)

## test: install what the tests need, then vet, unit and integration tests
test: deps vet
	$(GO) test -race -count=1 -timeout 20m ./...

# The Vault server is a prerequisite: secrets/vault's tests run the real one.
unit: vault vet
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /integration)

integration: deps
	$(GO) test -count=1 -timeout 20m ./integration/...

vet:
	$(GO) vet ./...

## deps: what the integration tests run: curl, iptables (transparent mode), ip (network
## namespaces), mount (a small tmpfs), etcd (fleet tests; Debian's etcd-server, etcd
## 3.4), and the Vault server
deps: vault
	@missing=""; for t in curl:curl iptables:iptables ip:iproute2 mount:mount etcd:etcd-server; do \
		command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y $$missing; fi

vault: $(VAULT_BIN)

# No prerequisites: the version is in the path, and a fresh clone's newer file
# times must not trigger a rebuild of the cached binary.
$(VAULT_BIN):
	@echo "building Vault $(VAULT_VERSION) for the integration tests into $(VAULT_BIN) (first time: 10 to 20 minutes)"
	@mkdir -p $(dir $(VAULT_BIN))
	cd integration/vault && GOFLAGS=-mod=mod $(GO) build -mod=mod -trimpath -ldflags='-s -w' -o $(VAULT_BIN).tmp .
	mv $(VAULT_BIN).tmp $(VAULT_BIN)

## bench: micro-benchmarks and the side-by-side comparison; writes BENCHMARKS.md
bench: build
	@if [[ "$${BENCH_SYSTEMS:-sandgate-vault}" == *sandgate-vault* ]]; then \
		test -x $(VAULT_BIN) || $(MAKE) --no-print-directory vault; fi
	bash bench/run.sh

## reliability: what one client can do to the gateway, measured on the real binary (about
## 14 minutes, bounded by -deadline); writes RELIABILITY.md and bench/results/reliability.json.
## RELIABILITY_FLAGS passes flags, e.g. RELIABILITY_FLAGS='-phases flood,idle -flood-during 5s'.
RELIABILITY_FLAGS ?=
reliability: build
	$(GO) run ./bench/reliability -bin $(BIN) $(RELIABILITY_FLAGS)

## fuzz: every fuzz target of the repository to FUZZ_EXECS execs each, written to FUZZING.md
## (FUZZTIME=30s runs each for a time instead; make test runs their seed corpora)
FUZZ_EXECS ?= 1000000
FUZZTIME ?= 0
fuzz: build
	$(GO) run ./bench/reliability -bin $(BIN) -phases fuzz -fuzz-time $(FUZZTIME) -fuzz-execs $(FUZZ_EXECS) \
		-deadline 3h -out FUZZING.md -json bench/results/fuzz.json

clean:
	rm -rf bin
