import CKernels

/// The BLAS library behind every matrix product: OpenBLAS on Linux (loaded at first use, with its
/// kernel family chosen from the CPU's features), Accelerate on macOS.
public enum BLAS {
  /// Why the library could not be loaded.
  public struct LoadError: Error, CustomStringConvertible {
    /// A one-line reason, naming the library or variable at fault.
    public let description: String
  }

  /// Loads the library now (it loads by itself at the first matrix product otherwise), so a
  /// missing or unusable library is reported as an error instead of stopping the process.
  public static func load() throws {
    var message = [CChar](repeating: 0, count: 512)
    if aek_blas_load(&message, message.count) != 0 {
      throw LoadError(description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
  }

  static func ensureLoaded() {
    do { try load() } catch { fatalError("BLAS: \(error)") }
  }

  /// The loaded library's file name ("libopenblas.so.0") or "Accelerate".
  public static var library: String { String(cString: aek_blas_library()) }
  /// The library's own description of its version and build.
  public static var configuration: String { String(cString: aek_blas_config()) }
  /// The kernel family in use ("Haswell", "SkylakeX"; empty where the library does not say).
  public static var core: String { String(cString: aek_blas_core()) }
  /// How the kernel family was chosen.
  public static var coreSource: String { String(cString: aek_blas_core_source()) }

  /// The kernel family this CPU's features choose ("SkylakeX" with AVX-512, "Haswell" with
  /// AVX2+FMA), which `core` is unless OPENBLAS_CORETYPE in the environment names another; nil
  /// where the library chooses for itself (not x86-64 Linux).
  public static var coreForCPU: String? { aek_blas_core_for_cpu().map { String(cString: $0) } }

  /// Whether the loaded kernels are an AVX-512 family (OpenBLAS's SkylakeX, Cooperlake,
  /// SapphireRapids), which run skinny products fast enough to beat the direct convolution
  /// kernels on layers of 32 channels (Tensor+DirectConvolution.swift). Loads the library first, so
  /// every convolution of a run makes the same choice; false where it cannot be loaded.
  public static let hasAVX512Kernels: Bool = {
    guard (try? load()) != nil else { return false }
    return ["skylakex", "cooperlake", "sapphirerapids"].contains(core.lowercased())
  }()

  /// The number of threads BLAS itself uses per call: 1 for OpenBLAS, whose products TensorCore
  /// splits across `Parallel.threads`; 0 where the library does not say (Accelerate).
  public static var internalThreads: Int { Int(aek_blas_threads()) }

  /// Whether TensorCore splits matrix products across `Parallel.threads` (OpenBLAS, loaded
  /// single-threaded) rather than leaving the threading to the library (Accelerate).
  public static var splitsProducts: Bool { aek_blas_split_products() == 1 }
}
