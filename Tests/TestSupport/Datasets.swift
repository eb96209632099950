import Foundation

/// Where the real datasets are on a machine set up by the README (or CI).
public enum RealData {
  /// Fashion-MNIST from Debian's dataset-fashion-mnist package.
  public static let fashionMNIST = "/usr/share/datasets/fashion-mnist"
  /// The official MNIST test set, in ../shared beside the repository.
  public static var mnistTest: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/datasets/mnist").standardized.path
  }

  public static var hasFashionMNIST: Bool { FileManager.default.fileExists(atPath: fashionMNIST + "/train-images-idx3-ubyte.gz") }
  public static var hasMNISTTest: Bool { FileManager.default.fileExists(atPath: mnistTest + "/t10k-images-idx3-ubyte.gz") }
}
