// swift-tools-version: 6.1
import PackageDescription

// Layers of ../shared/DESIGN.md, one module each; dependencies point down only:
// bench -> Compare -> Driver, Servers -> Metrics, Wire.
var targets: [Target] = [
    .target(name: "Wire"),
    .target(
        name: "Metrics",
        dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")]
    ),
    .target(
        name: "Servers",
        dependencies: [
            "Wire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Atomics", package: "swift-atomics"),
        ]
    ),
    .target(name: "Driver", dependencies: ["Wire", "Metrics"]),
    .target(name: "Compare", dependencies: ["Driver", "Metrics", "Servers"]),
    .executableTarget(
        name: "bench",
        dependencies: [
            "Compare", "Driver", "Servers", "Metrics", "Wire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .testTarget(name: "WireTests", dependencies: ["Wire"]),
    .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
    .testTarget(name: "ServersTests", dependencies: ["Servers", "Wire"]),
    .testTarget(name: "DriverTests", dependencies: ["Driver", "Compare", "Servers", "Metrics", "Wire"]),
    .testTarget(name: "CompareTests", dependencies: ["Compare", "Driver", "Metrics"]),
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
