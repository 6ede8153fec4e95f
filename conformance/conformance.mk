# tigress-conformance (conformance/*.c -> $(BUILD)/tigress-conformance): a black-box tester for
# any TIGRESS relay, over HTTP(S) only. It links libcurl, cJSON, libsodium and libuuid, and no
# relay code and not libtigress. A product fragment (the Makefile's header): at parse time it
# uses only variables of lib.mk and the top Makefile.
CONF_SRCS    := $(sort $(wildcard conformance/*.c))
CONF_OBJS    := $(CONF_SRCS:%.c=$(BUILD)/obj/%.o)
CONF_HDRS    := $(wildcard conformance/*.h common/*.h)
CONF_BIN     := $(BUILD)/tigress-conformance
CONF_PKGS    := libcurl libcjson libsodium uuid
CONF_CFLAGS   = $(BASE_CFLAGS) $(shell pkg-config --cflags $(CONF_PKGS))
CONF_LIBS     = $(shell pkg-config --libs $(CONF_PKGS)) -lpthread

ALL_TARGETS += $(CONF_BIN)

.PHONY: conformance conformance-check install-conformance
conformance: $(CONF_BIN)

$(BUILD)/obj/conformance/%.o: conformance/%.c $(CONF_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CONF_CFLAGS) -c $< -o $@

$(CONF_BIN): $(CONF_OBJS)
	$(CC) -o $@ $(CONF_OBJS) $(BASE_LDFLAGS) $(CONF_LIBS)

install: install-conformance
install-conformance: $(CONF_BIN)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(CONF_BIN) $(DESTDIR)$(BINDIR)/tigress-conformance

# The suite: tigress-conformance against tigress-relay on SQLite (and on Redis when
# redis-server is installed), then against a fault-injecting proxy that breaks one requirement
# at a time (tests/conformance/breaking_proxy.py). The relay is built by `all` before any suite.
CONF_SUITE := $(BUILD)/tests/conformance/run-conformance-tests
CHECK_BUILD  += $(CONF_BIN) $(CONF_SUITE)
CHECK_SUITES += $(CONF_SUITE)

$(CONF_SUITE): conformance/run-conformance-tests.sh
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec "%s" "%s"\n' "$(abspath $<)" "$(abspath $(BUILD))" >$@
	chmod +x $@

conformance-check: $(CONF_BIN) $(CONF_SUITE)
	@tests/run-suites.sh $(CONF_SUITE)
