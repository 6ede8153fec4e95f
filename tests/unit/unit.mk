# cmocka unit tests: tests/unit/test_<module>.c -> build/tests/unit/test_<module>.
# They link the static library so they can reach internal (tigress__*) helpers too.
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_CFLAGS = $(BASE_CFLAGS) -Ilib -Itests/unit $(LIB_CFLAGS) $(shell pkg-config --cflags cmocka)
UNIT_LIBS   = $(LIB_A) $(LIB_LIBS) $(shell pkg-config --libs cmocka)
UNIT_HELPERS := $(wildcard tests/unit/helpers/*.c)

CHECK_BUILD  += $(UNIT_BINS)
CHECK_SUITES += $(UNIT_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_HELPERS) $(wildcard tests/unit/helpers/*.h) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_HELPERS) $(BASE_LDFLAGS) $(UNIT_LIBS)

# test_faults keeps its fault-injecting transport in a header of its own.
$(BUILD)/tests/unit/test_faults: tests/unit/fault_transport.h

# The committed vectors are compiled in: regenerated vectors rebuild test_crypto.
$(BUILD)/tests/unit/test_crypto: $(wildcard tests/unit/vectors/*.h)
