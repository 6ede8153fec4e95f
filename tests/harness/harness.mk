# Reliability and security harness: static analysis, valgrind, the unit tests under sanitizers,
# the ABI guard. The sanitizer and valgrind variants of other suites are the business of their
# own fragments (bindings/bindings.mk, tests/docs/docs.mk, tests/fuzz/fuzz.mk, ...): this file
# only runs what the shared lists hold (see the contract at the top of the Makefile).
#
#   make lint           cppcheck + clang-tidy over lib/ relay/ examples/ (tests/harness/lint.sh)
#   make valgrind       every suite of CHECK_SUITES that is an ELF program, plus VALGRIND_EXTRA,
#                       under valgrind memcheck (any error, and leaks of every kind, fail),
#                       minus VALGRIND_SKIP; in .ci/run
#   make valgrind-unit  the unit tests only under valgrind (part of make check)
#   make sanitize-unit  the unit tests built with ASan+UBSan in $(BUILD)-san-unit and run
#   make abi-check      abi/symbols.txt vs nm -D, abi/libtigress.abi vs abidw + abidiff
#   make abi-baseline   rewrite abi/libtigress.abi and abi/symbols.txt from $(LIB_SO)
#
# UNIT_BINS (tests/unit/unit.mk) and the shared lists appear in recipes only, which are expanded
# when they run, after every fragment has been read; what they name is built through a sub-make.

.PHONY: lint valgrind valgrind-unit sanitize-unit harness-unit-run abi-check abi-baseline

lint:
	@tests/harness/lint.sh $(BUILD)

# Scripts among the suites are listed as skipped by valgrind.sh (it would only watch the shell).
valgrind:
	@$(MAKE) --no-print-directory $(CHECK_BUILD)
	@tests/harness/valgrind.sh $(VALGRIND_SKIP) \
	    $(sort $(CHECK_SUITES)) \
	    $(VALGRIND_EXTRA)

valgrind-unit:
	@$(MAKE) --no-print-directory $(UNIT_BINS)
	@tests/harness/valgrind.sh $(UNIT_BINS)

# The sub-make sees SAN=1 and its own BUILD, so $(UNIT_BINS) there names the sanitized copies.
sanitize-unit:
	@$(MAKE) --no-print-directory SAN=1 BUILD=$(BUILD)-san-unit CFLAGS="-O1 -g" harness-unit-run

harness-unit-run:
	@$(MAKE) --no-print-directory $(UNIT_BINS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    tests/run-suites.sh $(UNIT_BINS)

abi-check: $(LIB_SO)
	@tests/harness/abi.sh check $(LIB_SO) $(BUILD)

abi-baseline: $(LIB_SO)
	@tests/harness/abi.sh baseline $(LIB_SO) $(BUILD)

# What this harness adds to make check (CI-time budget: about 1 min for lint, seconds for the ABI
# guard, about 1 min for valgrind over the unit tests on 2 idle cores). Override to bypass one,
# e.g. make check HARNESS_CHECK="abi-check valgrind-unit".
HARNESS_CHECK ?= lint abi-check valgrind-unit
# In make check. Not in the SAN=1 run (make sanitize): valgrind cannot run ASan programs, and
# lint and the ABI guard do not depend on how the code is instrumented.
ifneq ($(SAN),1)
CHECK_EXTRA += $(HARNESS_CHECK)
endif
