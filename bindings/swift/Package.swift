// swift-tools-version:5.7
// Swift binding of libtigress. The C library is not rebuilt here: the CTigress system-library
// target finds the installed libtigress through pkg-config (libtigress.pc). For a source
// checkout: make && swift build -Xcc -I../../include -Xlinker -L../../build
// (see bindings/README.md; on iOS link libtigress.a / an xcframework instead).
import PackageDescription

let package = Package(
    name: "Tigress",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Tigress", targets: ["Tigress"]),
    ],
    targets: [
        .systemLibrary(name: "CTigress", path: "Sources/CTigress", pkgConfig: "libtigress",
                       providers: [.apt(["libtigress-dev"])]),
        .target(name: "Tigress", dependencies: ["CTigress"], path: "Sources/Tigress"),
        .executableTarget(name: "TigressExample", dependencies: ["Tigress"],
                          path: "Sources/Example"),
    ]
)
