# Integration tests: the SDK (build/libtigress.so) against the real relay over HTTPS on
# loopback. Each test_*.c is a cmocka program; fixture.c and push_receiver.c are shared.
# fixture.c starts the relay through the fixture library (tests/lib/fixture.mk).
IT_SRCS    := $(sort $(wildcard tests/integration/test_*.c))
IT_BINS    := $(IT_SRCS:tests/integration/%.c=$(BUILD)/tests/integration/%)
IT_HELPERS := tests/integration/fixture.c tests/integration/push_receiver.c $(RELAY_FIXTURE_OBJ)
IT_CFLAGS   = $(BASE_CFLAGS) -Itests/integration $(RELAY_FIXTURE_CFLAGS) \
              $(shell pkg-config --cflags cmocka libmicrohttpd)
IT_LIBS     = $(TIGRESS_LINK) $(shell pkg-config --libs cmocka libmicrohttpd) -lpthread

CHECK_BUILD  += $(IT_BINS)
CHECK_SUITES += $(IT_BINS)

.PHONY: integration
integration: $(IT_BINS) $(BUILD)/tigress-relay
	@tests/run-suites.sh $(IT_BINS)

$(BUILD)/tests/integration/%: tests/integration/%.c $(IT_HELPERS) tests/integration/*.h \
                               $(RELAY_FIXTURE_HDRS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(IT_CFLAGS) -o $@ $< $(IT_HELPERS) $(BASE_LDFLAGS) $(IT_LIBS)
