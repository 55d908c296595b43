// libFuzzer's driver, which -sanitize=fuzzer links (compiler-rt's FuzzerInterface.h declares it): Fuzz/Support's
// fuzz() runs it on the target's test.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));

/// Runs libFuzzer with the program's arguments on `test`; its argc and argv are libFuzzer's to change.
static inline int fuzz_main(int argc, char **argv, int (*test)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, test);
}
