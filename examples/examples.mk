# The tigress CLI (examples/cli/*.c -> $(BUILD)/tigress) and the example programs
# (examples/*.c -> $(BUILD)/examples/NAME). All of them use only the public API and link the
# shared library through $(TIGRESS_LINK).
CLI_SRCS    := $(sort $(wildcard examples/cli/*.c))
CLI_OBJS    := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_BIN     := $(BUILD)/tigress
CLI_PKGS    := libcjson libsodium libqrencode libcurl
CLI_CFLAGS   = $(BASE_CFLAGS) $(shell pkg-config --cflags $(CLI_PKGS))
CLI_LIBS     = $(shell pkg-config --libs $(CLI_PKGS)) -lpthread

EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)

ALL_TARGETS += $(CLI_BIN)
CHECK_BUILD += $(CLI_BIN) $(EXAMPLE_BINS)

.PHONY: examples cli install-cli
examples: $(EXAMPLE_BINS)
cli: $(CLI_BIN)

$(BUILD)/obj/examples/cli/%.o: examples/cli/%.c examples/cli/cli.h common/calendar.h $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -c $< -o $@

$(CLI_BIN): $(CLI_OBJS) $(LIB_SO)
	$(CC) -o $@ $(CLI_OBJS) $(BASE_LDFLAGS) $(TIGRESS_LINK) $(CLI_LIBS)

# custom_transport.c drives libcurl itself; the others need only libtigress.
$(BUILD)/examples/%: examples/%.c $(PUBLIC_HDRS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(if $(filter custom_transport,$*),$(shell pkg-config --cflags libcurl)) \
	    -o $@ $< $(BASE_LDFLAGS) $(TIGRESS_LINK) \
	    $(if $(filter custom_transport,$*),$(shell pkg-config --libs libcurl))

# `make install` also installs the CLI, relinked without the rpath into the build tree.
install: install-cli
install-cli: $(CLI_OBJS) $(LIB_SO)
	$(CC) -o $(BUILD)/tigress.install $(CLI_OBJS) $(BASE_LDFLAGS) -L$(BUILD) -ltigress $(CLI_LIBS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BUILD)/tigress.install $(DESTDIR)$(BINDIR)/tigress
