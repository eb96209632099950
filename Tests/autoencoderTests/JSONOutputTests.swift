@testable import autoencoder
import Foundation
import Testing

/// `--json` output never fails on a number JSON cannot hold.
@Suite struct JSONOutputTests {
  struct Report: Encodable {
    var loss: Float
    var psnr: Double
    var values: [Float]
    var name: String
  }

  @Test func nonFiniteNumbersAreNullWithAWarning() throws {
    let text = try jsonLine(Report(loss: .nan, psnr: .infinity, values: [1, -.infinity], name: "x"))
    #expect(text == #"{"warnings":["loss is NaN, written as null","psnr is infinity, written as null","a value is -infinity, written as null"],"loss":null,"name":"x","psnr":null,"values":[1,null]}"#)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(object["loss"] is NSNull)
  }

  @Test func finiteReportsAreUnchanged() throws {
    #expect(try jsonLine(Report(loss: 0.25, psnr: 20, values: [1], name: "a/b")) == #"{"loss":0.25,"name":"a/b","psnr":20,"values":[1]}"#)
  }
}
