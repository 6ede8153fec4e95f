# The fixture library of the suites that start a tigress-relay (tests/harness/README.md):
#   C      tests/lib/relay_fixture.c/.h -> $(RELAY_FIXTURE_OBJ): certificates, a free loopback
#          port, temp dirs, start/stop/kill/restart of the relay, TIGRESS_TEST_TIME_SCALE.
#          Linked by the relay conformance, cluster, integration and security suites.
#   shell  tests/lib/relay-fixture.sh: the same for the script suites (CLI, preview escaping,
#          Redis conformance, bindings, README snippets) and the demos; the C library makes
#          its certificates with it too.
# The top Makefile includes this file before the other tests/*/*.mk, so they may name
# RELAY_FIXTURE_OBJ and RELAY_FIXTURE_CFLAGS in prerequisites.
RELAY_FIXTURE_OBJ    := $(BUILD)/tests/lib/relay_fixture.o
RELAY_FIXTURE_HDRS   := tests/lib/relay_fixture.h
RELAY_FIXTURE_CFLAGS := -Itests/lib

$(RELAY_FIXTURE_OBJ): tests/lib/relay_fixture.c tests/lib/relay_fixture.h tests/lib/fixture.mk
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -DRF_RELAY_BIN='"$(abspath $(RELAY_BIN))"' -DRF_SOURCE_DIR='"$(CURDIR)"' \
	    -c $< -o $@
