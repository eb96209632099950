import FileIO
import Foundation

/// NumPy's `.npz`: a ZIP archive of `.npy` files (`np.savez`, stored; `np.savez_compressed`,
/// deflated), ZIP64 records included, as NumPy writes them.
public enum NPZ {
  /// Reads every array in the archive at `path`, in archive order, named without `.npy`.
  ///
  /// - Throws: `FileError` naming the file and the member at fault: not a ZIP archive, an
  ///   unsupported compression method, a CRC mismatch, a member that is not NPY.
  public static func read(_ path: String) throws -> [(name: String, contents: NPY.Contents)] {
    let data = try FileIO.read(path)
    do {
      return try data.withUnsafeBytes { try decode($0) }
    } catch let problem as NPY.Problem {
      throw FileError(path, problem.description)
    }
  }

  /// The names of the arrays in the archive at `path`, from its directory alone (nothing inflated).
  ///
  /// - Throws: `FileError` naming the file (see `read`).
  public static func names(_ path: String) throws -> [String] {
    do {
      return try FileIO.withMappedBytes(path) { bytes in try entries(bytes).map(\.name).filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) } }
    } catch let problem as NPY.Problem {
      throw FileError(path, problem.description)
    }
  }

  /// The arrays in an archive's bytes.
  ///
  /// - Throws: `NPY.Problem`.
  public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [(name: String, contents: NPY.Contents)] {
    var arrays: [(name: String, contents: NPY.Contents)] = []
    for entry in try entries(bytes) {
      let stored = Data(UnsafeRawBufferPointer(rebasing: bytes[entry.data]))
      let member: [UInt8]
      switch entry.method {
      case 0: member = [UInt8](stored)
      case 8:
        do {
          member = try Zlib.inflateRaw(stored, limit: entry.size)
        } catch {
          throw NPY.Problem(description: "\(entry.name): \(error)")
        }
      default: throw NPY.Problem(description: "\(entry.name): ZIP compression method \(entry.method) is not supported (stored or deflated)")
      }
      guard member.count == entry.size, Zlib.crc32(member) == entry.crc else { throw NPY.Problem(description: "\(entry.name): corrupt (CRC or size mismatch)") }
      guard entry.name.hasSuffix(".npy") else { continue }
      do {
        arrays.append((String(entry.name.dropLast(4)), try NPY.decodeContents(member)))
      } catch let problem as NPY.Problem {
        throw NPY.Problem(description: "\(entry.name): \(problem.description)")
      }
    }
    guard !arrays.isEmpty else { throw NPY.Problem(description: "holds no .npy arrays") }
    return arrays
  }

  /// A member of the archive: its name, compression method, where its stored bytes lie, and its
  /// inflated size and CRC-32.
  struct Entry {
    var name: String
    var method: Int
    var data: Range<Int>
    var size: Int
    var crc: UInt32
  }

  /// The archive's members, from its central directory (ZIP64 records included).
  ///
  /// - Throws: `NPY.Problem`.
  static func entries(_ bytes: UnsafeRawBufferPointer) throws -> [Entry] {
    func fail(_ text: String) -> NPY.Problem { NPY.Problem(description: text) }
    func u16(_ at: Int) throws -> Int {
      // `at` may come from a 64-bit field (up to Int.max − 1): compared without adding to it.
      guard at >= 0, at <= bytes.count - 2 else { throw fail("truncated ZIP archive") }
      return Int(bytes[at]) | Int(bytes[at + 1]) << 8
    }
    func u32(_ at: Int) throws -> Int { try u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) throws -> Int {
      let value = UInt64(try u32(at)) | UInt64(try u32(at + 4)) << 32
      guard value < UInt64(Int.max) else { throw fail("corrupt ZIP64 field") }
      return Int(value)
    }
    // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
    var end: Int?
    if bytes.count >= 22 {
      for at in stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1) where try u32(at) == 0x0605_4B50 {
        end = at
        break
      }
    }
    guard let end else { throw fail("not an NPZ file (no ZIP end record)") }
    var entries = try u16(end + 10), directorySize = try u32(end + 12), directoryOffset = try u32(end + 16)
    if entries == 0xFFFF || directoryOffset == 0xFFFF_FFFF || directorySize == 0xFFFF_FFFF {
      guard end >= 20, try u32(end - 20) == 0x0706_4B50 else { throw fail("corrupt ZIP64 archive (no locator)") }
      let record = try u64(end - 12)
      guard try u32(record) == 0x0606_4B50 else { throw fail("corrupt ZIP64 archive (no end record)") }
      (entries, directorySize, directoryOffset) = (try u64(record + 32), try u64(record + 40), try u64(record + 48))
    }
    guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset, entries <= directorySize / 46 + 1 else {
      throw fail("corrupt ZIP archive (its directory lies outside the file)")
    }
    var result: [Entry] = []
    var at = directoryOffset
    for _ in 0..<entries {
      guard try u32(at) == 0x0201_4B50 else { throw fail("corrupt ZIP directory entry at byte \(at)") }
      let method = try u16(at + 10), crc = UInt32(try u32(at + 16))
      var compressed = try u32(at + 20), size = try u32(at + 24), local = try u32(at + 42)
      let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
      guard at + 46 + nameLength <= bytes.count else { throw fail("truncated ZIP directory") }
      let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
      // ZIP64 extra field: the 64-bit sizes and offset of those fields that read 0xFFFFFFFF.
      var extra = at + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = try u16(extra), length = try u16(extra + 2)
        if id == 1 {
          var field = extra + 4
          if size == 0xFFFF_FFFF { size = try u64(field); field += 8 }
          if compressed == 0xFFFF_FFFF { compressed = try u64(field); field += 8 }
          if local == 0xFFFF_FFFF { local = try u64(field) }
        }
        extra += 4 + length
      }
      at = extraEnd + commentLength
      guard try u32(local) == 0x0403_4B50 else { throw fail("\(name): corrupt ZIP local header") }
      let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
      guard start <= bytes.count, compressed <= bytes.count - start else { throw fail("\(name): truncated (its data runs past the end of the file)") }
      result.append(Entry(name: name, method: method, data: start..<(start + compressed), size: size, crc: crc))
    }
    return result
  }
}
