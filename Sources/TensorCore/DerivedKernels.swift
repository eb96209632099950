import Foundation

/// Kernels derived from a weight (its Winograd transforms, its flipped transpose), remembered
/// while `Tensor.rememberingDerivedKernels(_:)` runs.
///
/// A training step's pieces all convolve with the same weights, and each piece derived them again
/// for its forward pass and again for its input gradient: the codec's step (8 pieces) made 64
/// Winograd kernel transforms and 16 flips, where 4 and 1 do. A derived kernel is a pure function
/// of its weight's elements and shape, so it is the same bits whichever piece derives it first. An
/// entry holds its weight's storage, so the storage's identity names it for the entry's life, and
/// an in-place update of that weight (an optimizer's) copies first rather than change what the
/// entry was derived from.
enum DerivedKernels {
  enum Kind: Hashable {
    case winogradF23, winogradF23Transposed, polyphase, polyphaseTransposed, flippedTransposed
  }

  private struct Key: Hashable {
    let storage: ObjectIdentifier, shape: [Int], kind: Kind
  }

  /// The most entries kept; past it they are dropped (a step of the codec makes 9).
  static let capacity = 256

  private static let lock = NSLock()
  nonisolated(unsafe) private static var scopes = 0
  nonisolated(unsafe) private static var entries: [Key: (weight: TensorStorage, derived: Tensor)] = [:]

  /// `derive(weight)`, remembered while a scope is open.
  static func of(_ weight: Tensor, _ kind: Kind, derive: (Tensor) -> Tensor) -> Tensor {
    let key = Key(storage: ObjectIdentifier(weight.storage), shape: weight.shape, kind: kind)
    let (open, remembered) = lock.withLock { (scopes > 0, entries[key]?.derived) }
    if let remembered { return remembered }
    let derived = derive(weight)
    guard open else { return derived }
    return lock.withLock {
      if let first = entries[key] { return first.derived }  // another thread derived it meanwhile: the same bits
      if scopes > 0 {
        if entries.count >= capacity { entries.removeAll() }
        entries[key] = (weight.storage, derived)
      }
      return derived
    }
  }

  static func open() { lock.withLock { scopes += 1 } }

  static func close() {
    lock.withLock {
      scopes -= 1
      if scopes == 0 { entries.removeAll() }
    }
  }
}

extension Tensor {
  /// Runs `body` with kernels derived from weights remembered: call it around work that convolves
  /// with weights that do not change meanwhile (a training step's pieces), not around their update.
  public static func rememberingDerivedKernels<R>(_ body: () throws -> R) rethrows -> R {
    DerivedKernels.open()
    defer { DerivedKernels.close() }
    return try body()
  }
}
