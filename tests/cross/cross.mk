# make check-cross: the unit tests on x86_64 with gcc and with clang (the whole default tree,
# -Werror), on i386 (gcc -m32) and on aarch64 (clang --target=aarch64-linux-gnu, run under
# qemu-user), and the 16 KB alignment Android needs (tests/cross/run.sh;
# tests/harness/README.md).
# Packages: .ci/packages-cross.txt (the :i386/:arm64 ones add their dpkg architecture first).
# Not part of make check: .ci/run runs it as a step of its own.
#
#   make check-cross [CROSS_ARCHS="x86_64-gcc x86_64-clang i386 aarch64"]
#                    [CROSS_TARGET=portable-check] [CROSS_LIB_TARGET=portable] [CROSS_STRICT=1]

CROSS_ARCHS      ?= x86_64-gcc x86_64-clang i386 aarch64
CROSS_TARGET     ?= portable-check
CROSS_LIB_TARGET ?= portable
CROSS_STRICT     ?= 1

CLEAN_FILES += build-cross

.PHONY: check-cross
check-cross:
	@./.ci/install-deps.sh
	@./.ci/install-deps.sh .ci/packages-cross.txt
	@CROSS_TARGET='$(CROSS_TARGET)' CROSS_LIB_TARGET='$(CROSS_LIB_TARGET)' \
	    CROSS_STRICT='$(CROSS_STRICT)' tests/cross/run.sh $(CROSS_ARCHS)
