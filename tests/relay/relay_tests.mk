# Conformance suites of tigress-relay (docs/requirements.md, R1-R42): each starts the real
# $(BUILD)/tigress-relay over HTTPS on 127.0.0.1 (certificates made with openssl at test time)
# and talks to it with libcurl. relay_harness.c holds the suites' HTTP helpers; the relay process
# and its certificates come from the fixture library (tests/lib/fixture.mk).
RELAY_T_SUITES := $(patsubst tests/relay/%.c,%,$(wildcard tests/relay/test_relay_*.c))
RELAY_T_BINS   := $(RELAY_T_SUITES:%=$(BUILD)/tests/relay/%)
RELAY_T_HELP   := tests/relay/relay_harness.c $(RELAY_FIXTURE_OBJ)
RELAY_T_CFLAGS  = $(BASE_CFLAGS) -Itests/relay $(RELAY_FIXTURE_CFLAGS) \
                  -DRELAY_BIN='"$(abspath $(RELAY_BIN))"' \
                  $(shell pkg-config --cflags libcurl uuid cmocka libmicrohttpd sqlite3 libcjson libcrypto)
RELAY_T_LIBS    = $(shell pkg-config --libs libcurl uuid cmocka libmicrohttpd sqlite3 libcjson libcrypto) -lpthread

CHECK_BUILD  += $(RELAY_T_BINS)
CHECK_SUITES += $(RELAY_T_BINS)

$(RELAY_T_BINS): $(BUILD)/tests/relay/%: tests/relay/%.c $(RELAY_T_HELP) \
                 tests/relay/relay_harness.h $(RELAY_FIXTURE_HDRS) $(RELAY_BIN)
	@mkdir -p $(@D)
	$(CC) $(RELAY_T_CFLAGS) -o $@ $< $(RELAY_T_HELP) $(BASE_LDFLAGS) $(RELAY_T_LIBS)

# Unit tests of the relay's request parser, linked straight from relay/validate.c (and
# relay/json_text.c, which writes the JSON it stores).
RELAY_V_BIN := $(BUILD)/tests/relay/test_validate
CHECK_BUILD  += $(RELAY_V_BIN)
CHECK_SUITES += $(RELAY_V_BIN)

$(RELAY_V_BIN): tests/relay/test_validate.c relay/validate.c relay/json_text.c relay/pushurl.c \
                relay/relay.h relay/store/store.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Irelay -Irelay/store $(shell pkg-config --cflags libcjson cmocka libcurl) \
	    -o $@ tests/relay/test_validate.c relay/validate.c relay/json_text.c relay/pushurl.c \
	    $(BASE_LDFLAGS) $(shell pkg-config --libs libcjson cmocka libcurl)

# Unit tests of relay/proxy.c (--trusted-proxy: CIDRs, Forwarded / X-Forwarded-For).
RELAY_P_BIN := $(BUILD)/tests/relay/test_proxy
CHECK_BUILD  += $(RELAY_P_BIN)
CHECK_SUITES += $(RELAY_P_BIN)

$(RELAY_P_BIN): tests/relay/test_proxy.c relay/proxy.c relay/relay.h relay/store/store.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Irelay -Irelay/store $(shell pkg-config --cflags cmocka libmicrohttpd) \
	    -o $@ tests/relay/test_proxy.c relay/proxy.c $(BASE_LDFLAGS) \
	    $(shell pkg-config --libs cmocka libmicrohttpd)
