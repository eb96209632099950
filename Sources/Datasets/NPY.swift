import FileIO
import Foundation

/// NumPy's `.npy` format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
/// float32 arrays out; float32, float64, integer and bool arrays in, C order, little-endian.
public enum NPY {
  /// Writes a float32 array of `shape` to `path` atomically.
  public static func write(_ values: [Float], shape: [Int], to path: String) throws {
    precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8)
    var data = Data(bytes)
    values.withUnsafeBytes { data.append(contentsOf: $0) }  // little-endian hosts only (x86-64, arm64)
    try FileIO.writeAtomically(data, to: path)
  }

  /// Reads an array from `path` as floats, with its shape.
  ///
  /// - Throws: `FileError` naming the file: not NPY, an unsupported dtype or order, truncated.
  public static func read(_ path: String) throws -> (values: [Float], shape: [Int]) {
    let data = try FileIO.read(path)
    do {
      return try decode([UInt8](data))
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// What is wrong with an NPY file's bytes.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
  }

  /// The array in an NPY file's bytes, as floats, with its shape.
  ///
  /// - Throws: `NPY.Problem`: not NPY, an unsupported dtype or order, a shape whose sizes
  ///   overflow or disagree with the data.
  public static func decode(_ bytes: [UInt8]) throws -> (values: [Float], shape: [Int]) {
    let contents = try decodeContents(bytes)
    switch contents.elements {
    case .bytes(let bytes): return (bytes.map(Float.init), contents.shape)
    case .floats(let values): return (values, contents.shape)
    case .mapped: preconditionFailure("decode never maps")
    }
  }

  /// An array's shape and elements: uint8 arrays stay bytes (images: scaled by 1/255 when used),
  /// every other type becomes floats.
  public struct Contents: Sendable {
    public var shape: [Int]
    public var elements: ImageSet.Storage
  }

  /// Reads the array in `path`, keeping uint8 arrays as bytes.
  ///
  /// - Throws: `FileError` naming the file (see `decode`).
  /// Arrays in files larger than `mappingThreshold` bytes are not read into memory: their examples
  /// are read from the mapped file as they are used (`ImageSet.Storage.mapped`).
  public static func readContents(_ path: String) throws -> Contents {
    do {
      let file = try FileIO.MappedFile(path)
      if file.bytes.count > mappingThreshold {
        let layout = try self.layout(file.bytes)
        return Contents(shape: layout.shape, elements: .mapped(MappedArray(file: file, offset: layout.start, shape: layout.shape, type: layout.type)))
      }
      return try decodeContents(Array(file.bytes))
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// The array in an NPY file's bytes (see `decode`), uint8 kept as bytes.
  public static func decodeContents(_ bytes: [UInt8]) throws -> Contents {
    let (shape, type, start, count) = try bytes.withUnsafeBytes { try layout($0) }
    if type == .uint8 { return Contents(shape: shape, elements: .bytes(Array(bytes[start...]))) }
    let values: [Float] = bytes[start...].withUnsafeBytes { raw in
      [Float](unsafeUninitializedCapacity: count) { out, initialized in
        for index in 0..<count { out[index] = type.load(raw, index) }
        initialized = count
      }
    }
    return Contents(shape: shape, elements: .floats(values))
  }

  /// Files larger than this are mapped, not read: a quarter of the machine's memory, or
  /// `AUTOENCODERKIT_MAP_THRESHOLD` bytes.
  public static var mappingThreshold: Int {
    if let text = ProcessInfo.processInfo.environment["AUTOENCODERKIT_MAP_THRESHOLD"], let bytes = Int(text), bytes >= 0 { return bytes }
    return Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)
  }

  /// Where an NPY file's array lies: its shape, element type, first data byte and element count.
  static func layout(_ bytes: UnsafeRawBufferPointer) throws -> (shape: [Int], type: ElementType, start: Int, count: Int) {
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
      throw Problem(description: "not an NPY file (bad magic string)")
    }
    let major = bytes[6]
    let (lengthSize, headerStart) = major == 1 ? (2, 10) : (4, 12)
    guard [1, 2, 3].contains(major) else { throw Problem(description: "unsupported NPY version \(major)") }
    guard bytes.count >= headerStart else { throw Problem(description: "truncated: \(bytes.count) bytes, shorter than the header") }
    let headerLength = (0..<lengthSize).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
    guard headerStart + headerLength <= bytes.count else { throw Problem(description: "truncated: the header runs past the end of the file") }
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    guard let descr = field("descr", in: header), let order = field("fortran_order", in: header), let shapeText = field("shape", in: header) else {
      throw Problem(description: "corrupt header: \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    guard order == "False" else { throw Problem(description: "Fortran-ordered arrays are not supported; save with np.ascontiguousarray") }
    let dimensions = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() ")).split(separator: ",")
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    let shape = dimensions.compactMap { Int($0) }
    guard shape.count == dimensions.count, shape.allSatisfy({ $0 >= 0 }) else { throw Problem(description: "corrupt shape \(shapeText)") }
    guard let type = ElementType(descr: descr) else {
      throw Problem(description: "dtype \(descr) is not supported (float32, float64, little-endian integers, bool)")
    }
    let start = headerStart + headerLength
    guard let count = checkedProduct(shape), let needed = checkedProduct([count, type.size]) else {
      throw Problem(description: "corrupt: shape \(shape) holds more values than any file can")
    }
    guard bytes.count - start == needed else {
      throw Problem(description: "\(bytes.count - start < needed ? "truncated" : "corrupt"): shape \(shape) of \(descr) needs \(needed) bytes of data, the file has \(bytes.count - start)")
    }
    return (shape, type, start, count)
  }

  /// The element types read: floats, little-endian integers and bools, all as Float.
  enum ElementType {
    case float32, float64, uint8, int8, int16, uint16, int32, uint32, int64, uint64

    init?(descr: String) {
      let table: [String: ElementType] = ["<f4": .float32, "<f8": .float64, "|u1": .uint8, "<u1": .uint8, "|b1": .uint8, "|i1": .int8, "<i1": .int8,
                                          "<i2": .int16, "<u2": .uint16, "<i4": .int32, "<u4": .uint32, "<i8": .int64, "<u8": .uint64]
      guard let type = table[descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))] else { return nil }
      self = type
    }

    var size: Int {
      switch self {
      case .uint8, .int8: 1
      case .int16, .uint16: 2
      case .float32, .int32, .uint32: 4
      case .float64, .int64, .uint64: 8
      }
    }

    @inline(__always)
    func load(_ raw: UnsafeRawBufferPointer, _ index: Int) -> Float {
      switch self {
      case .float32: raw.loadUnaligned(fromByteOffset: 4 * index, as: Float.self)
      case .float64: Float(raw.loadUnaligned(fromByteOffset: 8 * index, as: Double.self))
      case .uint8: Float(raw[index])
      case .int8: Float(Int8(bitPattern: raw[index]))
      case .int16: Float(raw.loadUnaligned(fromByteOffset: 2 * index, as: Int16.self))
      case .uint16: Float(raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
      case .int32: Float(raw.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self))
      case .uint32: Float(raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
      case .int64: Float(raw.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self))
      case .uint64: Float(raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
      }
    }
  }

  /// The text after `'key':` up to the next top-level comma, from a header dictionary.
  static func field(_ key: String, in header: String) -> String? {
    guard let keyRange = header.range(of: "'\(key)':") else { return nil }
    var depth = 0
    var value = ""
    for character in header[keyRange.upperBound...] {
      if character == "(" { depth += 1 }
      if character == ")" { depth -= 1 }
      if (character == "," && depth == 0) || character == "}" { break }
      value.append(character)
    }
    return value.trimmingCharacters(in: .whitespaces)
  }
}
