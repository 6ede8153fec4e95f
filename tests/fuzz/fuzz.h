/* The libFuzzer entry point each tests/fuzz/fuzz_*.c target defines. */
#ifndef TIGRESS_FUZZ_H
#define TIGRESS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* TIGRESS_FUZZ_H */
