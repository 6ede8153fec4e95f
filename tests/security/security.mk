# Security tests (Secrets never leak, hostile input is refused): programs in
# tests/security/test_*.c, cmocka, against the real relay over HTTPS on 127.0.0.1
# (tests/integration/fixture.c starts it through the fixture library, tests/lib/fixture.mk).
# They link the static library
# so that the capturing transport can wrap the library's own libcurl transport
# (tigress__curl_transport_new). Plus two script checks: the preview page (R31) and the
# constant-time comparison review (tests/security/ct-compare.sh).
SEC_SRCS    := $(sort $(wildcard tests/security/test_*.c))
SEC_BINS    := $(SEC_SRCS:tests/security/%.c=$(BUILD)/tests/security/%)
SEC_HELPERS := tests/integration/fixture.c $(RELAY_FIXTURE_OBJ)
SEC_CFLAGS   = $(BASE_CFLAGS) -Ilib -Itests/integration $(RELAY_FIXTURE_CFLAGS) $(LIB_CFLAGS) \
               $(shell pkg-config --cflags cmocka)
SEC_LIBS     = $(LIB_A) $(LIB_LIBS) $(shell pkg-config --libs cmocka)
SEC_SCRIPTS := $(BUILD)/tests/security/preview-escaping $(BUILD)/tests/security/ct-compare

CHECK_BUILD  += $(SEC_BINS) $(SEC_SCRIPTS)
CHECK_SUITES += $(SEC_BINS) $(SEC_SCRIPTS)

.PHONY: security
security: $(SEC_BINS) $(SEC_SCRIPTS)
	@tests/run-suites.sh $(SEC_BINS) $(SEC_SCRIPTS)

$(BUILD)/tests/security/%: tests/security/%.c $(SEC_HELPERS) tests/integration/fixture.h \
                           $(RELAY_FIXTURE_HDRS) \
                           $(LIB_A) $(RELAY_BIN)
	@mkdir -p $(@D)
	$(CC) $(SEC_CFLAGS) -o $@ $< $(SEC_HELPERS) $(BASE_LDFLAGS) $(SEC_LIBS)

# run-suites.sh runs suites without arguments: wrappers pass the build directory.
$(BUILD)/tests/security/preview-escaping: tests/security/preview-escaping.sh $(RELAY_BIN)
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec "%s" "%s"\n' "$(abspath $<)" "$(abspath $(BUILD))" > $@
	chmod +x $@

$(BUILD)/tests/security/ct-compare: tests/security/ct-compare.sh tests/security/ct-compare.list
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec "%s"\n' "$(abspath $<)" > $@
	chmod +x $@
