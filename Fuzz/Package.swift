// swift-tools-version:6.0
//
// Coverage-guided fuzzing of every parser and metadata layer with libFuzzer (the Swift
// toolchain's `-sanitize=fuzzer`), one harness per input format:
//
//   fuzz-idx            IDX files, raw or gzip'd (IDX.decode)
//   fuzz-png            PNG files (PNG.decode, then re-encoded and decoded again)
//   fuzz-npy            NumPy .npy files (NPY.decode)
//   fuzz-npz            NumPy .npz archives (NPZ.decode: the ZIP reader, inflation, the NPY members)
//   fuzz-csv            CSV tables (CSV.decode, CSV.parseTable on 1 and 3 threads, a label column)
//   fuzz-spec           architecture spec strings (Architecture(spec:)), small ones built and run
//   fuzz-architecture   architecture JSON files and metadata (Architecture(json:), Architecture Codable)
//   fuzz-aec            compressed image and text files (CompressedFile and CompressedText.decode, re-encoded; the rANS streams decoded)
//   fuzz-model          whole model files: safetensors, architecture, training and history metadata
//                       (ModelFile.decode), then inference, metrics, figures and codes
//
// A separate package, so the library keeps no unsafe flags: `Fuzz/run` builds it with
// `-sanitize=fuzzer,address` and runs each harness on its corpus (Fuzz/corpus/<name>).
import PackageDescription

let harnesses = ["fuzz-idx", "fuzz-png", "fuzz-npy", "fuzz-npz", "fuzz-csv", "fuzz-spec", "fuzz-architecture", "fuzz-model", "fuzz-aec"]

let package = Package(
  name: "AutoencoderKitFuzz",
  dependencies: [.package(name: "AutoencoderKit", path: "..")],
  targets: [
    .target(name: "FuzzDriver", dependencies: [.product(name: "AutoencoderKit", package: "AutoencoderKit")])
  ] + harnesses.map { name in
    .executableTarget(
      name: name, dependencies: ["FuzzDriver"],
      // Debian's gold linker crashes on these binaries; the toolchain's lld links them.
      linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
  }
)
