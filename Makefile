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

.PHONY: prodlike
prodlike: ## Run production-shaped: Temporal on PostgreSQL, two workers, two APIs, each a process
	@go build -o $(APPRODO_BIN) ./cmd/approdo
	@$(APPRODO_BIN) prodlike

.PHONY: devserver
devserver: ## Build the Temporal dev server binary into .dev/bin (first build ~8-10 min)
	@go run ./cmd/devserver-build -o $(DEVSERVER_BIN)

.PHONY: test
test: devserver ## Run every test (unit, PostgreSQL, Temporal, HTTP)
	@mkdir -p .dev
	@set -o pipefail; APPRODO_DEVSERVER_BIN=$(DEVSERVER_BIN) go test -count=1 -timeout 20m ./... 2>&1 | tee .dev/test.log; \
	  status=$$?; if [ $$status -ne 0 ]; then scripts/test-failures .dev/test.log; fi; exit $$status

SPECTRAL := tools/spectral/node_modules/.bin/spectral

.PHONY: lint
lint: spectral vulncheck ## gofmt, go vet, staticcheck, workflowcheck, Spectral (api/openapi.yaml) and govulncheck
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	go tool workflowcheck ./workflows/...
	cd deploy/devserver && go vet ./...

# Spectral checks the served API document against the OpenAPI ruleset (.spectral.yaml):
# warnings fail too, since code generators and API catalogues reject what they flag. It is
# installed from npm, pinned by tools/spectral/package-lock.json, the first time; its
# install scripts are skipped (the only one is a usage-analytics ping).
.PHONY: spectral
spectral: $(SPECTRAL) ## Check api/openapi.yaml with Spectral (installs it the first time, ~1 min)
	$(SPECTRAL) lint --fail-severity=warn api/openapi.yaml

$(SPECTRAL): tools/spectral/package.json tools/spectral/package-lock.json
	npm ci --prefix tools/spectral --ignore-scripts --no-audit --no-fund
	@touch $@

# govulncheck reads a vulnerability database built offline from the golang.org/x/vulndb
# module (vuln.go.dev is not reachable from here); scripts/vulncheck pins both.
.PHONY: vulncheck
vulncheck: ## Check the code's reachable dependencies against the Go vulnerability database
	@scripts/vulncheck

# ko builds the image from the Go module with no Docker daemon (see .ko.yaml and the
# README's "The image"); it is not installed here and nothing else needs it. Set
# KO_DOCKER_REPO to push to a registry, or KO_FLAGS=--local to load into a local daemon.
.PHONY: image
image: ## Build the container image with ko (no Docker daemon; needs ko and KO_DOCKER_REPO)
	@command -v ko >/dev/null || { echo "ko is not installed (https://ko.build); or build deploy/image/Dockerfile with buildah, podman or kaniko"; exit 1; }
	ko build --bare $(KO_FLAGS) ./cmd/approdo

.PHONY: generate
generate: ## Regenerate code from api/openapi.yaml
	go generate ./...

.PHONY: bench
bench: ## Run the benchmarks and print their figures
	# The million cases' monitoring benchmark alone takes 15-20 minutes here.
	go test -run '^$$' -bench . -benchmem -timeout 60m ./...

# The surge benchmark and the fault suite start their own production-shaped stack
# (README, "Performance"); N and C set the cases and how many at a time.
N ?= 500
C ?= 50

.PHONY: bench-surge
bench-surge: devserver ## Drive N whole cases (default 500, C=50 at a time) through the API against a bare Temporal baseline
	@go build -o $(APPRODO_BIN) ./cmd/approdo
	@$(APPRODO_BIN) bench surge -n $(N) -c $(C) $(BENCH_FLAGS)

# OPEN cases filed and left open, C at a time, after a small surge: the RSS of the worker
# and the API with that many open cases (issue 14, P3).
OPEN ?= 10000

.PHONY: bench-memory
bench-memory: devserver ## Memory of the worker and the API with OPEN open cases (default 10,000), filed C at a time
	@go build -o $(APPRODO_BIN) ./cmd/approdo
	@$(APPRODO_BIN) bench surge -n 20 -c $(C) -baseline-n 20 -overhead 0 -open $(OPEN) $(BENCH_FLAGS)

.PHONY: faults
faults: devserver ## Fault suite: SIGKILL the worker 20 times in 1,000 cases, restart PostgreSQL mid-surge, stop SMTP, stop IMAP (PEC receipts)
	@go build -o $(APPRODO_BIN) ./cmd/approdo
	@$(APPRODO_BIN) faults

# Fuzzing of every JSON request body of the API against the real stack (README,
# "Robustness"): FUZZTIME for each target, one after the other.
FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: devserver ## Fuzz every JSON request body of the API for FUZZTIME each (default 30s); prints the executions
	@APPRODO_DEVSERVER_BIN=$(DEVSERVER_BIN) FUZZTIME=$(FUZZTIME) scripts/fuzz

.PHONY: histories
histories: devserver ## Re-record the workflow histories the replay test replays
	APPRODO_DEVSERVER_BIN=$(DEVSERVER_BIN) go test -count=1 -run 'TestEnrolmentEndToEnd|TestJourneyThroughTheAPI|TestPECToTheComuneIsDeliveredByItsReceipt|TestUndeliveredPECEscalatesTheCase|TestOnboardingDeliversCredentialsByPEC|TestReunifiedFamilysChildrenEndUpEnrolled|TestOneStopShopEnrolsAFamilyMemberInInfanzia|TestPupilNotAttendingBecomesAnInterventionCase|TestAmendThroughTheAPI|TestDeadlinesFollowTheActingOfficesCalendar|TestASchoolRegisteringAFiledMinorClosesTheOpenCase|TestUSTOnboardsTheSchoolsFromThePortal|TestACaseCostsABoundedNumberOfEvents|TestALeanCaseCancelledWhileWaitingEndsCancelled' ./internal/e2e -update-histories

# Run as root from a folder the postgres user cannot enter, `approdo dev` keeps its cluster
# in /var/lib/approdo-dev/<key> and names that folder in .dev/postgres-location.
.PHONY: clean
clean: ## Remove the dev stack's data, logs and binaries (.dev/, and its PostgreSQL if kept in /var/lib/approdo-dev)
	@loc=$$(cat .dev/postgres-location 2>/dev/null); case "$$loc" in \
	  *..*) ;; \
	  /var/lib/approdo-dev/?*) echo "rm -rf $$loc"; rm -rf "$$loc"; rmdir /var/lib/approdo-dev 2>/dev/null || true;; \
	esac
	rm -rf .dev
