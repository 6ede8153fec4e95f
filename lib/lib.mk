# libtigress: build/libtigress.so.1 (+ .so, .a, .pc).
ABI_MAJOR   := 1
# The release version has one home, TIGRESS_VERSION_STRING in include/tigress/common.h (the
# file name, the .pc and tigress_version_string() cannot disagree); header_notes.py checks the
# header's macros agree and that no @since is newer.
LIB_VERSION := $(shell sed -n 's/^\#define TIGRESS_VERSION_STRING "\([0-9.]*\)"/\1/p' include/tigress/common.h)
SONAME      ?= libtigress.so.$(ABI_MAJOR)
# Android (SONAME=libtigress.so) gets an unversioned file, and LOAD segments aligned to 16 KB
# (Android 15+ devices with 16 KB pages refuse 4 KB-aligned libraries); everyone else the full
# chain and the linker's default page size. After LDFLAGS: the 16 KB wins over a 4 KB default.
ifeq ($(SONAME),libtigress.so)
LIB_REAL    := libtigress.so
LIB_SO_LDFLAGS := -Wl,-z,max-page-size=16384
else
LIB_REAL    := libtigress.so.$(LIB_VERSION)
LIB_SO_LDFLAGS :=
endif

# Two builds from the same sources, headers and exported symbols (PORTABLE is fixed on the
# command line, before any fragment is read; `make portable` sets it):
#  - default: libcurl transport, libuuid, OpenSSL AES-GCM (aead_openssl.c);
#  - PORTABLE=1: libsodium, cJSON and libc only, for apps that bring their own HTTP transport
#    (tigress/sys/transport.h) and, for AES-128-GCM, an AEAD provider (tigress/sys/aead.h):
#    UUIDs and Base64 from libsodium, AES-256-GCM from libsodium (aead_sodium.c).
# Each optional dependency is one TIGRESS_HAVE_* macro that lib/ tests with #ifdef.
ifeq ($(PORTABLE),1)
LIB_PKGS    := libsodium libcjson
LIB_FEATURES := -DTIGRESS_PORTABLE
LIB_EXCLUDE := lib/transport_curl.c lib/aead_openssl.c
else
LIB_PKGS    := libcurl libsodium libcjson uuid libcrypto
LIB_FEATURES := -DTIGRESS_HAVE_CURL -DTIGRESS_HAVE_OPENSSL -DTIGRESS_HAVE_LIBUUID
LIB_EXCLUDE := lib/aead_sodium.c
endif
LIB_CFLAGS   = $(shell pkg-config --cflags $(LIB_PKGS)) $(LIB_FEATURES)
LIB_LIBS     = $(shell pkg-config --libs $(LIB_PKGS)) -lpthread

