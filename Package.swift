// swift-tools-version:6.0
//
// AutoencoderKit: train and use autoencoders on the CPU.
//
// Modules, in the one direction data and dependencies flow (Docs/Layout.md says more):
//   CKernels, CZlib (C) -> FileIO -> ImageFiles, Datasets (readers) -> TensorCore -> Autodiff -> NN
//   -> Optimizers -> Training -> ModelFiles -> Codec (with EntropyCoding), Embeddings -> AutoencoderKit (umbrella)
//   -> autoencoder (CLI)
//
// No target uses unsafeFlags, so the package can be a dependency of other packages. Fast code on
// any x86-64 comes from runtime dispatch inside CKernels, not from build flags.
import PackageDescription

let package = Package(
  name: "AutoencoderKit",
  platforms: [.macOS(.v13)],
  // MARK: - Public API
  products: [
    .library(name: "AutoencoderKit", targets: ["AutoencoderKit"]),
    .executable(name: "autoencoder", targets: ["autoencoder"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // MARK: - Implementation details
    // C: CPU feature detection, the BLAS loader (OpenBLAS via dlopen on Linux, Accelerate on
    // macOS) and the element-wise kernels, each compiled for baseline, AVX2 and AVX-512.
    .target(
      name: "CKernels",
      // The kernels are optimized (vectorized) in debug builds too, so `swift test` checks the code
      // that release builds run, and debug runs are not slowed by -O0 arithmetic.
      cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))],
      linkerSettings: [
        .linkedLibrary("dl", .when(platforms: [.linux])),
        .linkedLibrary("m", .when(platforms: [.linux])),
        .linkedFramework("Accelerate", .when(platforms: [.macOS])),
      ]),
    .systemLibrary(
      name: "CZlib",
      providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

    // Files: reading with errors that name the file; atomic writes (temporary file, then rename).
    .target(name: "FileIO", dependencies: ["CZlib"]),
    // Readers: files to plain pixel buffers. They know nothing of tensors.
    .target(name: "ImageFiles", dependencies: ["FileIO"]),
    .target(name: "Datasets", dependencies: ["FileIO", "ImageFiles"]),

    // The numeric stack.
    .target(name: "TensorCore", dependencies: ["CKernels", "FileIO"]),
    .target(name: "Autodiff", dependencies: ["TensorCore"]),
    .target(name: "NN", dependencies: ["Autodiff"]),
    .target(name: "Optimizers", dependencies: ["NN"]),
    .target(name: "Training", dependencies: ["Optimizers", "Datasets"]),
    .target(name: "ModelFiles", dependencies: ["Training", "EntropyCoding"]),
    // Entropy coding (rANS over integer probability tables); depends on nothing.
    .target(name: "EntropyCoding"),
    // Images to .aec files and back through a model's codes.
    .target(name: "Codec", dependencies: ["ModelFiles", "EntropyCoding"]),
    // What codes are for: PCA, t-SNE, nearest-neighbour and linear-probe accuracy, trustworthiness.
    .target(name: "Embeddings", dependencies: ["CKernels", "TensorCore"]),

    // The umbrella module and the thin command-line tool.
    .target(name: "AutoencoderKit", dependencies: ["ModelFiles", "ImageFiles", "Embeddings", "Codec"]),
    .executableTarget(
      name: "autoencoder",
      dependencies: [
        "AutoencoderKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "TestSupport", dependencies: ["NN", "Datasets"], path: "Tests/TestSupport"),
    .testTarget(name: "CKernelsTests", dependencies: ["CKernels", "TensorCore", "TestSupport"]),
    .testTarget(name: "FileIOTests", dependencies: ["FileIO", "TestSupport"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "ImageFilesTests", dependencies: ["ImageFiles", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
    .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "TestSupport"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
    .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "TestSupport"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"]),
    .testTarget(name: "EntropyCodingTests", dependencies: ["EntropyCoding"]),
    .testTarget(name: "CodecTests", dependencies: ["Codec", "TestSupport"]),
    .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings", "TestSupport"]),
    .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "AutoencoderKitTests", dependencies: ["AutoencoderKit", "TestSupport"]),
    .testTarget(name: "autoencoderTests", dependencies: ["autoencoder", "ModelFiles", "ImageFiles", "TestSupport"]),
  ]
)
