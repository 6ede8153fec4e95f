/*
 * Facts for the clang static analyzer (clang-tidy's clang-analyzer-* checks), which looks at one
 * file at a time and so cannot see across files what an internal helper returns.
 * tests/harness/lint.sh force-includes this header into lib/ files under clang-tidy only; the
 * compiler never sees it.
 *
 * tigress__fail(), tigress__error_set() (lib/error.c) and tigress__client_fail() (lib/client.c)
 * record an error and return their `code` argument. Without this the analyzer assumes `return tigress__fail(TIGRESS_E_URL, ...)`
 * may return TIGRESS_OK and reports impossible paths through the caller's success branch.
 * The macros below keep the real call (so format checking and side effects remain) and make
 * the returned value visible. `code` is evaluated twice: call sites pass constants or a local.
 */
#ifndef TIGRESS_HARNESS_ANALYZER_MODEL_H
#define TIGRESS_HARNESS_ANALYZER_MODEL_H
#ifdef __clang_analyzer__
#include "client_internal.h" /* declares them all (and includes internal.h) */
#ifndef TIGRESS_HARNESS_MODEL_SKIP_ERROR /* the file defining them: lib/error.c */
#define tigress__fail(code, ...) (tigress__fail((code), __VA_ARGS__), (code))
#define tigress__error_set(slot, code, ...) (tigress__error_set((slot), (code), __VA_ARGS__), (code))
#endif
#ifndef TIGRESS_HARNESS_MODEL_SKIP_CLIENT /* the file defining it: lib/client.c */
#define tigress__client_fail(c, code, ...) \
    (tigress__client_fail((c), (code), __VA_ARGS__), (code))
#endif
#endif
#endif
