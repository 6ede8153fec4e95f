# CLI tests: tests/cli/cli-tests.sh drives $(BUILD)/tigress against $(BUILD)/tigress-relay.
# run-suites.sh runs suites without arguments, so a small wrapper passes BUILD along.
CLI_TEST_RUNNER := $(BUILD)/tests/cli/run-cli-tests

CHECK_BUILD  += $(CLI_TEST_RUNNER)
CHECK_SUITES += $(CLI_TEST_RUNNER)

$(CLI_TEST_RUNNER): tests/cli/cli.mk $(CLI_BIN) $(BUILD)/tigress-relay
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nBUILD=%s exec %s/tests/cli/cli-tests.sh "$$@"\n' \
	    '$(abspath $(BUILD))' '$(CURDIR)' > $@
	@chmod +x $@
