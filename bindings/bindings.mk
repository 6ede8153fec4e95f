# Language bindings over the C ABI (bindings/README.md):
#   make bindings              libtigress_jni.so + tigress.jar (+ the JUnit test classes)
#   bindings-status-check      each binding's status table equals TIGRESS_STATUS_MAP (CHECK_EXTRA)
#   swift-check                the CTigress module map imports with clang -fmodules; the Swift
#                              sources call only functions the headers declare (CHECK_EXTRA)
#   swift-build                swift build of bindings/swift against build/ and include/ (no install)
#   swift-test                 swift-build + the XCTest suite against a local relay
#   suites                     $(BUILD)/bindings/run-python-tests, $(BUILD)/bindings/run-java-tests,
#                              $(BUILD)/bindings/run-swift-tests (bindings/swift/run-tests.sh, with
#                              SWIFT_BIN: swift on PATH, else /opt/swift, else /opt/swift*; left
#                              out, saying so, when there is no toolchain at all); under SAN=1 the
#                              Python and Java suites run through run-*-tests-san (below)
#   portable suites            $(BUILD)/bindings/run-python-tests-portable and
#                              run-java-tests-portable: the same runners with a second argument,
#                              the portable library's directory (lib.mk's PORTABLE_BUILD, built
#                              through bindings-portable-lib = `make portable`): each binding's
#                              own transport (UrllibTransport, JdkHttpTransport) and AEAD
#                              provider (CryptographyAead, JavaxCryptoAead), both flows, all three
#                              payload types. Left out under SAN=1, saying why (below).
# Java needs javac/jar (Debian default-jdk-headless) and JUnit 5 (Debian junit5); both are in
# .ci/packages.txt, so the Java part is skipped only on a machine where they are still missing.

PYTHON3      ?= python3
JAVAC        ?= $(shell command -v javac 2>/dev/null)
JUNIT_JAR    ?= /usr/share/java/junit-platform-console-standalone.jar
# The JDK home is the directory above bin/javac (after following the alternatives links).
JDK_HOME     ?= $(if $(JAVAC),$(patsubst %/bin/javac,%,$(realpath $(JAVAC))))

