import EntropyCoding
import FileIO
import Foundation
import Testing

@testable import ModelFiles

struct StoredContextTablesTests {
  let tables = ContextTables(fitting: (0..<(40 * 12)).map { Int32(($0 * 7) % 11) - 5 }, codeShape: [2, 2, 3], sets: 4)

  @Test func theCountsAreDeflatedVarintsInChannelOrderAndRoundTrip() throws {
    let stored = StoredContextTables(tables)
    #expect(try stored.tables() == tables && tables.sets == 4)
    // By hand: the base64 of the deflated LEB128 varints of every channel's counts in turn.
    var bytes: [UInt8] = []
    for count in tables.counts.joined() { bytes.appendVarint(UInt64(count)) }
    #expect(try Zlib.inflate(Data(base64Encoded: stored.counts)!) == bytes)
    // Through JSON, as the model file's metadata holds it.
    let json = try JSONEncoder().encode(stored)
    #expect(try JSONDecoder().decode(StoredContextTables.self, from: json).tables() == tables)
    #expect(String(decoding: json, as: UTF8.self).contains("\"set_counts\":["))
    // Tables of the magnitude neighbourhood and add-½ write neither field (as before December
    // 2026), and tables without them read as those.
    #expect(!String(decoding: json, as: UTF8.self).contains("neighbourhood") && !String(decoding: json, as: UTF8.self).contains("prior_weight"))
    let signed = ContextTables(fitting: (0..<(40 * 12)).map { Int32(($0 * 7) % 11) - 5 }, codeShape: [2, 2, 3], sets: 4, neighbourhood: .signed(limit: 3),
                               priorWeight: 16)
    let signedJSON = try JSONEncoder().encode(StoredContextTables(signed))
    #expect(String(decoding: signedJSON, as: UTF8.self).contains("\"neighbourhood\":\"signed:3\"")
      && String(decoding: signedJSON, as: UTF8.self).contains("\"prior_weight\":16"))
    #expect(try JSONDecoder().decode(StoredContextTables.self, from: signedJSON).tables() == signed && signed != tables)
  }

  @Test func corruptStorageIsNamedNotTrusted() throws {
    var bytes: [UInt8] = []
    for count in tables.counts.joined() { bytes.appendVarint(UInt64(count)) }
    func stored(_ edit: (inout StoredContextTables) -> Void) -> StoredContextTables {
      var stored = StoredContextTables(tables)
      edit(&stored)
      return stored
    }
    func deflated(_ bytes: [UInt8]) -> String { Data(Zlib.deflate(bytes)).base64EncodedString() }
    let cases: [(StoredContextTables, String)] = [
      (stored { $0.counts = "not base64!" }, "not base64"),
      (stored { $0.counts = Data([1, 2, 3]).base64EncodedString() }, "do not inflate"),
      (stored { $0.counts = deflated(Array(bytes.dropLast())) }, "ends early"),
      (stored { $0.counts = deflated(bytes + [0]) }, "1 bytes after"),
      (stored { $0.counts = deflated(bytes.dropLast() + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) }, "past 2⁴²"),
      (stored { $0.values[0] += 1 }, "ends early"),
      (stored { $0.values = [3] }, "value counts for 3 channels"),
      (stored { $0.setCounts = [] }, "0 sets"),
      (stored { $0.grid = [0, 2] }, "a grid of [0, 2]"),
      (stored { $0.setCounts[0] = -1 }, "set count out of range"),
      (stored { $0.neighbourhood = "hexagonal" }, "an unknown neighbourhood \"hexagonal\""),
      (stored { $0.neighbourhood = "signed:9" }, "an unknown neighbourhood \"signed:9\""),
      (stored { $0.neighbourhood = "signed:1" }, "ends early"),  // 9 classes' counts where 4 were written
      (stored { $0.priorWeight = -3 }, "a prior weight of -3"),
      (stored { $0.priorWeight = 1 << 20 }, "a prior weight of 1048576"),
      (stored { ($0.channels, $0.lowest, $0.values) = (4096, Array(repeating: 0, count: 4096), Array(repeating: 4096, count: 4096)) },
       "more than 16777216"),
    ]
    for (stored, mention) in cases {
      let error = #expect(throws: SafeTensors.Problem.self) { try stored.tables() }
      #expect(error?.description.hasPrefix("corrupt context_tables metadata: ") == true && error?.description.contains(mention) == true,
              "\(error?.description ?? "") should mention \(mention)")
    }
  }
}
