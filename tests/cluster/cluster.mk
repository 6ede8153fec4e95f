# Several tigress-relay processes over one Redis store: tests/cluster/test_cluster
# (a private redis-server on loopback; skipped with a message when redis-server is missing),
# the conformance suite of tests/relay run again against the Redis backend
# (tests/cluster/conformance-redis.sh), `make demo-cluster` and the bench script.
CLUSTER_T_BIN   := $(BUILD)/tests/cluster/test_cluster
# The relays come from the fixture library (tests/lib/fixture.mk) through the HTTP helpers of
# tests/relay/relay_harness.c; cluster_util.c adds the private redis-server and a push receiver.
CLUSTER_T_SRCS  := tests/cluster/test_cluster.c tests/cluster/cluster_util.c \
                   tests/relay/relay_harness.c $(RELAY_FIXTURE_OBJ)
CLUSTER_T_HDRS  := tests/cluster/cluster_util.h tests/relay/relay_harness.h $(RELAY_FIXTURE_HDRS)
CLUSTER_T_CFLAGS = $(BASE_CFLAGS) -Itests/cluster -Itests/relay $(RELAY_FIXTURE_CFLAGS) \
                   -DRELAY_BIN='"$(abspath $(RELAY_BIN))"' \
                   $(shell pkg-config --cflags libcurl uuid cmocka libmicrohttpd)
CLUSTER_T_LIBS   = $(shell pkg-config --libs libcurl uuid cmocka libmicrohttpd) -lpthread

CHECK_BUILD  += $(CLUSTER_T_BIN)
CHECK_SUITES += $(CLUSTER_T_BIN)

$(CLUSTER_T_BIN): $(CLUSTER_T_SRCS) $(CLUSTER_T_HDRS) $(RELAY_BIN)
	@mkdir -p $(@D)
	$(CC) $(CLUSTER_T_CFLAGS) -o $@ $(CLUSTER_T_SRCS) $(BASE_LDFLAGS) $(CLUSTER_T_LIBS)

# Operating over Redis: start with Redis down, ACL users and --redis-password-file, refused
# credentials, a hung (SIGSTOPped) server. Its own private redis-server.
CLUSTER_OPS_BIN  := $(BUILD)/tests/cluster/test_cluster_ops
CLUSTER_OPS_SRCS := tests/cluster/test_cluster_ops.c tests/cluster/cluster_util.c \
                    tests/relay/relay_harness.c $(RELAY_FIXTURE_OBJ)
CHECK_BUILD  += $(CLUSTER_OPS_BIN)
CHECK_SUITES += $(CLUSTER_OPS_BIN)

$(CLUSTER_OPS_BIN): $(CLUSTER_OPS_SRCS) $(CLUSTER_T_HDRS) $(RELAY_BIN)
	@mkdir -p $(@D)
	$(CC) $(CLUSTER_T_CFLAGS) -o $@ $(CLUSTER_OPS_SRCS) $(BASE_LDFLAGS) $(CLUSTER_T_LIBS)

# Redis Sentinel: a master, two replicas, three sentinels; the master killed under a create load
# (redis+sentinel:// --store with min_replicas=1). Skipped when redis-sentinel is missing.
CLUSTER_SENT_BIN  := $(BUILD)/tests/cluster/test_sentinel
CLUSTER_SENT_SRCS := tests/cluster/test_sentinel.c tests/cluster/cluster_util.c \
                     tests/relay/relay_harness.c $(RELAY_FIXTURE_OBJ)
CHECK_BUILD  += $(CLUSTER_SENT_BIN)
CHECK_SUITES += $(CLUSTER_SENT_BIN)

$(CLUSTER_SENT_BIN): $(CLUSTER_SENT_SRCS) $(CLUSTER_T_HDRS) $(RELAY_BIN)
	@mkdir -p $(@D)
	$(CC) $(CLUSTER_T_CFLAGS) -o $@ $(CLUSTER_SENT_SRCS) $(BASE_LDFLAGS) $(CLUSTER_T_LIBS)

.PHONY: demo-cluster
demo-cluster: $(RELAY_BIN) $(BUILD)/tigress
	@BUILD=$(BUILD) relay/demo-cluster.sh

# The conformance suites against Redis: a wrapper so tests/run-suites.sh can run it without
# arguments. The suites themselves are in CHECK_BUILD already (tests/relay/relay_tests.mk).
CLUSTER_CONF_BIN := $(BUILD)/tests/cluster/conformance_redis
CHECK_BUILD  += $(CLUSTER_CONF_BIN)
CHECK_SUITES += $(CLUSTER_CONF_BIN)

$(CLUSTER_CONF_BIN): tests/cluster/conformance-redis.sh
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec "%s" "%s"\n' "$(abspath $<)" "$(abspath $(BUILD))" >$@
	chmod +x $@

# The API conformance suite once more with the relays on rediss:// (relay/store/redis_tls.c).
CLUSTER_CONF_TLS_BIN := $(BUILD)/tests/cluster/conformance_rediss
CHECK_BUILD  += $(CLUSTER_CONF_TLS_BIN)
CHECK_SUITES += $(CLUSTER_CONF_TLS_BIN)

$(CLUSTER_CONF_TLS_BIN): tests/cluster/conformance-redis.sh
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec "%s" "%s" tls\n' "$(abspath $<)" "$(abspath $(BUILD))" >$@
	chmod +x $@

# bench/cluster.sh with an -O2 relay in BENCH_BUILD (never part of make check).
.PHONY: bench-cluster
bench-cluster:
	@$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) CFLAGS="-O2 -g" SAN= \
	    $(BENCH_BUILD)/tigress-relay
	@BUILD=$(BENCH_BUILD) bench/cluster.sh

# relay/store/redis_tls.c (the rediss:// tunnel: GnuTLS behind a socket pair for hiredis) against a
# private redis-server --tls-port; needs hiredis for redisConnectFd, like the Redis backend.
ifeq ($(RELAY_HAVE_HIREDIS),1)
RTLS_T_BIN    := $(BUILD)/tests/cluster/test_redis_tls
RTLS_T_SRCS   := tests/cluster/test_redis_tls.c relay/store/redis_tls.c
RTLS_T_CFLAGS  = $(BASE_CFLAGS) -Irelay/store $(shell pkg-config --cflags gnutls hiredis cmocka)
RTLS_T_LIBS    = $(shell pkg-config --libs gnutls hiredis cmocka) -lpthread

CHECK_BUILD  += $(RTLS_T_BIN)
CHECK_SUITES += $(RTLS_T_BIN)

$(RTLS_T_BIN): $(RTLS_T_SRCS) relay/store/redis_tls.h
	@mkdir -p $(@D)
	$(CC) $(RTLS_T_CFLAGS) -o $@ $(RTLS_T_SRCS) $(BASE_LDFLAGS) $(RTLS_T_LIBS)
endif
