# sejf — entry points. `make run` and `make test` work on a fresh Debian 12.
BUILD      ?= build
BUILD_ASAN ?= build-asan
DATA_DIR   ?= .sejf
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: deps configure build test test-asan run lint-proto clean

# The compiler cache, when installed (tools/install-deps.sh installs it):
# unchanged files, also those of another clone of the same tree (CI beside a
# work tree), compile once per configuration.
ifneq ($(shell command -v ccache 2>/dev/null),)
CMAKE_LAUNCHER = -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
endif

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  $(CMAKE_LAUNCHER) $(CMAKE_ARGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure --parallel $(JOBS)

$(BUILD_ASAN)/build.ninja:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DSEJF_SANITIZE=ON $(CMAKE_LAUNCHER) $(CMAKE_ARGS)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps $(BUILD_ASAN)/build.ninja
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --parallel $(JOBS)

# ThreadSanitizer (docs/reliability.md): clang 14 with -fsanitize=thread and
# -Werror=thread-safety in $(BUILD_TSAN)/, building only the target
# sejf_tsan (the test binaries labelled `tsan` in CMakeLists.txt, and
# sejfd and sejf for the e2e ones), then `ctest -L tsan`. Any report fails
# the test (TSan's exit code 66; a report in sejfd makes it exit 66 at once).
BUILD_TSAN ?= build-tsan
# ignore_noninstrumented_modules: what the uninstrumented system libraries
# (gRPC, OpenSSL, Abseil) do through TSan's interceptors (memcpy, new,
# delete) is not checked; see docs/reliability.md.
TSAN_OPTIONS_ALL = halt_on_error=1 second_deadlock_stack=1 \
  ignore_noninstrumented_modules=1 \
  suppressions=$(CURDIR)/tools/tsan/suppressions.txt
.PHONY: test-tsan
$(BUILD_TSAN)/build.ninja:
	cmake -S . -B $(BUILD_TSAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSEJF_TSAN=ON \
	  -DSEJF_COMPONENTS="proto;common;hsm;vault;signer;broker;server;client;tests" \
	  $(CMAKE_LAUNCHER) $(CMAKE_ARGS)

test-tsan: deps $(BUILD_TSAN)/build.ninja
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target sejf_tsan
	cd $(BUILD_TSAN) && TSAN_OPTIONS="$(TSAN_OPTIONS_ALL)" \
	  ctest -L tsan --output-on-failure --parallel $(JOBS)

# SEJFD_ARGS: more flags, e.g. SEJFD_ARGS="--config $(DATA_DIR)/ksef-emulator.toml"
# (written by `make ksef-emulator`) for KSeF sessions against the emulator.
SEJFD_ARGS ?=
run: build
	$(BUILD)/bin/sejfd --dev --data-dir $(DATA_DIR) $(SEJFD_ARGS)

# The KSeF emulator of the tests (tests/ksef_emulator/README.md), to try
# sejfd's KSeF sessions by hand next to `make run`: HTTPS on
# 127.0.0.1:$(KSEF_EMULATOR_PORT)/v2, its TLS CA and Ministry CA in
# $(DATA_DIR)/ksef-emulator/{tls-ca,mf-ca}.pem.
KSEF_EMULATOR_PORT ?= 8443
.PHONY: ksef-emulator
ksef-emulator:
	mkdir -p -m 0700 $(DATA_DIR) $(DATA_DIR)/ksef-emulator
	printf '[ksef.environments.emu]\napi_url = "https://127.0.0.1:%s/v2"\nca_file = "%s"\nmf_trust_anchors = "%s"\n' \
	  $(KSEF_EMULATOR_PORT) $(abspath $(DATA_DIR))/ksef-emulator/tls-ca.pem \
	  $(abspath $(DATA_DIR))/ksef-emulator/mf-ca.pem > $(DATA_DIR)/ksef-emulator.toml
	@echo "sejfd's config for it: $(DATA_DIR)/ksef-emulator.toml (make run SEJFD_ARGS=\"--config $(DATA_DIR)/ksef-emulator.toml\")"
	/usr/bin/python3 tests/ksef_emulator/ksef_emulator.py \
	  --state-dir $(DATA_DIR)/ksef-emulator --port $(KSEF_EMULATOR_PORT)

lint-proto: deps
	cd proto && ../tools/node_modules/.bin/buf lint

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_TSAN)

# Performance (docs/performance.md): sejf-bench starts its own dev sejfd in a
# temporary directory and writes $(BUILD)/bench/results.json.
# BENCH_ARGS e.g. "--stored-tokens 100000 --duration 10".
BENCH_ARGS ?= --stored-tokens 100000 --warmup 2 --duration 10

.PHONY: bench bench-smoke bench-scale
bench: configure
	cmake --build $(BUILD) -j $(JOBS) --target sejf-bench
	$(BUILD)/bin/sejf-bench $(BENCH_ARGS) --output $(BUILD)/bench/results.json

# The vault at size: start-up with an empty and a full vault, lookups among
# SCALE_TOKENS stored tokens (a few minutes; writes $(BUILD)/bench/scale-results.json).
SCALE_TOKENS ?= 1000000
bench-scale: configure
	cmake --build $(BUILD) -j $(JOBS) --target sejf-bench
	$(BUILD)/bin/sejf-bench --scale --stored-tokens $(SCALE_TOKENS) \
	  --output $(BUILD)/bench/scale-results.json

# A few seconds of every scenario; fails only when one errs or yields nothing
# (also registered as the ctest tests bench_smoke and bench_scale_smoke).
bench-smoke: configure
	cmake --build $(BUILD) -j $(JOBS) --target sejf-bench
	$(BUILD)/bin/sejf-bench --smoke --output $(BUILD)/bench/smoke-results.json
	$(BUILD)/bin/sejf-bench --scale --smoke \
	  --output $(BUILD)/bench/scale-smoke-results.json

# Fuzzing (docs/reliability.md): every fuzz/ target for FUZZ_SECONDS under
# ASan+UBSan, starting from fuzz/corpus/NAME and the certificate and key
# seeds made afresh in $(BUILD_FUZZ)/seeds/NAME, writing what it finds to
# $(BUILD_FUZZ)/corpus/NAME (never the source tree); fails on any crash,
# leaving the input in $(BUILD_FUZZ)/findings/. `make fuzz-smoke`: 5 s each.
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst fuzz/%_fuzz.cc,%,$(wildcard fuzz/*_fuzz.cc))
.PHONY: fuzz fuzz-build fuzz-smoke
$(BUILD_FUZZ)/build.ninja:
	cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSEJF_FUZZ=ON \
	  -DSEJF_COMPONENTS="proto;common;hsm;vault;signer;broker;server" \
	  $(CMAKE_LAUNCHER) $(CMAKE_ARGS)

fuzz-build: deps $(BUILD_FUZZ)/build.ninja
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target sejf_fuzz
	rm -rf $(BUILD_FUZZ)/seeds && fuzz/make_generated_seeds.sh $(BUILD_FUZZ)/seeds

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD_FUZZ)/corpus/$$t $(BUILD_FUZZ)/findings/$$t \
	    $(BUILD_FUZZ)/seeds/$$t; \
	  dict=; [ -f fuzz/dict/$$t.dict ] && dict=-dict=fuzz/dict/$$t.dict; \
	  seeds=; [ -d fuzz/corpus/$$t ] && seeds=fuzz/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(BUILD_FUZZ)/bin/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $$dict \
	    -artifact_prefix=$(BUILD_FUZZ)/findings/$$t/ \
	    $(BUILD_FUZZ)/corpus/$$t $$seeds $(BUILD_FUZZ)/seeds/$$t \
	    > $(BUILD_FUZZ)/findings/$$t/log 2>&1 \
	    || { tail -50 $(BUILD_FUZZ)/findings/$$t/log; \
	         echo "fuzz: $$t FAILED (input in $(BUILD_FUZZ)/findings/$$t/)"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' $(BUILD_FUZZ)/findings/$$t/log \
	    | sed "s/^stat::number_of_executed_units: */fuzz: $$t executions: /"; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=5