BIND_DIR     := $(BUILD)/bindings
JAVA_SRCS    := $(sort $(wildcard bindings/java/src/org/tigress/*.java))
JAVA_TESTS   := $(sort $(wildcard bindings/java/test/org/tigress/*.java))
JNI_SRCS     := $(sort $(wildcard bindings/java/jni/*.c))
JNI_SO       := $(BUILD)/libtigress_jni.so
JAVA_JAR     := $(BUILD)/tigress.jar
JAVA_STAMP   := $(BIND_DIR)/java/classes.stamp
JAVA_TSTAMP  := $(BIND_DIR)/java/test-classes.stamp
JNI_HDR_DIR  := $(BIND_DIR)/java/include
JNI_CFLAGS    = $(BASE_CFLAGS) -fPIC -fvisibility=hidden -isystem $(JDK_HOME)/include \
                -isystem $(JDK_HOME)/include/linux -I$(JNI_HDR_DIR) -Ibindings/java/jni

PY_RUNNER    := $(BIND_DIR)/run-python-tests
JAVA_RUNNER  := $(BIND_DIR)/run-java-tests
PY_PORTABLE_RUNNER   := $(BIND_DIR)/run-python-tests-portable
JAVA_PORTABLE_RUNNER := $(BIND_DIR)/run-java-tests-portable
SWIFT_RUNNER := $(BIND_DIR)/run-swift-tests

# make sanitize (SAN=1) runs the two suites through the wrappers at the end of this file.
PY_SAN_RUNNER   := $(BIND_DIR)/run-python-tests-san
JAVA_SAN_RUNNER := $(BIND_DIR)/run-java-tests-san

.PHONY: bindings bindings-status-check swift-check swift-build swift-test bindings-portable-lib
CHECK_EXTRA  += bindings-status-check swift-check
CHECK_BUILD  += $(PY_RUNNER)
ifeq ($(SAN),1)
CHECK_BUILD  += $(PY_SAN_RUNNER)
CHECK_SUITES += $(PY_SAN_RUNNER)
else
CHECK_SUITES += $(PY_RUNNER)
endif

# The portable suites (not under SAN=1: the python3/java ASan wrappers below are made for
# $(BUILD)'s library; loading the instrumented $(PORTABLE_BUILD) one through them has not been
# set up. Its C code runs under ASan in portable-check).
ifneq ($(SAN),1)
CHECK_BUILD  += bindings-portable-lib $(PY_PORTABLE_RUNNER)
CHECK_SUITES += $(PY_PORTABLE_RUNNER)
else
CHECK_EXTRA  += bindings-portable-san-skip
.PHONY: bindings-portable-san-skip
bindings-portable-san-skip:
	@echo "sanitize: skipped $(PY_PORTABLE_RUNNER) and $(JAVA_PORTABLE_RUNNER): the python3/java" \
	    "ASan wrappers are not set up for the portable library; its C code runs under ASan in" \
	    "portable-check"
endif

# The library the portable suites load: lib.mk's `portable` (PORTABLE=1, BUILD=PORTABLE_BUILD)
# in a sub-make; up to date after the first time.
bindings-portable-lib:
	@$(MAKE) --no-print-directory portable

# The Swift toolchain, as bindings/swift/swift-env.sh finds it (PATH, /opt/swift, /opt/swift*);
# called by absolute path, never put on PATH. Without one the suite is left out, saying so.
SWIFT_BIN    ?= $(shell bash -c '. bindings/swift/swift-env.sh && swift_find' 2>/dev/null)

# The Swift suite links the test process (swift-corelibs Foundation, XCTest) to libtigress: an
# ASan-instrumented library cannot load into it, so make sanitize (SAN=1) leaves it out and
# says so; the C code it drives runs instrumented in the other suites.
ifneq ($(SAN),1)
ifneq ($(SWIFT_BIN),)
CHECK_BUILD  += $(SWIFT_RUNNER)
CHECK_SUITES += $(SWIFT_RUNNER)
else ifneq ($(MAKELEVEL),0)
$(info bindings: no Swift toolchain (swift not on PATH, none in /opt/swift*): the Swift binding tests are skipped)
endif
else
CHECK_EXTRA  += swift-san-skip
.PHONY: swift-san-skip
swift-san-skip:
	@echo "sanitize: skipped $(SWIFT_RUNNER): the Swift test process (not built with ASan) cannot" \
	    "load the ASan library; its C code runs under ASan in the other suites"
endif

ifneq ($(JAVAC),)
bindings: $(JNI_SO) $(JAVA_JAR) $(JAVA_TSTAMP)
CHECK_BUILD  += $(JNI_SO) $(JAVA_JAR) $(JAVA_TSTAMP) $(JAVA_RUNNER)
ifeq ($(SAN),1)
CHECK_BUILD  += $(JAVA_SAN_RUNNER)
CHECK_SUITES += $(JAVA_SAN_RUNNER)
else
CHECK_SUITES += $(JAVA_RUNNER)
CHECK_BUILD  += $(JAVA_PORTABLE_RUNNER)
CHECK_SUITES += $(JAVA_PORTABLE_RUNNER)
endif
else
bindings:
	@echo "bindings: javac not found (install default-jdk-headless); Java binding skipped"
# Said only by the sub-make that runs after install-deps: the outer make parses this file
# before the JDK is installed on a fresh machine, and would announce a skip that does not happen.
ifneq ($(MAKELEVEL),0)
$(info bindings: javac not found after install-deps; the Java binding tests are skipped)
endif
endif

# javac -h writes org_tigress_Native.h, the prototypes the shim is checked against.
$(JAVA_STAMP): $(JAVA_SRCS)
	@rm -rf $(BIND_DIR)/java/classes $(JNI_HDR_DIR)
	@mkdir -p $(BIND_DIR)/java/classes $(JNI_HDR_DIR)
	javac -Xlint:all -Werror --release 11 -d $(BIND_DIR)/java/classes -h $(JNI_HDR_DIR) $(JAVA_SRCS)
	@touch $@

$(JAVA_JAR): $(JAVA_STAMP)
	jar --create --file $@ -C $(BIND_DIR)/java/classes .

$(JNI_SO): $(JNI_SRCS) bindings/java/jni/tigress_jni.h $(JAVA_STAMP) $(LIB_SO) $(PUBLIC_HDRS)
	$(CC) $(JNI_CFLAGS) -shared -o $@ $(JNI_SRCS) -Wl,--no-undefined $(BASE_LDFLAGS) $(TIGRESS_LINK)

$(JAVA_TSTAMP): $(JAVA_TESTS) $(JAVA_JAR)
	@rm -rf $(BIND_DIR)/java/test-classes
	@mkdir -p $(BIND_DIR)/java/test-classes
	javac -Xlint:all -Xlint:-processing -Werror --release 11 -d $(BIND_DIR)/java/test-classes \
	    -cp $(JAVA_JAR):$(JUNIT_JAR) $(JAVA_TESTS)
	@touch $@

# The suites are executables without arguments: small wrappers that know this BUILD.
$(PY_RUNNER): bindings/python/run_tests.sh bindings/bindings.mk
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec "%s/bindings/python/run_tests.sh" "%s"\n' "$(CURDIR)" "$(abspath $(BUILD))" > $@
	@chmod +x $@

$(JAVA_RUNNER): bindings/java/run_tests.sh bindings/bindings.mk
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec "%s/bindings/java/run_tests.sh" "%s"\n' "$(CURDIR)" "$(abspath $(BUILD))" > $@
	@chmod +x $@

# The portable runners: the same scripts, the portable library's directory as second argument.
$(PY_PORTABLE_RUNNER): bindings/python/run_tests.sh bindings/bindings.mk
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec "%s/bindings/python/run_tests.sh" "%s" "%s"\n' "$(CURDIR)" \
	    "$(abspath $(BUILD))" "$(abspath $(PORTABLE_BUILD))" > $@
	@chmod +x $@

$(JAVA_PORTABLE_RUNNER): bindings/java/run_tests.sh bindings/bindings.mk
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec "%s/bindings/java/run_tests.sh" "%s" "%s"\n' "$(CURDIR)" \
	    "$(abspath $(BUILD))" "$(abspath $(PORTABLE_BUILD))" > $@
	@chmod +x $@

$(SWIFT_RUNNER): bindings/swift/run-tests.sh bindings/bindings.mk
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nSWIFT="%s" exec "%s/bindings/swift/run-tests.sh" "%s"\n' \
	    "$(SWIFT_BIN)" "$(CURDIR)" "$(abspath $(BUILD))" > $@
	@chmod +x $@

# swift build (Swift 6 mode, warnings as errors) of the library, the example and the tests,
# against $(BUILD)/libtigress.so and include/; its .build directory is $(BUILD)/bindings/swift.
swift-build: $(LIB_SO)
	@SWIFT="$(SWIFT_BIN)" bindings/swift/build.sh "$(abspath $(BUILD))"

swift-test: all $(SWIFT_RUNNER)
	@$(SWIFT_RUNNER)

bindings-status-check:
	@$(PYTHON3) bindings/gen_status.py --check

swift-check:
	@bindings/swift/check.sh

# make sanitize (SAN=1). The Python and Java suites load the instrumented libtigress into
# python3 / java, which are not built with ASan: the ASan runtime must then be the first library
# of the process (LD_PRELOAD), else it refuses to start. So under SAN=1 those two suites run
# through wrappers that start the interpreter, and only it, with the runtime preloaded and with
# leak detection off (CPython and the JVM keep memory until exit by design; LeakSanitizer would
# report theirs, not ours). ASan/UBSan errors in libtigress and the JNI shim still abort the
# suite; the relay they start keeps its leak detection. The JVM uses SIGSEGV itself
# (handle_segv=0 leaves those signals to it).
ifeq ($(SAN),1)
BIND_ASAN_RT   := $(shell $(CC) -print-file-name=libasan.so)
BIND_SAN_BIN   := $(BIND_DIR)/san-bin
BIND_SAN_OPTS  := detect_leaks=0:handle_segv=0:allow_user_segv_handler=1

# $(BIND_SAN_BIN)/python3 and .../java: the real program with the ASan runtime preloaded.
$(BIND_SAN_BIN)/python3 $(BIND_SAN_BIN)/java: bindings/bindings.mk
	@mkdir -p $(@D)
	@real=$$(command -v $(if $(filter python3,$(@F)),$(PYTHON3),java)) && \
	  printf '#!/bin/sh\nLD_PRELOAD="%s$${LD_PRELOAD:+:$$LD_PRELOAD}" ASAN_OPTIONS="%s" exec "%s" "$$@"\n' \
	    '$(BIND_ASAN_RT)' '$(BIND_SAN_OPTS)' "$$real" > $@ && chmod +x $@

$(PY_SAN_RUNNER): $(PY_RUNNER) $(BIND_SAN_BIN)/python3
	@printf '#!/bin/sh\necho "python bindings (SAN=1): python3 runs with %s preloaded, its leak detection off"\nPYTHON3="%s" exec "%s"\n' \
	    '$(notdir $(BIND_ASAN_RT))' '$(abspath $(BIND_SAN_BIN))/python3' '$(abspath $(PY_RUNNER))' > $@
	@chmod +x $@

# bindings/java/run_tests.sh runs `java` from PATH.
$(JAVA_SAN_RUNNER): $(JAVA_RUNNER) $(BIND_SAN_BIN)/java
	@printf '#!/bin/sh\necho "java bindings (SAN=1): java runs with %s preloaded, its leak detection off"\nPATH="%s:$$PATH" exec "%s"\n' \
	    '$(notdir $(BIND_ASAN_RT))' '$(abspath $(BIND_SAN_BIN))' '$(abspath $(JAVA_RUNNER))' > $@
	@chmod +x $@
endif
