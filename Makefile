# libtigress: GNU make only. Each part of the tree adds its own rules in a fragment:
#   lib/lib.mk, relay/relay.mk, examples/examples.mk, bindings/bindings.mk, bench/bench.mk,
#   conformance/conformance.mk, tests/lib/fixture.mk, tests/*/*.mk. This file holds what they share.
#
#   make            build the library, the relay and the CLI
#   make check      install missing Debian packages, build, run every test
#   make demo       install missing Debian packages, build, run a local two-device demo
#   make install    PREFIX=/usr/local DESTDIR=
#   make portable   the library with libsodium, cJSON and libc only (build-portable/)
#   make portable-check   the unit suites against it (also part of make check)
#
# The contract between fragments:
#  - A fragment owns its rules and variables. It may append its own entries to the shared lists
#    below (ALL_TARGETS, CHECK_BUILD, CHECK_SUITES, CHECK_EXTRA, CLEAN_FILES, VALGRIND_SKIP,
#    VALGRIND_EXTRA) and never changes another fragment's entries or variables afterwards (no
#    `LIST := $(filter-out ...)` over a shared list, no redefinition of someone else's variable).
#  - Inputs that change what a fragment contributes (SAN, BUILD, CFLAGS, ...) are fixed before
#    any fragment is read (command line, this file). A fragment whose suite runs differently
#    under SAN=1, or not at all, decides that itself with `ifeq ($(SAN),1)` and appends the
#    variant it wants (and, for a suite it leaves out, a CHECK_EXTRA target that says why).
#  - Include order is by layer: lib.mk; the product fragments (relay, examples, bindings,
#    bench); tests/lib/fixture.mk (the fixture library every relay-starting suite links); then
#    the other tests/*/*.mk. At parse time (prerequisites, `:=`, ifeq) a fragment may use
#    variables of earlier layers only; never those of a fragment of its own layer, so the order
#    inside a layer (alphabetical for tests/*/*.mk) does not matter. Recipes may read any
#    variable: they are expanded when they run, after every fragment has been read.
#  - Shared lists: ALL_TARGETS (`make all`), CHECK_BUILD (built before the suites run),
#    CHECK_SUITES (programs tests/run-suites.sh runs, without arguments), CHECK_EXTRA (targets
#    make check-run runs before the suites), VALGRIND_SKIP (`--skip 'PROGRAM=REASON'` words for
#    tests/harness/valgrind.sh: a suite make valgrind leaves out, the reason printed),
#    VALGRIND_EXTRA (extra programs with arguments for make valgrind, each one shell word
#    "PROGRAM ARG..."). make valgrind runs every CHECK_SUITES entry that is an ELF program.

.DEFAULT_GOAL := all
SHELL := /bin/bash

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
BUILD   ?= build
# PORTABLE=1: the library without libcurl, libuuid and OpenSSL (lib/lib.mk); `make portable`
# and `make portable-check` set it, with a BUILD directory of its own.
PORTABLE ?= 0

CC      ?= cc
CFLAGS  ?= -O2 -g
# SAN=1 builds everything with ASan+UBSan (see make sanitize).
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
WARN_FLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wundef
BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN_FLAGS) $(CFLAGS) $(SAN_FLAGS) -Iinclude
BASE_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)

# Fragments append to these.
ALL_TARGETS :=
CHECK_BUILD :=
CHECK_SUITES :=
CHECK_EXTRA :=
CLEAN_FILES :=
VALGRIND_SKIP :=
VALGRIND_EXTRA :=

include lib/lib.mk
-include relay/relay.mk examples/examples.mk bindings/bindings.mk bench/bench.mk \
    conformance/conformance.mk
-include tests/lib/fixture.mk
-include $(filter-out tests/lib/fixture.mk,$(sort $(wildcard tests/*/*.mk)))

.PHONY: all deps check check-run demo clean install sanitize

all: $(ALL_TARGETS)

# Installs what .ci/packages.txt lists and the machine lacks (apt-get, as root).
deps:
	@./.ci/install-deps.sh

# The README's test command. Runs the sub-steps in order so that a fresh machine gets its
# packages before anything asks pkg-config about them.
check:
	@./.ci/install-deps.sh
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(if $(CHECK_BUILD),$(CHECK_BUILD),all)
	@$(MAKE) --no-print-directory check-run

check-run: $(CHECK_BUILD) $(CHECK_EXTRA)
	@tests/run-suites.sh $(CHECK_SUITES)

# Every test suite again, built with ASan and UBSan in a separate build directory. `all` first,
# as in check: suites that start the relay or the CLI by path need them built there too.
# SAN_BUILD=build-san-<name> gives a helper its own directory. Instrumented programs run 2-3
# times slower: TIGRESS_TEST_TIME_SCALE=3 widens the tests' wait bounds (only the bounds).
SAN_BUILD ?= build-san
sanitize:
	@./.ci/install-deps.sh
	@$(MAKE) --no-print-directory SAN=1 BUILD=$(SAN_BUILD) CFLAGS="-O1 -g" all
	@TIGRESS_TEST_TIME_SCALE=$${TIGRESS_TEST_TIME_SCALE:-3} UBSAN_OPTIONS=print_stacktrace=1 \
	    $(MAKE) --no-print-directory SAN=1 BUILD=$(SAN_BUILD) CFLAGS="-O1 -g" check-run

clean:
	rm -rf $(BUILD) build-san $(CLEAN_FILES)

# The README's first command: a local relay and two CLI "devices", end to end.
demo:
	@./.ci/install-deps.sh
	@$(MAKE) --no-print-directory all
	@examples/demo.sh
