# CLI tests: tests/cli/cli-tests.sh drives $(BUILD)/tigress against $(BUILD)/tigress-relay.
# run-suites.sh runs suites without arguments, so a small wrapper passes BUILD along.
CLI_TEST_RUNNER := $(BUILD)/tests/cli/run-cli-tests

CHECK_BUILD  += $(CLI_TEST_RUNNER)
CHECK_SUITES += $(CLI_TEST_RUNNER)

# SAN and TIGRESS_EXAMPLE_CFLAGS: in a SAN=1 build the install check builds an instrumented
# library too, and compiles the example against it with the same sanitizer flags (an ASan library
# only loads into a program linked with the ASan runtime). Both are empty otherwise.
$(CLI_TEST_RUNNER): tests/cli/cli.mk $(CLI_BIN) $(BUILD)/tigress-relay
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nBUILD=%s SAN=%s TIGRESS_EXAMPLE_CFLAGS="%s" exec %s/tests/cli/cli-tests.sh "$$@"\n' \
	    '$(abspath $(BUILD))' '$(SAN)' '$(SAN_FLAGS)' '$(CURDIR)' > $@
	@chmod +x $@

# Unit tests of the CLI's terminal escaping, linked straight from examples/cli/text.c (it needs
# nothing but libc).
CLI_TEXT_TEST := $(BUILD)/tests/cli/test_cli_text

CHECK_BUILD  += $(CLI_TEXT_TEST)
CHECK_SUITES += $(CLI_TEXT_TEST)

$(CLI_TEXT_TEST): tests/cli/test_cli_text.c examples/cli/text.c examples/cli/cli.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iexamples/cli $(shell pkg-config --cflags cmocka) -o $@ \
	    tests/cli/test_cli_text.c examples/cli/text.c $(BASE_LDFLAGS) \
	    $(shell pkg-config --libs cmocka)
