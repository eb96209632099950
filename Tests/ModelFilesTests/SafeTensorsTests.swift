import Foundation
import ModelFiles
import TensorCore
import TestSupport
import Testing

/// Fixtures were written by Hugging Face's safetensors 0.8.0 (Fixtures/README.md).
@Suite struct SafeTensorsTests {
  func fixture(_ name: String) throws -> Data {
    let path = try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
    return try Data(contentsOf: URL(fileURLWithPath: path))
  }

  /// A file with this JSON header and data section.
  func file(_ header: String, data: [UInt8] = []) -> Data {
    var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init)
    bytes += Array(header.utf8) + data
    return Data(bytes)
  }

  func problem(_ data: Data) -> String? {
    do {
      _ = try SafeTensors.decode(data)
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func readsTheReferenceImplementationsFiles() throws {
    let (tensors, metadata) = try SafeTensors.decode(try fixture("python.safetensors"))
    #expect(tensors["weight"] == Tensor(shape: [2, 3], scalars: [0, 0.5, 1, 1.5, 2, 2.5]))
    #expect(tensors["bias"] == Tensor([1.5, -2]))
    #expect(metadata == ["source": "safetensors 0.8.0"])
  }

  @Test func roundTripsWithAlignedData() throws {
    let data = try SafeTensors.encode([("b", Tensor([1, 2, 3])), ("a", Tensor([[4, 5], [6, 7]]))], metadata: ["k": "v"])
    let headerSize = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(headerSize % 8 == 0)
    let (tensors, metadata) = try SafeTensors.decode(data)
    #expect(tensors == ["b": Tensor([1, 2, 3]), "a": Tensor([[4, 5], [6, 7]])] && metadata == ["k": "v"])
  }

  @Test func hostileHeadersAreRefusedWithTheReason() throws {
    let eight: [UInt8] = Array(repeating: 0, count: 8)
    #expect(problem(Data([1, 2, 3])) == "truncated: 3 bytes, too short for a header length")
    var huge = Data(withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init))
    huge.append(contentsOf: [0x7b])
    #expect(problem(huge) == "header of 1099511627776 bytes exceeds the 100000000-byte limit")
    var short = Data(withUnsafeBytes(of: UInt64(100).littleEndian, Array.init))
    short.append(contentsOf: Array("{}".utf8))
    #expect(problem(short) == "truncated: the header needs 100 bytes, the file has 2 after the length")
    #expect(problem(file("[1, 2]")) == "corrupt: the header is not a JSON object")
    #expect(problem(file("{\"a\": ")) == "corrupt: the header is not valid JSON")
    #expect(problem(file(#"{"__metadata__": {"n": 1}}"#)) == "corrupt: __metadata__ must map strings to strings")
    #expect(problem(try fixture("float16.safetensors")) == "tensor half has dtype F16; only F32 is supported")
    #expect(problem(file(#"{"t": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}"#, data: Array(repeating: 0, count: 20)))
      == "tensor t of shape [2, 3] needs 24 bytes, its offsets span 20")
    #expect(problem(file(#"{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 1000]}}"#, data: eight))
      == "truncated or corrupt: tensor t ends at byte 1000 of the data, which has 8")
    #expect(problem(file(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}"#,
                         data: Array(repeating: 0, count: 20)))
      == "corrupt: tensor b starts at byte 12 of the data, expected 8 (a gap or an overlap)")
    #expect(problem(file(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
                         data: Array(repeating: 0, count: 12)))
      == "corrupt: tensor b starts at byte 4 of the data, expected 8 (a gap or an overlap)")
    #expect(problem(file(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: eight))
      == "corrupt: 4 bytes of data belong to no tensor")
    #expect(problem(file(#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]))
      == "corrupt: tensor a has shape [-1]")
    #expect(problem(file(#"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}}"#))
      == "corrupt: tensor a has offsets [0, 0] and shape [4611686018427387904, 4]")
    #expect(problem(file("{\"a\": " + String(repeating: "[", count: 100_000) + "}")) == "corrupt: the header is not valid JSON")
  }

  @Test func everyPrefixAndEveryFlippedByteIsAnErrorOrAFileNeverACrash() throws {
    let bytes = [UInt8](try fixture("python.safetensors"))
    for length in 0..<bytes.count {
      #expect(problem(Data(bytes.prefix(length))) != nil, "prefix of \(length) bytes")
    }
    let original = try SafeTensors.decode(Data(bytes))
    let dataStart = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
    var headerOutcomes = (errors: 0, files: 0)
    for index in bytes.indices {
      for flip: UInt8 in [0x01, 0x80, 0xFF] {
        var corrupt = bytes
        corrupt[index] ^= flip
        let decoded = try? SafeTensors.decode(Data(corrupt))
        if index < 8 {
          // The header length: any change breaks the file.
          #expect(decoded == nil, "length byte \(index) flipped by \(flip)")
        } else if index >= dataStart {
          // The data: always a file, with exactly one value changed.
          let changed = try #require(decoded, "data byte \(index)")
          let differences = original.tensors.keys.reduce(0) { count, name in
            count + zip(original.tensors[name]!.scalars, changed.tensors[name]!.scalars).filter { $0.bitPattern != $1.bitPattern }.count
          }
          #expect(differences == 1 && changed.metadata == original.metadata, "data byte \(index)")
        } else {
          decoded == nil ? (headerOutcomes.errors += 1) : (headerOutcomes.files += 1)
        }
      }
    }
    // Most header flips break the JSON or its offsets; a few (a letter of a name or of the
    // metadata) leave another valid file.
    #expect(headerOutcomes.errors > 10 * headerOutcomes.files)
  }
}
