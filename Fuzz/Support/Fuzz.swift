import CFuzzer
import Glibc

/// The target's test, which libFuzzer calls through ``LLVMFuzzerTestOneInput(_:_:)``: set once by ``fuzz(_:)``
/// before libFuzzer starts, read only by libFuzzer's one thread of tests.
nonisolated(unsafe) private var target: (UnsafeRawBufferPointer) -> Void = { _ in }

/// The entry point libFuzzer's driver looks for: one input, whose bytes live for the call. A failed check in `target`
/// traps, which libFuzzer reports as a crash and keeps the input of.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Runs libFuzzer on `test` with the program's arguments (`-max_total_time=60`, corpus directories, ...) and exits
/// with its status. A fuzz target's main is this one call: SwiftPM gives every executable a main of its own, so
/// libFuzzer's cannot be used.
public func fuzz(_ test: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    target = test
    exit(fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, LLVMFuzzerTestOneInput))
}
