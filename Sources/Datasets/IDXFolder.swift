import FileIO
import Foundation

/// A folder of MNIST-format IDX files: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally gzip'd (`.gz`), as
/// MNIST, Fashion-MNIST and KMNIST ship. Names with a prefix (`emnist-letters-train-images-…`)
/// or `test` for `t10k`, or a `.` before `idx`, are found too.
public struct IDXFolder: Sendable {
  /// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST: the default dataset.
  public static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

  /// The two splits MNIST-format datasets ship.
  public enum Split: String, Sendable {
    case train, test
    var stems: [String] { self == .train ? ["train"] : ["t10k", "test"] }
  }

  /// The folder's path.
  public let path: String

  public init(_ path: String) { self.path = path }

  /// Loads a split's images, and its labels where the folder has them.
  ///
  /// - Throws: `FileError` naming the folder (missing, no such split) or the file (not IDX,
  ///   truncated, image and label counts differ).
  public func load(_ split: Split) throws -> ImageSet {
    let imagesPath = try file(split, kind: "images", rank: 3)
    guard let imagesPath else {
      throw FileError(path, "no \(split.rawValue) images (looked for \(split.stems[0])-images-idx3-ubyte or .gz)")
    }
    let images = try IDX.read(imagesPath, rank: 3)
    var labels: [UInt8]?
    if let labelsPath = try file(split, kind: "labels", rank: 1) {
      let array = try IDX.read(labelsPath, rank: 1)
      guard array.shape[0] == images.shape[0] else {
        throw FileError(labelsPath, "\(array.shape[0]) labels for \(images.shape[0]) images in \(imagesPath)")
      }
      labels = array.bytes
    }
    guard images.shape[0] > 0, images.shape[1] > 0, images.shape[2] > 0 else {
      throw FileError(imagesPath, "holds no images (shape \(images.shape))")
    }
    return ImageSet(storage: .bytes(images.bytes), exampleShape: Array(images.shape.dropFirst()), labels: labels, source: imagesPath)
  }

  /// The one file of a split and kind, or nil; two candidates are an error.
  func file(_ split: Split, kind: String, rank: Int) throws -> String? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError(path, "no such folder") }
    guard isDirectory.boolValue else { throw FileError(path, "is a file; --data takes the folder holding the IDX files") }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    let matches = names.filter { name in
      let lower = name.lowercased()
      return split.stems.contains { stem in
        lower.contains("\(stem)-\(kind)-idx\(rank)-ubyte") || lower.contains("\(stem)-\(kind).idx\(rank)-ubyte")
      } && (lower.hasSuffix("ubyte") || lower.hasSuffix("ubyte.gz"))
    }.sorted()
    // A plain file and its .gz twin are the same data: prefer the plain one.
    let distinct = matches.filter { !$0.hasSuffix(".gz") || !matches.contains(String($0.dropLast(3))) }
    guard distinct.count <= 1 else {
      throw FileError(path, "more than one \(split.rawValue) \(kind) file: \(distinct.joined(separator: ", "))")
    }
    return distinct.first.map { "\(path)/\($0)" }
  }
}
