# Reliability and security harness (no crash, leak, undefined behaviour or ABI break):
# static analysis, valgrind, sanitizers, ABI guard.
#
#   make lint           cppcheck + clang-tidy over lib/ relay/ examples/ (tests/harness/lint.sh)
#   make valgrind       every unit test, and every other suite that is an ELF program, under
#                       valgrind memcheck (any error, and leaks of every kind, fail); in .ci/run
#   make valgrind-unit  the unit tests only under valgrind (part of make check)
#   make sanitize-unit  the unit tests built with ASan+UBSan in $(BUILD)-san-unit and run
#   make abi-check      abi/symbols.txt vs nm -D, abi/libtigress.abi vs abidw + abidiff
#   make abi-baseline   rewrite abi/libtigress.abi and abi/symbols.txt from $(LIB_SO)
#
# Fragments later in the include order define UNIT_BINS and CHECK_SUITES, so recipes refer to
# them (recipes are expanded late) and build them through a sub-make instead of listing them
# as prerequisites here (prerequisites are expanded while this file is read).

.PHONY: lint valgrind valgrind-unit sanitize-unit harness-unit-run abi-check abi-baseline

lint:
	@tests/harness/lint.sh $(BUILD)

# Unit tests are the programs in $(UNIT_BINS); the other ELF suites (integration, relay
# conformance, security, store) come from CHECK_SUITES. Scripts are skipped by valgrind.sh.
# Each fuzz target's replay binary runs over its whole committed corpus in one process.
# HARNESS_VG_SKIP: suites not run under valgrind, as --skip 'PROGRAM=REASON' (printed).
HARNESS_VG_SKIP = --skip '$(BUILD)/tests/relay/test_store_stress=a stress test (thousands of store \
operations from many threads, SIGKILL durability, group-commit throughput): 7 minutes under \
valgrind for no extra coverage; its code runs under valgrind in test_store and under ASan in \
make sanitize'
valgrind:
	@$(MAKE) --no-print-directory $(CHECK_BUILD)
	@tests/harness/valgrind.sh $(HARNESS_VG_SKIP) \
	    $(sort $(UNIT_BINS) $(CHECK_SUITES)) \
	    $(foreach t,$(FUZZ_TARGETS),"$(BUILD)/tests/fuzz/replay_$(t) tests/fuzz/corpus/$(t)")

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

# The fuzz targets of this harness that drive the public API (fuzz_relay_response,
# fuzz_message) build with tests/fuzz/fuzz.mk's rules; they also depend on the scripted
# transport they include.
HARNESS_FUZZ := relay_response message
$(HARNESS_FUZZ:%=$(BUILD)/fuzz/fuzz_%) $(HARNESS_FUZZ:%=$(BUILD)/tests/fuzz/replay_%): \
    tests/harness/fuzz_transport.h

