# Approdo's table of contents: `make help` lists what you can do.
SHELL := /bin/bash
export GOTOOLCHAIN := local

DEVSERVER_BIN := $(CURDIR)/.dev/bin/approdo-devserver
APPRODO_BIN := $(CURDIR)/.dev/bin/approdo

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: dev
dev: ## Run the whole stack: PostgreSQL, Temporal + Web UI, worker, API
	@echo "Building approdo (the first build compiles the Temporal SDK and takes a few minutes)…"
	@go build -o $(APPRODO_BIN) ./cmd/approdo
	@$(APPRODO_BIN) dev

.PHONY: devserver
devserver: ## Build the Temporal dev server binary into .dev/bin (first build ~8-10 min)
	@go run ./cmd/devserver-build -o $(DEVSERVER_BIN)

.PHONY: test
test: devserver ## Run every test (unit, PostgreSQL, Temporal, HTTP)
	@mkdir -p .dev
	@set -o pipefail; APPRODO_DEVSERVER_BIN=$(DEVSERVER_BIN) go test -count=1 -timeout 20m ./... 2>&1 | tee .dev/test.log; \
	  status=$$?; if [ $$status -ne 0 ]; then scripts/test-failures .dev/test.log; fi; exit $$status

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and workflowcheck
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	go tool workflowcheck ./workflows/...
	cd deploy/devserver && go vet ./...

.PHONY: generate
generate: ## Regenerate code from api/openapi.yaml
	go generate ./...

.PHONY: bench
bench: ## Run the benchmarks and print their figures
	go test -run '^$$' -bench . -benchmem ./...

.PHONY: histories
histories: devserver ## Re-record the workflow histories the replay test replays
	APPRODO_DEVSERVER_BIN=$(DEVSERVER_BIN) go test -count=1 -run 'TestEnrolmentEndToEnd|TestJourneyThroughTheAPI|TestPECToTheComuneIsDeliveredByItsReceipt|TestUndeliveredPECEscalatesTheCase|TestOnboardingDeliversCredentialsByPEC|TestReunifiedFamilysChildrenEndUpEnrolled|TestPupilNotAttendingBecomesAnInterventionCase' ./internal/e2e -update-histories

.PHONY: clean
clean: ## Remove the dev stack's data, logs and binaries (.dev/)
	rm -rf .dev
