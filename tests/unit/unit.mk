# cmocka unit tests: tests/unit/test_<module>.c -> build/tests/unit/test_<module>.
# They link the static library so they can reach internal (tigress__*) helpers too.
# The portable build (PORTABLE=1) has no libcurl transport to test.
UNIT_SRCS  := $(filter-out $(if $(filter 1,$(PORTABLE)),tests/unit/test_transport_curl.c),\
                $(sort $(wildcard tests/unit/test_*.c)))
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

# test_crypto runs the known answers through a test AEAD provider too (aead_test_provider.h):
# OpenSSL's AES-GCM where libcrypto is there for this target, else libsodium's (AES-256 only).
UNIT_HAVE_LIBCRYPTO := $(shell pkg-config --exists libcrypto 2>/dev/null && echo 1)
ifeq ($(UNIT_HAVE_LIBCRYPTO),1)
$(BUILD)/tests/unit/test_crypto: UNIT_CFLAGS += -DTEST_AEAD_OPENSSL $(shell pkg-config --cflags libcrypto)
$(BUILD)/tests/unit/test_crypto: UNIT_LIBS += $(shell pkg-config --libs libcrypto)
endif
$(BUILD)/tests/unit/test_crypto: tests/unit/aead_test_provider.h

# `make portable-check`: every unit program built against the portable library (lib.mk's
# PORTABLE_BUILD directory), with the mock transport. For a 32-bit target:
#   make portable-check CC="gcc -m32" BUILD=build-portable-i386 \
#        PKG_CONFIG_LIBDIR=/usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig
.PHONY: portable-check unit-run
portable-check:
	@$(MAKE) --no-print-directory PORTABLE=1 BUILD=$(PORTABLE_BUILD) unit-run
unit-run: $(UNIT_BINS)
	@tests/run-suites.sh $(UNIT_BINS)
ifneq ($(PORTABLE),1)
CHECK_EXTRA += portable-check
endif
