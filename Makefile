# The two commands a user needs are `make demo` and `make test`; each installs
# and builds what it needs on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

NODE_MODULES_STAMP := node_modules/.package-lock.json
JEST := NODE_OPTIONS=--experimental-vm-modules node node_modules/jest/bin/jest.js

.PHONY: install build generate release test soak demo bench docs emulator clean

# npm ci only when the lockfile changed since the last install.
$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES_STAMP)

install: $(NODE_MODULES_STAMP)

# Compiles the committed sources (generated files included: tests fail when
# they are stale) and writes dist/terraform.rc with the dev_overrides block.
# dist/ is emptied first: a source moved or deleted must not leave its compiled
# test behind for jest to find.
build: install
	rm -rf dist
	node node_modules/typescript/bin/tsc -p tsconfig.json
	node dist/bridges/terraform/dev-overrides.js

# Regenerate everything derived from schema.json: every generator in codegen/
# (the tfplugin6 descriptor from bridges/terraform/proto, the Terraform schema
# and name map, the Pulumi SDK, the docs), then compile again. Run after
# editing schema.json, the .proto files or codegen/; commit the result.
generate: build
	node dist/codegen/terraform/proto-descriptor-generate.js
	node dist/codegen/terraform/generate.js
	node dist/codegen/sdk/generate.js
	node dist/codegen/docs/docs.js
	node node_modules/typescript/bin/tsc -p tsconfig.json

# dist/release/: the Terraform provider's zips, SHA256SUMS, its signature and
# manifest; the Pulumi plugin's tarballs; the SDK's npm package (packaging/release.ts).
# Executables are Node single-executable applications (no node needed where they run).
release: build
	node dist/packaging/release.js

# The release is built first: the install tests run its executables as a user would.
test: release
	@bash scripts/check-test-prerequisites.sh
	$(JEST) --json --outputFile=dist/jest-results.json $(JEST_ARGS) || status=$$?; \
	node scripts/test-summary.js dist/jest-results.json; exit $${status:-0}

# The randomized lost-answer soak (tests/reliability/soak.test.ts) with more seeds than `make test`
# runs: SEEDS seeds from FIRST_SEED, LANES vers-local instances at once. A failing seed is printed;
# replay it with SOAK_SEED_LIST=<seed>[,<seed>…] make soak.
SEEDS ?= 200
FIRST_SEED ?= 1
LANES ?= 2
soak: build
	@bash scripts/check-test-prerequisites.sh
	SOAK_SEEDS=$(SEEDS) SOAK_FIRST_SEED=$(FIRST_SEED) SOAK_LANES=$(LANES) $(JEST) dist/tests/reliability/soak.test.js

demo: build
	bash scripts/demo.sh

bench: build
	bash scripts/bench.sh

docs: build
	node dist/codegen/docs/docs.js

# vers-local in the foreground, as users run it offline.
emulator: build
	bin/vers-local

clean:
	rm -rf dist .build
