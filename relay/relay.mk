# tigress-relay: relay/*.c -> $(BUILD)/tigress-relay. Links no libtigress code: the relay speaks
# the wire protocol only. The store backends (store*.c) are compiled in like every other file.
RELAY_PKGS   := libmicrohttpd libsodium libcjson uuid libcurl sqlite3
RELAY_CFLAGS  = $(shell pkg-config --cflags $(RELAY_PKGS))
RELAY_LIBS    = $(shell pkg-config --libs $(RELAY_PKGS)) -lpthread -lm
RELAY_SRCS   := $(sort $(wildcard relay/*.c))
RELAY_OBJS   := $(RELAY_SRCS:%.c=$(BUILD)/obj/%.o)
RELAY_BIN    := $(BUILD)/tigress-relay

ALL_TARGETS += $(RELAY_BIN)

$(BUILD)/obj/relay/%.o: relay/%.c $(wildcard relay/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(RELAY_CFLAGS) -Irelay -c $< -o $@

$(RELAY_BIN): $(RELAY_OBJS)
	$(CC) -o $@ $(RELAY_OBJS) $(BASE_LDFLAGS) $(RELAY_LIBS)
