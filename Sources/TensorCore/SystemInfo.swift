import CKernels

/// What this process computes with: the CPU, the SIMD level of the element-wise kernels, and the
/// BLAS library, kernel family and threads. `autoencoder info --system` prints it.
public struct SystemInfo: Sendable, Codable, Equatable {
  /// The CPU's brand string.
  public var cpu: String
  /// The best SIMD level the CPU and OS support ("baseline", "avx2", "avx512").
  public var cpuSIMD: String
  /// The SIMD level the element-wise kernels use (the CPU's best unless AUTOENCODERKIT_SIMD lowers it).
  public var kernelSIMD: String
  /// The BLAS library file, or the reason it could not be loaded.
  public var blasLibrary: String
  /// The BLAS library's description of itself.
  public var blasConfiguration: String
  /// The BLAS kernel family ("Haswell", "SkylakeX").
  public var blasCore: String
  /// How the kernel family was chosen.
  public var blasCoreSource: String
  /// The family this CPU's features choose, where OPENBLAS_CORETYPE in the environment made the
  /// library use another (AVX-512 EPYCs have come with OPENBLAS_CORETYPE=Haswell set, which
  /// halves the dense models' product rate); nil otherwise.
  public var blasCoreWithoutOverride: String?
  /// Threads for matrix products and element-wise kernels.
  public var threads: Int
  /// How the threads share the work: data-parallel training steps and products split by
  /// AutoencoderKit over single-threaded BLAS, or products threaded by the library.
  public var productThreading: String

  /// One line on an OPENBLAS_CORETYPE that holds BLAS below this CPU's family, or nil.
  public var blasOverrideAdvice: String? {
    blasCoreWithoutOverride.map {
      "OPENBLAS_CORETYPE=\(blasCore) in the environment holds BLAS to its \(blasCore) kernels; this CPU runs \($0) (unset it to use them)"
    }
  }

  /// The report for this process (loads BLAS if needed).
  public static func current() -> SystemInfo {
    var library: String
    do {
      try BLAS.load()
      library = BLAS.library
    } catch {
      library = "not loaded: \(error)"
    }
    return SystemInfo(
      cpu: String(cString: aek_cpu_brand()), cpuSIMD: String(cString: aek_simd_level_name(aek_cpu_simd_level())),
      kernelSIMD: String(cString: aek_simd_level_name(aek_kernels_level())), blasLibrary: library,
      blasConfiguration: BLAS.configuration, blasCore: BLAS.core, blasCoreSource: BLAS.coreSource,
      blasCoreWithoutOverride: BLAS.coreForCPU.flatMap { $0.lowercased() == BLAS.core.lowercased() || BLAS.core.isEmpty ? nil : $0 },
      threads: Parallel.threads, productThreading: BLAS.splitsProducts
        ? "training steps data-parallel, one shard of each batch per thread; other products split by AutoencoderKit; BLAS single-threaded"
        : "matrix products threaded by the BLAS library")
  }
}

/// The SIMD level of the element-wise kernels.
public enum SIMDLevel: Int, Sendable, CaseIterable {
  case baseline = 0, avx2 = 1, avx512 = 2

  /// The level the kernels use now.
  public static var current: SIMDLevel { SIMDLevel(rawValue: Int(aek_kernels_level().rawValue)) ?? .baseline }
  /// The best level this CPU supports.
  public static var supported: SIMDLevel { SIMDLevel(rawValue: Int(aek_cpu_simd_level().rawValue)) ?? .baseline }

  /// Runs `body` with the kernels at `level` (or the CPU's best, if lower) on this thread and
  /// in the chunks `Parallel` hands to other threads; the rest of the process keeps its level.
  public static func withKernels<Result>(at level: SIMDLevel, _ body: () throws -> Result) rethrows -> Result {
    let previous = aek_kernels_set_thread_level(Int32(level.rawValue))
    defer { aek_kernels_set_thread_level(previous) }
    return try body()
  }

  /// "baseline", "avx2" or "avx512".
  public var name: String { String(cString: aek_simd_level_name(aek_simd_level(rawValue: UInt32(rawValue)))) }
}
