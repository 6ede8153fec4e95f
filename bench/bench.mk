# Benchmarks (`make bench`; never part of `make check`). See bench/README.md.
#
#   make bench                 install bench/packages.txt (wrk, hyperfine), build everything
#                              with -O2 into BENCH_BUILD, run bench/run.sh (<= 10 min on 2 cores)
#   make bench BENCH_SCALE=1000000   the largest store size (default 1000000)
#
# The programs are also buildable alone: make BUILD=build-bench bench-bins
BENCH_BUILD ?= build-bench
BENCH_SCALE ?= 1000000

BENCH_DIR   := $(BUILD)/bench
BENCH_BINS  := $(BENCH_DIR)/ceiling_server $(BENCH_DIR)/store_scale $(BENCH_DIR)/sdk_bench
BENCH_STORE_SRCS := $(filter-out relay/store/store_redis%.c relay/store/redis_tls.c,\
                                $(sort $(wildcard relay/store/*.c)))

.PHONY: bench bench-bins bench-run
bench-bins: $(BENCH_BINS)

$(BENCH_DIR)/ceiling_server: bench/ceiling_server.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(shell pkg-config --cflags libmicrohttpd) -o $@ $< $(BASE_LDFLAGS) \
	    $(shell pkg-config --libs libmicrohttpd)

$(BENCH_DIR)/store_scale: bench/store_scale.c $(BENCH_STORE_SRCS) $(wildcard relay/store/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Irelay/store $(shell pkg-config --cflags sqlite3) -o $@ bench/store_scale.c \
	    $(BENCH_STORE_SRCS) $(BASE_LDFLAGS) $(shell pkg-config --libs sqlite3) -lpthread

$(BENCH_DIR)/sdk_bench: bench/sdk_bench.c bench/sdk_bench_crypto.c bench/sdk_bench.h $(PUBLIC_HDRS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(shell pkg-config --cflags libsodium libcrypto) -o $@ \
	    bench/sdk_bench.c bench/sdk_bench_crypto.c $(BASE_LDFLAGS) $(TIGRESS_LINK) \
	    $(shell pkg-config --libs libsodium libcrypto) -lpthread

# The whole run. The sub-make builds with -O2 (and -g for perf) into its own directory, so a
# benchmark never reuses objects built with sanitizers or -O0.
bench:
	@./.ci/install-deps.sh
	@./.ci/install-deps.sh bench/packages.txt
	@$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) CFLAGS="-O2 -g" SAN= \
	    lib $(BENCH_BUILD)/tigress-relay cli bench-bins
	@BENCH_BUILD=$(BENCH_BUILD) BENCH_SCALE=$(BENCH_SCALE) bench/run.sh
