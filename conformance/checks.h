/* conformance/checks.h: the check functions (checks_*.c) and their table (checks.c). */
#ifndef TIGRESS_CONFORMANCE_CHECKS_H
#define TIGRESS_CONFORMANCE_CHECKS_H

#include <time.h>

#include "conformance.h"

#define CHECK_FNS(X)                                                                          \
    X(R1) X(R3) X(R4) X(R5) X(R6) X(R7) X(R8) X(R9) X(R10) X(R11) X(R12) X(R13) X(R14)       \
    X(R15) X(R16) X(R17) X(R18) X(R19) X(R20) X(R21) X(R22) X(R23) X(R24) X(R25) X(R26)     \
    X(R27) X(R28) X(R29) X(R30) X(R31) X(R32) X(R33) X(R34) X(R39) X(R40) X(R41) X(R42)     \
    X(X_longpoll) X(X_preview_escaping) X(X_push_advertised)

#define DECLARE_CHECK(name) int check_##name(conf_ctx *c);
CHECK_FNS(DECLARE_CHECK)
#undef DECLARE_CHECK

#endif
