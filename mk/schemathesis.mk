# API fuzzing: schemathesis against a live Backhaul (gunicorn on a free loopback port) with
# demo data and API tokens; fails on any 5xx or a reply that does not match the OpenAPI
# document. Reports in var/api-fuzz/. FUZZ_EXAMPLES is per operation and token.
FUZZ_EXAMPLES ?= 25
FUZZ_SEED ?= 20261121

.PHONY: test-api-fuzz

test-api-fuzz: install
	$(BIN)/python tests/privacy/api_fuzz.py --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED)
