# Benchmarks (`make bench`; never part of `make check`). See bench/README.md.
#
#   make bench                 install bench/packages.txt (wrk, hyperfine), build everything
#                              with -O2 into BENCH_BUILD, run bench/run.sh (<= 10 min on 2 cores)
#   make bench BENCH_SCALE=1000000   the largest store size (default 1000000)
#   make bench LONGPOLL_N="2000 10000 50000"   held long-polls measured at the end (bench-longpoll)
#
# The programs are also buildable alone: make BUILD=build-bench bench-bins
BENCH_BUILD ?= build-bench
BENCH_SCALE ?= 1000000

BENCH_DIR   := $(BUILD)/bench
BENCH_BINS  := $(BENCH_DIR)/ceiling_server $(BENCH_DIR)/store_scale $(BENCH_DIR)/sdk_bench \
               $(BENCH_DIR)/longpoll_hold
BENCH_STORE_SRCS := $(filter-out relay/store/store_redis%.c relay/store/redis_tls.c,\
                                $(sort $(wildcard relay/store/*.c)))

.PHONY: bench bench-bins bench-run bench-longpoll bench-ratio
bench-bins: $(BENCH_BINS)

# Held long-polls (make bench-longpoll; also the last part of make bench): bench/longpoll.sh
#   make bench-longpoll                       N = 2000 and 10000 held long-polls
#   make bench-longpoll LONGPOLL_N="2000 10000 50000"
#   LONGPOLL_PLAIN=1 make bench-longpoll        the relay in plain HTTP (TLS at a same-host proxy)
LONGPOLL_N ?= 2000 10000
$(BENCH_DIR)/longpoll_hold: bench/longpoll_hold.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(shell pkg-config --cflags gnutls) -o $@ $< $(BASE_LDFLAGS) \
	    $(shell pkg-config --libs gnutls) -lpthread

bench-longpoll:
	@$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) CFLAGS="-O2 -g" SAN= \
	    $(BENCH_BUILD)/tigress-relay bench-bins
	@BENCH_BUILD=$(BENCH_BUILD) bench/longpoll.sh $(LONGPOLL_N)

$(BENCH_DIR)/ceiling_server: bench/ceiling_server.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(shell pkg-config --cflags libmicrohttpd) -o $@ $< $(BASE_LDFLAGS) \
	    $(shell pkg-config --libs libmicrohttpd)

$(BENCH_DIR)/store_scale: bench/store_scale.c $(BENCH_STORE_SRCS) $(wildcard relay/store/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Irelay/store $(shell pkg-config --cflags sqlite3) -o $@ bench/store_scale.c \
	    $(BENCH_STORE_SRCS) $(BASE_LDFLAGS) $(shell pkg-config --libs sqlite3 libsodium) -lpthread

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
	@BENCH_BUILD=$(BENCH_BUILD) bench/longpoll.sh $(LONGPOLL_N)

# The relay/ceiling ratios of the create and secure-read targets in interleaved rounds
# (bench/ratio.sh; about 1 min per 5 rounds):
#   make bench-ratio                 ROUNDS=5 rounds of 5 s runs
#   make bench-ratio ROUNDS=9 BASE_RELAY=/path/tigress-relay BASE_STORE_SCALE=/path/store_scale
#                                    also another build's relay in the same rounds
bench-ratio:
	@./.ci/install-deps.sh bench/packages.txt
	@$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) CFLAGS="-O2 -g" SAN= \
	    $(BENCH_BUILD)/tigress-relay bench-bins
	@BENCH_BUILD=$(BENCH_BUILD) bench/ratio.sh

# ---- Instruction counts (make bench-instr; part of make check) ----
#   make bench-instr             count instructions per operation under callgrind (relay routes +
#                                SQLite store in process; SDK share/redeem on the mock relay,
#                                payload seal/open at 1 KiB) and compare with
#                                bench/instr-baseline.json: exit 1 when one grows by more than 10%
#   make bench-instr-baseline    rewrite bench/instr-baseline.json from this machine
# Built in $(BUILD) with its CFLAGS (the baseline records them). Not under SAN=1: sanitizer
# instrumentation changes every count (and ASan does not run under valgrind).
INSTR_DIR   := $(BUILD)/bench
INSTR_BINS  := $(INSTR_DIR)/instr_relay $(INSTR_DIR)/instr_sdk
INSTR_M     ?= 40
INSTR_WARMUP ?= 200

.PHONY: bench-instr bench-instr-baseline bench-instr-skip

# The relay's objects come from its own build ($(BUILD)/tigress-relay's prerequisites); main.o
# is left out (this program has its own main()), as tests/fuzz/fuzz.mk does for its target.
$(INSTR_DIR)/instr_relay: bench/instr_relay.c $(BUILD)/tigress-relay
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(RELAY_CFLAGS) -Irelay -o $@ bench/instr_relay.c \
	    $(filter-out $(BUILD)/obj/relay/main.o,$(RELAY_OBJS)) $(BASE_LDFLAGS) $(RELAY_LIBS)

$(INSTR_DIR)/instr_sdk: bench/instr_sdk.c $(wildcard tests/unit/helpers/*.[ch]) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Ilib -Itests/unit $(shell pkg-config --cflags libcrypto) \
	    -o $@ bench/instr_sdk.c $(wildcard tests/unit/helpers/*.c) $(BASE_LDFLAGS) $(LIB_A) \
	    $(LIB_LIBS) $(shell pkg-config --libs libcrypto)

bench-instr: $(INSTR_BINS)
	@INSTR_M=$(INSTR_M) INSTR_WARMUP=$(INSTR_WARMUP) INSTR_CFLAGS="$(CFLAGS)" CC="$(CC)" \
	    bench/instr.py $(INSTR_DIR) compare

bench-instr-baseline: $(INSTR_BINS)
	@INSTR_M=$(INSTR_M) INSTR_WARMUP=$(INSTR_WARMUP) INSTR_CFLAGS="$(CFLAGS)" CC="$(CC)" \
	    bench/instr.py $(INSTR_DIR) write

bench-instr-skip:
	@echo "bench-instr: skipped under SAN=1 (sanitizer instrumentation changes every instruction count; run make bench-instr in a plain build)"

ifeq ($(SAN),1)
CHECK_EXTRA += bench-instr-skip
else ifneq ($(PORTABLE),1)
CHECK_EXTRA += bench-instr
endif
