# Interop tests: tests/interop/interop-tests.sh drives $(BUILD)/tigress (libtigress) against
# tests/interop/draft_peer.py, a peer written from docs/protocol.md alone, over
# $(BUILD)/tigress-relay; the draft peer also checks tests/interop/vectors/interop.json
# (docs/test-vectors.md). Needs python3-cryptography, and python3-nacl for XSALSA20_POLY1305
# (.ci/packages.txt). run-suites.sh runs suites without arguments, so a small wrapper passes
# BUILD along. Under SAN=1 the same script runs the instrumented CLI and relay (like the CLI
# suite); make valgrind skips it, as it does every script suite.
INTEROP_TEST_RUNNER := $(BUILD)/tests/interop/run-interop-tests
# The libtigress side through the C API directly (the script finds it next to the runner).
INTEROP_C_DRIVER := $(BUILD)/tests/interop/c_driver

CHECK_BUILD  += $(INTEROP_C_DRIVER) $(INTEROP_TEST_RUNNER)
CHECK_SUITES += $(INTEROP_TEST_RUNNER)

$(INTEROP_TEST_RUNNER): tests/interop/interop.mk $(CLI_BIN) $(BUILD)/tigress-relay
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nBUILD=%s exec %s/tests/interop/interop-tests.sh "$$@"\n' \
	    '$(abspath $(BUILD))' '$(CURDIR)' > $@
	@chmod +x $@

$(INTEROP_C_DRIVER): tests/interop/c_driver.c $(PUBLIC_HDRS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(BASE_LDFLAGS) $(TIGRESS_LINK)
