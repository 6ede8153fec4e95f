// swift-tools-version:6.0
// Swift binding of libtigress (Swift 6 language mode, strict concurrency).
//
// The C library is not rebuilt here: the CTigress system-library target finds libtigress
// through pkg-config (libtigress.pc). In a source checkout, `make swift-build` (or
// bindings/swift/run-tests.sh) writes a libtigress.pc for the in-tree build/ and include/ and
// runs `swift build` with PKG_CONFIG_PATH pointing at it (see bindings/README.md). On iOS,
// link libtigress.a or an xcframework built from it instead.
import PackageDescription

let package = Package(
    name: "Tigress",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Tigress", targets: ["Tigress"]),
        .executable(name: "TigressExample", targets: ["TigressExample"]),
    ],
    targets: [
        .systemLibrary(name: "CTigress", path: "Sources/CTigress", pkgConfig: "libtigress",
                       providers: [.apt(["libtigress-dev"])]),
        .target(name: "Tigress", dependencies: ["CTigress"], path: "Sources/Tigress"),
        .executableTarget(name: "TigressExample", dependencies: ["Tigress"],
                          path: "Sources/Example"),
        .testTarget(name: "TigressTests", dependencies: ["Tigress"], path: "Tests/TigressTests"),
    ],
    swiftLanguageModes: [.v6]
)
