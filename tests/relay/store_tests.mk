# Store unit tests (relay/store/), built straight from the store sources so they need
# neither the HTTP layer nor relay/main.c:
#   test_store         semantics of relay/store/store.h on every backend
#   test_store_stress  concurrency, durability under SIGKILL, group-commit throughput
#   test_store_schema  the SQLite schema 3: migration from 2, no request row outlives its mailbox
#   test_store_tokens  store_drop_token (a gone push subscription cleared) on every backend
# With hiredis installed (pkg-config hiredis) the Redis backend is built in as well.
STORE_T_SRCS    := $(filter-out relay/store/store_redis%.c relay/store/redis_tls.c,\
                                $(sort $(wildcard relay/store/*.c)))
STORE_T_HAVE_HIREDIS := $(shell pkg-config --exists hiredis 2>/dev/null && echo 1)
ifeq ($(STORE_T_HAVE_HIREDIS),1)
# store_redis*.c reach rediss:// servers through relay/store/redis_tls.c (GnuTLS).
STORE_T_SRCS    += $(sort $(wildcard relay/store/store_redis*.c)) relay/store/redis_tls.c
STORE_T_DEFS    := -DTIGRESS_HAVE_HIREDIS
STORE_T_PKGS    := sqlite3 libsodium hiredis gnutls cmocka
else
STORE_T_DEFS    :=
STORE_T_PKGS    := sqlite3 libsodium cmocka
endif
STORE_T_HDRS    := $(wildcard relay/store/*.h) tests/relay/store_fixture.h
# store_fixture.c drives the store in process; its temp dirs and free port are the fixture
# library's (tests/lib/fixture.mk).
STORE_T_FIX     := tests/relay/store_fixture.c $(RELAY_FIXTURE_OBJ)
STORE_T_FIX_H   := $(RELAY_FIXTURE_HDRS)
STORE_T_CFLAGS   = $(BASE_CFLAGS) $(STORE_T_DEFS) -Irelay/store -Itests/relay $(RELAY_FIXTURE_CFLAGS) \
                   $(shell pkg-config --cflags $(STORE_T_PKGS) 2>/dev/null)
STORE_T_LIBS     = $(shell pkg-config --libs $(STORE_T_PKGS) 2>/dev/null) -lpthread
STORE_T_BINS    := $(BUILD)/tests/relay/test_store $(BUILD)/tests/relay/test_store_stress \
                   $(BUILD)/tests/relay/test_store_async $(BUILD)/tests/relay/test_store_schema \
                   $(BUILD)/tests/relay/test_store_tokens

CHECK_BUILD  += $(STORE_T_BINS)
CHECK_SUITES += $(STORE_T_BINS)

$(STORE_T_BINS): $(BUILD)/tests/relay/%: tests/relay/%.c $(STORE_T_FIX) $(STORE_T_SRCS) \
                                        $(STORE_T_HDRS) $(STORE_T_FIX_H)
	@mkdir -p $(@D)
	$(CC) $(STORE_T_CFLAGS) -o $@ $< $(STORE_T_FIX) $(STORE_T_SRCS) $(BASE_LDFLAGS) $(STORE_T_LIBS)

# make valgrind leaves the stress test out, saying why.
VALGRIND_SKIP += --skip '$(BUILD)/tests/relay/test_store_stress=a stress test (thousands of store \
operations from many threads, SIGKILL durability, group-commit throughput): 7 minutes under \
valgrind for no extra coverage; its code runs under valgrind in test_store and under ASan in \
make sanitize'