LIB_SRCS    := $(filter-out $(LIB_EXCLUDE),$(sort $(wildcard lib/*.c)))
LIB_PIC     := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o)
LIB_STATIC  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SO      := $(BUILD)/$(LIB_REAL)
LIB_A       := $(BUILD)/libtigress.a
LIB_PC      := $(BUILD)/libtigress.pc
PUBLIC_HDRS := $(shell find include -name '*.h')
LIB_HDRS    := $(wildcard lib/*.h common/*.h)

# Programs in this tree link the shared library through this (rpath to build/).
TIGRESS_LINK = -L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -ltigress

ALL_TARGETS += lib
CHECK_EXTRA += exports-check header-check

# `make portable`: the PORTABLE=1 library in a directory of its own, PORTABLE_BUILD: BUILD
# itself when its name says portable (BUILD=build-portable-i386), else BUILD-portable
# (build-portable, build-san-portable), so it never mixes objects with the default build.
PORTABLE_BUILD = $(if $(findstring portable,$(BUILD)),$(BUILD),$(BUILD)-portable)
CLEAN_FILES += $(PORTABLE_BUILD)

.PHONY: lib portable exports-check header-check FORCE
portable:
	@$(MAKE) --no-print-directory PORTABLE=1 BUILD=$(PORTABLE_BUILD) lib exports-check
FORCE:
lib: $(LIB_SO) $(LIB_A) $(LIB_PC)

$(BUILD)/pic/lib/%.o: lib/%.c $(LIB_HDRS) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -fPIC -fvisibility=hidden -DTIGRESS_BUILDING_DLL -c $< -o $@

$(BUILD)/obj/lib/%.o: lib/%.c $(LIB_HDRS) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -fvisibility=hidden -DTIGRESS_STATIC -c $< -o $@

$(LIB_SO): $(LIB_PIC) lib/libtigress.map
	$(CC) -shared -o $@ $(LIB_PIC) -Wl,-soname,$(SONAME) -Wl,--version-script,lib/libtigress.map \
	    -Wl,--no-undefined $(BASE_LDFLAGS) $(LIB_SO_LDFLAGS) $(LIB_LIBS)
ifneq ($(LIB_REAL),libtigress.so)
	ln -sf $(LIB_REAL) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libtigress.so
endif

$(LIB_A): $(LIB_STATIC)
	rm -f $@
	ar rcs $@ $^

# The .pc embeds PREFIX/LIBDIR/INCDIR: a stamp that changes with them regenerates it.
PC_VARS := $(PREFIX)|$(LIBDIR)|$(INCDIR)|$(LIB_VERSION)
$(BUILD)/pc-vars.stamp: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = '$(PC_VARS)' ] || echo '$(PC_VARS)' > $@

$(LIB_PC): pkgconfig/libtigress.pc.in lib/lib.mk $(BUILD)/pc-vars.stamp
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(LIB_VERSION)|' -e 's|@REQUIRES@|$(LIB_PKGS)|' $< > $@

# Only tigress_* may be exported: apps ship their own cJSON, libcurl, OpenSSL.
exports-check: $(LIB_SO)
	@bad=$$(nm -D --defined-only $(LIB_SO) | awk '$$2 ~ /^[TDBRVW]$$/ {print $$3}' | grep -v '^tigress_' | grep -v '^TIGRESS_1$$' || true); \
	if [ -n "$$bad" ]; then echo "exports-check: unexpected exported symbols:"; echo "$$bad"; exit 1; fi; \
	echo "exports-check: $$(nm -D --defined-only $(LIB_SO) | grep -c ' T tigress_') functions, all tigress_*"

# The umbrella header, and each public header alone, must compile as C99, C11 and C++.
header-check:
	@for std in c99 c11; do \
	  echo '#include <tigress.h>' | $(CC) -std=$$std -Wall -Wextra -pedantic -Werror -Iinclude -x c -fsyntax-only - || exit 1; \
	done; \
	echo '#include <tigress.h>' | c++ -std=c++11 -Wall -Wextra -pedantic -Werror -Iinclude -x c++ -fsyntax-only - || exit 1; \
	for h in $(patsubst include/%,%,$(filter include/tigress/%,$(PUBLIC_HDRS))); do \
	  for std in c99 c11; do \
	    echo "#include <$$h>" | $(CC) -std=$$std -Wall -Wextra -pedantic -Werror -Iinclude -x c -fsyntax-only - || exit 1; \
	  done; \
	  echo "#include <$$h>" | c++ -std=c++11 -Wall -Wextra -pedantic -Werror -Iinclude -x c++ -fsyntax-only - || exit 1; \
	done; \
	echo "header-check: tigress.h and each tigress/ header compile alone as C99, C11 and C++11"

install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/tigress/sys
	install -m 644 include/tigress.h $(DESTDIR)$(INCDIR)/
	install -m 644 include/tigress/*.h $(DESTDIR)$(INCDIR)/tigress/
	install -m 644 include/tigress/sys/*.h $(DESTDIR)$(INCDIR)/tigress/sys/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
ifneq ($(LIB_REAL),libtigress.so)
	ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libtigress.so
endif
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIB_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
