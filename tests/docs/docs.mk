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

# make sanitize (SAN=1) leaves the suite out and says so before the suites: it compiles the C
# snippets with plain cc and runs the Python and Java ones in uninstrumented interpreters, and
# against the ASan library none of them starts. It checks documentation; the code it drives runs
# instrumented in the CLI, binding and integration suites.
ifeq ($(SAN),1)
CHECK_EXTRA  += docs-san-skip
.PHONY: docs-san-skip
docs-san-skip:
	@echo "sanitize: skipped $(DOCS_RUNNER): README snippets are built and run by uninstrumented" \
	    "cc/python3/java, which cannot load the ASan library; their code runs under ASan in the" \
	    "CLI, bindings and integration suites"
else
CHECK_SUITES += $(DOCS_RUNNER)
endif

# The runner needs the library and relay built; the Java part uses the jar and shim when
# bindings.mk builds them (CHECK_BUILD has them then).
$(DOCS_RUNNER): tests/docs/run-readme-snippets.sh tests/docs/readme_snippets.py tests/docs/docs.mk \
                $(LIB_SO) $(BUILD)/tigress-relay
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nCC="%s" exec "%s/tests/docs/run-readme-snippets.sh" "%s"\n' \
	    "$(CC)" "$(CURDIR)" "$(abspath $(BUILD))" > $@
	@chmod +x $@

# Every public declaration documents thread-safety, NULL arguments and ownership in a @note:
# its own, or that of the Doxygen group (@name ... @note ... @{ ... @}) it lies in. The checker
# first checks itself on embedded sample headers.
.PHONY: header-notes-check
CHECK_EXTRA += header-notes-check
header-notes-check:
	@$(or $(PYTHON3),python3) tests/docs/header_notes.py --self-test
	@$(or $(PYTHON3),python3) tests/docs/header_notes.py .

# Citations resolve inside the repository (tests/docs/check-citations.sh): requirement tags the
# tests cite have a row in docs/requirements.md, no code cites a document the repository does not
# contain, and "docs/protocol.md §N / DN" citations name existing headings.
# Suite: $(BUILD)/tests/docs/check-citations (prints "N passed, N failed").
CITATIONS_RUNNER := $(BUILD)/tests/docs/check-citations

CHECK_BUILD  += $(CITATIONS_RUNNER)
CHECK_SUITES += $(CITATIONS_RUNNER)

$(CITATIONS_RUNNER): tests/docs/check-citations.sh tests/docs/docs.mk
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec "%s/tests/docs/check-citations.sh" "%s"\n' "$(CURDIR)" "$(CURDIR)" > $@
	@chmod +x $@