# fuzz_relay_request drives the relay's routes_handle() (relay/routes.c) in process: it links
# the relay's own modules, minus main.c (the program's main()), and no libtigress code.
ifneq ($(RELAY_SRCS),)
HARNESS_RELAY_FUZZ_SRCS := $(filter-out relay/main.c,$(RELAY_SRCS))
HARNESS_RELAY_FUZZ_OBJS := $(filter-out $(BUILD)/obj/relay/main.o,$(RELAY_OBJS))
$(BUILD)/tests/fuzz/replay_relay_request: tests/fuzz/fuzz_relay_request.c tests/fuzz/replay_main.c \
        tests/fuzz/fuzz.h $(HARNESS_RELAY_FUZZ_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(RELAY_CFLAGS) -Irelay -Itests/fuzz -o $@ $< tests/fuzz/replay_main.c \
	    $(HARNESS_RELAY_FUZZ_OBJS) $(BASE_LDFLAGS) $(RELAY_LIBS)

$(BUILD)/fuzz/fuzz_relay_request: tests/fuzz/fuzz_relay_request.c tests/fuzz/fuzz.h \
        $(HARNESS_RELAY_FUZZ_SRCS) $(wildcard relay/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(RELAY_CFLAGS) -Irelay -Itests/fuzz -o $@ $< $(HARNESS_RELAY_FUZZ_SRCS) $(RELAY_LIBS)
endif

# make sanitize (SAN=1) and the language bindings. The Python and Java suites load the
# instrumented libtigress into python3 / java, which are not built with ASan: the ASan runtime
# must then be the first library of the process (LD_PRELOAD), else it refuses to start. So under
# SAN=1 those two suites run through wrappers that start the interpreter, and only it, with the
# runtime preloaded and with leak detection off (CPython and the JVM keep memory until exit by
# design; LeakSanitizer would report theirs, not ours). ASan/UBSan errors in libtigress and the
# JNI shim still abort the suite; the relay they start keeps its leak detection. The JVM uses
# SIGSEGV itself (handle_segv=0 leaves those signals to it).
ifeq ($(SAN),1)
HARNESS_ASAN_RT   := $(shell $(CC) -print-file-name=libasan.so)
HARNESS_SAN_BIN   := $(BUILD)/harness/san-bin
HARNESS_SAN_PY    := $(BUILD)/harness/run-python-tests-san
HARNESS_SAN_JAVA  := $(BUILD)/harness/run-java-tests-san
HARNESS_SAN_OPTS  := detect_leaks=0:handle_segv=0:allow_user_segv_handler=1
ifneq ($(filter $(PY_RUNNER),$(CHECK_SUITES)),)
CHECK_SUITES := $(filter-out $(PY_RUNNER),$(CHECK_SUITES)) $(HARNESS_SAN_PY)
CHECK_BUILD  += $(HARNESS_SAN_PY)
endif
ifneq ($(filter $(JAVA_RUNNER),$(CHECK_SUITES)),)
CHECK_SUITES := $(filter-out $(JAVA_RUNNER),$(CHECK_SUITES)) $(HARNESS_SAN_JAVA)
CHECK_BUILD  += $(HARNESS_SAN_JAVA)
endif

# The README snippet suite (tests/docs) compiles the C snippets with plain cc and runs the
# Python and Java ones in uninstrumented interpreters: against the ASan library none of them
# starts. It checks documentation, and the code it drives runs instrumented in the CLI,
# binding and integration suites, so under SAN=1 it is left out, saying so before the suites.
ifneq ($(filter $(DOCS_RUNNER),$(CHECK_SUITES)),)
CHECK_SUITES := $(filter-out $(DOCS_RUNNER),$(CHECK_SUITES))
CHECK_EXTRA  += harness-san-skips
.PHONY: harness-san-skips
harness-san-skips:
	@echo "sanitize: skipped $(DOCS_RUNNER): README snippets are built and run by uninstrumented" \
	    "cc/python3/java, which cannot load the ASan library; their code runs under ASan in the" \
	    "CLI, bindings and integration suites"
endif

# $(HARNESS_SAN_BIN)/python3 and .../java: the real program with the ASan runtime preloaded.
$(HARNESS_SAN_BIN)/python3 $(HARNESS_SAN_BIN)/java: tests/harness/harness.mk
	@mkdir -p $(@D)
	@real=$$(command -v $(if $(filter python3,$(@F)),$(PYTHON3),java)) && \
	  printf '#!/bin/sh\nLD_PRELOAD="%s$${LD_PRELOAD:+:$$LD_PRELOAD}" ASAN_OPTIONS="%s" exec "%s" "$$@"\n' \
	    '$(HARNESS_ASAN_RT)' '$(HARNESS_SAN_OPTS)' "$$real" > $@ && chmod +x $@

$(HARNESS_SAN_PY): $(PY_RUNNER) $(HARNESS_SAN_BIN)/python3
	@printf '#!/bin/sh\necho "python bindings (SAN=1): python3 runs with %s preloaded, its leak detection off"\nPYTHON3="%s" exec "%s"\n' \
	    '$(notdir $(HARNESS_ASAN_RT))' '$(abspath $(HARNESS_SAN_BIN))/python3' '$(abspath $(PY_RUNNER))' > $@
	@chmod +x $@

# bindings/java/run_tests.sh runs `java` from PATH.
$(HARNESS_SAN_JAVA): $(JAVA_RUNNER) $(HARNESS_SAN_BIN)/java
	@printf '#!/bin/sh\necho "java bindings (SAN=1): java runs with %s preloaded, its leak detection off"\nPATH="%s:$$PATH" exec "%s"\n' \
	    '$(notdir $(HARNESS_ASAN_RT))' '$(abspath $(HARNESS_SAN_BIN))' '$(abspath $(JAVA_RUNNER))' > $@
	@chmod +x $@
endif
