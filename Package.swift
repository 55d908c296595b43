// swift-tools-version: 6.1
import PackageDescription

// Layers of docs/DESIGN.md, one module each; dependencies point down only:
// bench -> Compare -> Driver, Servers -> Metrics, Wire, SystemCalls.
let referenceWarnings: [CSetting] = [.unsafeFlags(["-Wall", "-Wextra"])]
var targets: [Target] = [
    // perf_event_open(2), which counts a server's system calls: the kernel's own headers, no library.
    .systemLibrary(name: "CPerfEvent"),
    .target(name: "SystemCalls", dependencies: ["CPerfEvent"]),
    // HTTP/2's framing, HPACK and flow control: the system's libnghttp2, driven through memory as curl and h2load do.
    .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
    .target(name: "Wire", dependencies: ["CNGHTTP2"]),
    // One TLS engine for every model and the driver: the system's OpenSSL, driven through memory BIOs.
    .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    .target(name: "TLS", dependencies: ["COpenSSL", "Wire"]),
    // HdrHistogram's interval logs deflate each histogram: the system's zlib, as every HdrHistogram port uses.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // The io_uring model's rings: the system's liburing.
    .systemLibrary(name: "CURing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
    .target(
        name: "Metrics",
        dependencies: ["CZlib", .product(name: "Histogram", package: "hdrhistogram-swift")]
    ),
    .target(
        name: "Servers",
        dependencies: [
            "Wire", "SystemCalls", "TLS", "CURing",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Atomics", package: "swift-atomics"),
        ]
    ),
    .target(name: "Driver", dependencies: ["Wire", "Metrics", "SystemCalls", "TLS"]),
    .target(name: "Compare", dependencies: ["Driver", "Metrics", "Servers", "SystemCalls", "TLS", "Wire"]),
    .executableTarget(
        name: "bench",
        dependencies: [
            "Compare", "Driver", "Servers", "Metrics", "Wire", "SystemCalls", "TLS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    // The reference server and client in C, the yardstick the models and the driver are measured against: built
    // with the rest, so that every build has them beside bench (.build/release/refserver, refclient). A release
    // build compiles C with -O2; the warnings keep them clean.
    .target(name: "refcommon", path: "Benchmarks/Reference/common", cSettings: referenceWarnings),
    .executableTarget(
        name: "refserver", dependencies: ["refcommon"], path: "Benchmarks/Reference/refserver",
        cSettings: referenceWarnings),
    .executableTarget(
        name: "refclient", dependencies: ["refcommon"], path: "Benchmarks/Reference/refclient",
        cSettings: referenceWarnings),
    .testTarget(name: "WireTests", dependencies: ["Wire"]),
    .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
    .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls"]),
    .testTarget(name: "TLSTests", dependencies: ["TLS", "Wire"]),
    .testTarget(name: "ServersTests", dependencies: ["Servers", "Wire", "SystemCalls", "TLS"]),
    .testTarget(name: "DriverTests", dependencies: ["Driver", "Servers", "Metrics", "Wire", "SystemCalls"]),
    .testTarget(name: "CompareTests", dependencies: ["Compare", "Driver", "Metrics", "Servers", "SystemCalls", "TLS"]),
]

// The loopback floor in Google Benchmark (C++) needs libbenchmark-dev, which a plain machine lacks, so it
// joins the package only when asked for, as Hummingbird does with its benchmarks:
//   BENCH_FLOOR=1 swift build -c release --product loopback-floor   (.ci/run does this)
if Context.environment["BENCH_FLOOR"] != nil {
    targets.append(
        .executableTarget(
            name: "loopback-floor",
            path: "Benchmarks/LoopbackFloor",
            linkerSettings: [.linkedLibrary("benchmark"), .linkedLibrary("pthread")]
        )
    )
}

// libFuzzer targets (Fuzz/, docs/fuzz.md), one executable per parser, in the package only when Fuzz/run.sh asks, as
// it builds every module with -sanitize=fuzzer,address; each reaches its parser's internals by @testable import.
if Context.environment["BENCH_FUZZ"] != nil {
    targets.append(.systemLibrary(name: "CFuzzer", path: "Fuzz/CFuzzer"))
    targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "Fuzz/Support"))
    let fuzzed: [(name: String, module: Target.Dependency)] = [
        ("http-request", "Wire"), ("http-response", "Wire"), ("http-fields", "Wire"), ("sessions", "Wire"),
        ("http-roundtrip", "Driver"), ("hlog", "Metrics"), ("hlog-roundtrip", "Metrics"), ("target-url", "Driver"),
        ("options", "Driver"),
    ]
    for target in fuzzed {
        targets.append(
            .executableTarget(
                name: "fuzz-\(target.name)", dependencies: ["FuzzSupport", target.module], path: "Fuzz/Targets",
                sources: ["\(target.name).swift"]))
    }
}

let package = Package(
    name: "bench",
    products: [.executable(name: "bench", targets: ["bench"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: targets,
    cxxLanguageStandard: .cxx17
)
