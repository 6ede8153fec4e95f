# tigress-relay: relay/*.c and relay/store/*.c -> $(BUILD)/tigress-relay. Links no libtigress
# code: the relay speaks the wire protocol only. The store (relay/store/: the front, both
# backends and the rediss:// tunnel) is compiled in; the Redis backend (store_redis*.c) only
# when hiredis is installed (same rule as tests/relay/store_tests.mk).
RELAY_HAVE_HIREDIS := $(shell pkg-config --exists hiredis 2>/dev/null && echo 1)
RELAY_PKGS   := libmicrohttpd gnutls libsodium libcjson uuid libcurl sqlite3 libcrypto
RELAY_SRCS   := $(sort $(wildcard relay/*.c)) \
                $(filter-out relay/store/store_redis%.c,$(sort $(wildcard relay/store/*.c)))
RELAY_HDRS   := $(wildcard relay/*.h relay/store/*.h common/*.h)
RELAY_DEFS   :=
ifeq ($(RELAY_HAVE_HIREDIS),1)
RELAY_PKGS   += hiredis
RELAY_SRCS   += $(sort $(wildcard relay/store/store_redis*.c))
RELAY_DEFS   := -DTIGRESS_HAVE_HIREDIS
endif
# -Irelay/store: the relay's modules (and the tests that link them) include "store.h".
RELAY_CFLAGS  = $(RELAY_DEFS) -Irelay/store $(shell pkg-config --cflags $(RELAY_PKGS))
RELAY_LIBS    = $(shell pkg-config --libs $(RELAY_PKGS)) -lpthread -lm
RELAY_OBJS   := $(RELAY_SRCS:%.c=$(BUILD)/obj/%.o)
RELAY_BIN    := $(BUILD)/tigress-relay

ALL_TARGETS += $(RELAY_BIN)

$(BUILD)/obj/relay/%.o: relay/%.c $(RELAY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(RELAY_CFLAGS) -Irelay -c $< -o $@

$(RELAY_BIN): $(RELAY_OBJS)
	$(CC) -o $@ $(RELAY_OBJS) $(BASE_LDFLAGS) $(RELAY_LIBS)

# make check: `systemd-analyze verify` of the service unit (skipped when systemd-analyze is
# not installed; only errors about the unit file itself fail, see the script).
.PHONY: relay-unit-verify
CHECK_EXTRA += relay-unit-verify
relay-unit-verify: $(RELAY_BIN)
	@relay/contrib/verify-unit.sh $(RELAY_BIN)
