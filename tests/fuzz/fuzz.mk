# Fuzz targets for the parsers: tests/fuzz/fuzz_<target>.c define LLVMFuzzerTestOneInput.
#  - `make check` builds each with gcc plus replay_main.c ($(BUILD)/tests/fuzz/replay_<target>)
#    and replays the committed corpora in tests/fuzz/corpus/<target>/ (suite: replay-corpora).
#  - `make fuzz FUZZ_SECONDS=60` builds them with clang -fsanitize=fuzzer,address,undefined
#    (Debian: clang, libfuzzer-14-dev) and runs each for FUZZ_SECONDS on a scratch copy of its
#    corpus under $(BUILD)/fuzz/; crashes land in $(BUILD)/fuzz/artifacts/.
FUZZ_TARGETS  := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_REPLAYS  := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_SUITE    := $(BUILD)/tests/fuzz/replay-corpora
FUZZ_SECONDS  ?= 60
FUZZ_CC       ?= clang
FUZZ_CFLAGS   := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer \
                 -fsanitize=address,undefined -fno-sanitize-recover=undefined -Iinclude -Ilib
# The whole library, instrumented for coverage; each target pulls the objects it needs.
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_LIB_A    := $(BUILD)/fuzz/libtigress-fuzz.a

CHECK_BUILD  += $(FUZZ_REPLAYS) $(FUZZ_SUITE)
CHECK_SUITES += $(FUZZ_SUITE)
# make valgrind: each replay binary over its whole committed corpus, in one process.
VALGRIND_EXTRA += $(foreach t,$(FUZZ_TARGETS),\
                    "$(BUILD)/tests/fuzz/replay_$(t) tests/fuzz/corpus/$(t)")

$(BUILD)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Ilib -Itests/fuzz -o $@ $< tests/fuzz/replay_main.c \
	    $(BASE_LDFLAGS) $(LIB_A) $(LIB_LIBS)

# run-suites.sh runs suites without arguments: this wrapper passes the binaries' directory.
$(FUZZ_SUITE): tests/fuzz/replay.sh tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec "%s" "%s"\n' "$(abspath tests/fuzz/replay.sh)" \
	    "$(abspath $(BUILD)/tests/fuzz)" > $@
	chmod +x $@

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/obj/lib/%.o: lib/%.c $(wildcard lib/*.h common/*.h) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(LIB_CFLAGS) -c $< -o $@

$(FUZZ_LIB_A): $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_A)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz $(LIB_CFLAGS) -o $@ $< \
	    $(FUZZ_LIB_A) $(LIB_LIBS)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf $(BUILD)/fuzz/corpus/$$t; mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/artifacts; \
	  cp tests/fuzz/corpus/$$t/* $(BUILD)/fuzz/corpus/$$t/; \
	  echo "=== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	      -artifact_prefix=$(BUILD)/fuzz/artifacts/$$t- $(BUILD)/fuzz/corpus/$$t || exit 1; \
	done

# The fuzz targets that drive the public API (fuzz_relay_response, fuzz_message) include the
# scripted transport of the reliability harness (tests/harness/fuzz_transport.h).
FUZZ_API_TARGETS := relay_response message
$(FUZZ_API_TARGETS:%=$(BUILD)/fuzz/fuzz_%) $(FUZZ_API_TARGETS:%=$(BUILD)/tests/fuzz/replay_%): \
    tests/harness/fuzz_transport.h

# fuzz_relay_request drives the relay's routes_handle() (relay/routes.c) in process: it links
# the relay's own modules, minus main.c (the program's main()), and no libtigress code.
ifneq ($(RELAY_SRCS),)
FUZZ_RELAY_SRCS := $(filter-out relay/main.c,$(RELAY_SRCS))
FUZZ_RELAY_OBJS := $(filter-out $(BUILD)/obj/relay/main.o,$(RELAY_OBJS))
$(BUILD)/tests/fuzz/replay_relay_request: tests/fuzz/fuzz_relay_request.c tests/fuzz/replay_main.c \
        tests/fuzz/fuzz.h $(FUZZ_RELAY_OBJS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(RELAY_CFLAGS) -Irelay -Itests/fuzz -o $@ $< tests/fuzz/replay_main.c \
	    $(FUZZ_RELAY_OBJS) $(BASE_LDFLAGS) $(RELAY_LIBS)

$(BUILD)/fuzz/fuzz_relay_request: tests/fuzz/fuzz_relay_request.c tests/fuzz/fuzz.h \
        $(FUZZ_RELAY_SRCS) $(RELAY_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(RELAY_CFLAGS) -Irelay -Itests/fuzz -o $@ $< $(FUZZ_RELAY_SRCS) $(RELAY_LIBS)
endif
