@testable import Datasets
import FileIO
import TestSupport
import Testing

@Suite struct NPYMappedTests {
  @Test func mappedArraysReadAsTheirInMemoryTwins() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("x.npy")
    try NPY.write([1, -2, 3.5, 4, 5, 6], shape: [3, 2], to: path)
    let file = try FileIO.MappedFile(path)
    let layout = try NPY.layout(file.bytes)
    let mapped = ImageSet(storage: .mapped(NPY.MappedArray(file: file, offset: layout.start, shape: layout.shape, type: layout.type)),
                          exampleShape: [2], source: path)
    let inMemory = try DataSource(path).load()
    #expect(mapped.count == 3 && (0..<3).map(mapped.example) == (0..<3).map(inMemory.example))
    #expect(mapped.fingerprint == inMemory.fingerprint)
    // Scaling applies to mapped examples as they are read.
    let scaling = FeatureScaling(fitting: .standard, to: mapped)
    #expect(scaling.apply(to: mapped).example(0) == scaling.apply(to: inMemory).example(0))
  }

  @Test func mappedBytesAreScaledAsBytesAre() throws {
    let directory = try TemporaryDirectory()
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }\n"
    let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 51, 255, 102]
    let path = try directory.write(bytes, to: "b.npy")
    let file = try FileIO.MappedFile(path)
    let layout = try NPY.layout(file.bytes)
    let array = NPY.MappedArray(file: file, offset: layout.start, shape: layout.shape, type: layout.type)
    #expect(array.holdsBytes && (0..<4).map(array.value) == [0, 0.2, 1, 0.4])
  }
}
