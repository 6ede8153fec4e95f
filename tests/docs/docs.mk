# README snippets are checked, not trusted (tests/docs/readme_snippets.py):
#   every ```c block of README.md is a whole program: compiled with the project's warnings plus
#   -pedantic against include/ and the library, then run against a local relay;
#   the ```python block runs against that relay (after py_compile);
#   the ```java blocks compile against tigress.jar (javac present), and the one that opens
#   clients runs against the relay through the JNI shim;
#   the ```swift blocks are built with swift build (Swift 6, warnings as errors) against
#   bindings/swift when a Swift toolchain is found, and the one that opens clients runs.
# Suite: $(BUILD)/tests/docs/run-readme-snippets (prints "N passed, N failed").

DOCS_RUNNER := $(BUILD)/tests/docs/run-readme-snippets

CHECK_BUILD  += $(DOCS_RUNNER)
CHECK_SUITES += $(DOCS_RUNNER)

# The runner needs the library and relay built; the Java part uses the jar and shim when
# bindings.mk builds them (CHECK_BUILD has them then).
$(DOCS_RUNNER): tests/docs/run-readme-snippets.sh tests/docs/readme_snippets.py tests/docs/docs.mk \
                $(LIB_SO) $(BUILD)/tigress-relay
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nCC="%s" exec "%s/tests/docs/run-readme-snippets.sh" "%s"\n' \
	    "$(CC)" "$(CURDIR)" "$(abspath $(BUILD))" > $@
	@chmod +x $@

# Every public declaration documents thread-safety, NULL arguments and ownership in a @note.
.PHONY: header-notes-check
CHECK_EXTRA += header-notes-check
header-notes-check:
	@$(or $(PYTHON3),python3) tests/docs/header_notes.py .
