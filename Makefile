# muniscope: the two commands of the README quick start live here.
#
#   make run    installs missing Debian packages, builds, starts the daemon in
#               the foreground with config/example.yaml (database under ./var/)
#   make test   installs missing Debian packages, builds, runs every test via ctest
#
# Both are safe to repeat: packages already installed are not touched, and the
# build is incremental.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG     ?= config/example.yaml

# Everything the build, the tests and `make run` need, as Debian 12 packages.
DEB_PACKAGES := g++ make cmake pkg-config ca-certificates tzdata \
  libcurl4-openssl-dev libssl-dev libxml2-dev rapidjson-dev libspdlog-dev libfmt-dev \
  libsqlite3-dev libsqlitecpp-dev libyaml-cpp-dev doctest-dev \
  libcli11-dev libcpp-httplib-dev libsystemd-dev libidn2-dev libhowardhinnant-date-dev dpkg-dev

FUZZ_SECONDS ?= 60
KILLS        ?= 100

.PHONY: all deps configure build build-app run test bench install package format clean \
        reliability fuzz test-sanitize

all: build

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "muniscope: installing missing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Platform operators must be able to reach whoever polls them: the example
# configuration's contact is a placeholder, so make run takes yours.
run: build-app
	@if [ -z "$(CONTACT)" ] && [ -z "$$MUNISCOPE_CONTACT" ]; then \
	  echo "muniscope: make run needs your contact for the User-Agent, e.g."; \
	  echo "  make run CONTACT=mailto:you@your.institution"; \
	  echo "(platform operators write there if muniscope ever troubles their servers)"; \
	  exit 2; fi
	@mkdir -p var
	MUNISCOPE_CONTACT="$(or $(CONTACT),$$MUNISCOPE_CONTACT)" \
	  ./$(BUILD_DIR)/muniscope run --config $(CONFIG) --db var/muniscope.db

# Only what `make run` runs: the muniscope binary (the tests and benchmarks
# take three times as long to build).
build-app: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target muniscope

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Benchmarks print tables; figures and their discussion are in docs/performance.md.
bench: build
	./$(BUILD_DIR)/bench/muniscope_bench
	./$(BUILD_DIR)/bench/muniscope_bench_metrics
	./$(BUILD_DIR)/bench/muniscope_bench_retention
	./$(BUILD_DIR)/bench/muniscope_bench_registry
	./$(BUILD_DIR)/bench/muniscope_bench_export
	./$(BUILD_DIR)/bench/muniscope_bench_rss
	./$(BUILD_DIR)/bench/muniscope_bench_comments

# The kill loop with 100 SIGKILLs (ctest runs 20); prints its table.
reliability: build
	./$(BUILD_DIR)/tests/muniscope_reliability --kills $(KILLS)

# libFuzzer targets for every parser (clang), FUZZ_SECONDS each; prints a table.
fuzz: deps
	@$(MAKE) --no-print-directory DEB_PACKAGES="clang libclang-rt-14-dev" deps
	@cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DMUNISCOPE_FUZZ=ON -DMUNISCOPE_BUILD_TESTS=OFF -DMUNISCOPE_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	sh tests/fuzz/run_fuzzers.sh build-fuzz $(FUZZ_SECONDS)

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	@cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMUNISCOPE_SANITIZE=ON \
	  -DMUNISCOPE_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-sanitize -j $(JOBS)
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

install: build
	cmake --install $(BUILD_DIR)

package: build
	cd $(BUILD_DIR) && cpack -G DEB

format:
	@find src connectors tests bench -name '*.h' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
