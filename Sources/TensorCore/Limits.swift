import FileIO
import Foundation

/// The largest sizes AutoencoderKit builds, so that a size read from a file, an option or a spec
/// is checked before any arithmetic can overflow or any memory is asked for.
///
/// Every size (units, filters, kernel, stride, image side, reshape dimension) is at most
/// `maximumDimension`; products of sizes are computed with `checkedProduct` and compared with
/// `maximumValuesPerExample` or `maximumParameters`; and the memory a model needs is compared with
/// `MemoryBudget` before it is allocated.
public enum Limits {
  /// The largest size of any one dimension: 2^24 = 16,777,216.
  public static let maximumDimension = 1 << 24
  /// The most values one example may have at the input or after any layer: 2^28 = 268,435,456
  /// (1 GiB of floats per example).
  public static let maximumValuesPerExample = 1 << 28
  /// The most trainable scalars a model may have: 2^31 - 1 (BLAS counts in 32-bit integers).
  public static let maximumParameters = Int(Int32.max)
  /// The most threads a process computes with.
  public static let maximumThreads = 256
}

/// How much memory a run may ask for: by default three quarters of this machine's physical
/// memory; the environment variable `AUTOENCODERKIT_MEMORY_BUDGET` (bytes, or with a `K`, `M`, `G`
/// or `T` suffix, as `2G`) sets it. Models whose estimated needs exceed it are refused before
/// anything is allocated, with the figures in the error.
public struct MemoryBudget: Equatable, Sendable, CustomStringConvertible {
  /// The budget in bytes.
  public var bytes: Int
  /// Where the figure comes from, for messages.
  public var source: String

  public init(bytes: Int, source: String) {
    self.bytes = bytes
    self.source = source
  }

  /// The budget for this process.
  public static var current: MemoryBudget {
    if let text = ProcessInfo.processInfo.environment["AUTOENCODERKIT_MEMORY_BUDGET"], let bytes = parseBytes(text) {
      return MemoryBudget(bytes: bytes, source: "AUTOENCODERKIT_MEMORY_BUDGET=\(text)")
    }
    let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    return MemoryBudget(bytes: physical / 4 * 3,
                        source: "3/4 of this machine's \(formatBytes(physical)); AUTOENCODERKIT_MEMORY_BUDGET sets it")
  }

  /// Throws `MemoryBudget.Exceeded` when `bytes` (what `purpose` needs) is more than the budget.
  public func check(_ bytes: Int, for purpose: String) throws {
    guard bytes > self.bytes else { return }
    throw Exceeded(description: "\(purpose) needs about \(formatBytes(bytes)), more than the memory budget of \(self)")
  }

  /// `18.0 GB (3/4 of this machine's 24.0 GB; ...)`.
  public var description: String { "\(formatBytes(bytes)) (\(source))" }

  /// A need larger than the budget.
  public struct Exceeded: Error, CustomStringConvertible {
    public let description: String
  }

  /// `2G`, `512M`, `1000000`: bytes, or nil.
  static func parseBytes(_ text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var digits = Substring(trimmed)
    var scale = 1
    if let last = digits.last, let unit = units[last] {
      scale = unit
      digits = digits.dropLast()
    }
    if digits.hasSuffix("I") || digits.hasSuffix("B") { return nil }
    guard let value = Double(digits), value.isFinite, value > 0, value * Double(scale) < 0x1p62 else { return nil }
    return Int(value * Double(scale))
  }
}
