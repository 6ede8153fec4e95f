/* Umbrella for the CTigress module: the public libtigress API and nothing else. */
#ifndef TIGRESS_SWIFT_SHIM_H
#define TIGRESS_SWIFT_SHIM_H
#include <tigress.h>
#endif
