import Foundation
import Testing
import Training

@Suite struct HistoryTests {
  @Test func codableWithKerasNames() throws {
    let history = History(epochs: [.init(epoch: 1, loss: 0.5, validationLoss: 0.4, seconds: 2, examplesPerSecond: 3)])
    let json = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
    #expect(json.contains("\"val_loss\":0.4"))
    #expect(try JSONDecoder().decode(History.self, from: Data(json.utf8)) == history)
    #expect(history.loss == [0.5] && history.validationLoss == [0.4])
  }

  @Test func everyTermIsLoggedByNameAndWithVal() throws {
    var epoch = History.Epoch(epoch: 2, loss: 160, validationLoss: 158, seconds: 1, examplesPerSecond: 10)
    epoch.terms = ["reconstruction": 150, "kl": 10]
    epoch.validationTerms = ["reconstruction": 149, "kl": 9]
    epoch.klWeight = 0.5
    let history = History(epochs: [epoch])
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let json = String(decoding: try encoder.encode(history), as: UTF8.self)
    #expect(json == #"{"epochs":[{"epoch":2,"examples_per_second":10,"kl":10,"kl_weight":0.5,"loss":160,"reconstruction":150,"seconds":1,"#
      + #""val_kl":9,"val_loss":158,"val_reconstruction":149}]}"#)
    #expect(try JSONDecoder().decode(History.self, from: Data(json.utf8)) == history)
    #expect(history.termNames == ["reconstruction", "kl"])
  }

  @Test func theRateAndTheRestoredEpochAreLoggedWhenSet() throws {
    var epoch = History.Epoch(epoch: 1, loss: 0.5, validationLoss: 0.4, seconds: 2, examplesPerSecond: 3)
    epoch.learningRate = 0.0005
    let history = History(epochs: [epoch], restoredEpoch: 1)
    let json = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
    #expect(json.contains("\"learning_rate\":0.0005") && json.contains("\"restored_epoch\":1"))
    #expect(try JSONDecoder().decode(History.self, from: Data(json.utf8)) == history)
  }

  @Test func overfittingIsThreeEpochsOfRisingValidationLossWhileTheTrainingLossFalls() {
    func history(_ pairs: [(Float, Float)]) -> History {
      History(epochs: pairs.enumerated().map { .init(epoch: $0.offset + 1, loss: $0.element.0, validationLoss: $0.element.1, seconds: 1, examplesPerSecond: 1) })
    }
    let overfit = history([(1.0, 1.0), (0.8, 0.9), (0.7, 0.85), (0.6, 0.86), (0.5, 0.87), (0.4, 0.9), (0.3, 1.0)])
    #expect(!overfit.isOverfitting(at: 4) && overfit.isOverfitting(at: 5) && overfit.isOverfitting(at: 6))
    #expect(overfit.overfittingOnset() == 3)
    // Both rising is not overfitting (the run is diverging); a dip breaks the run.
    #expect(history([(1.0, 1.0), (1.1, 1.1), (1.2, 1.2), (1.3, 1.3)]).overfittingOnset() == nil)
    #expect(history([(1.0, 1.0), (0.9, 1.1), (0.8, 1.2), (0.7, 1.1), (0.6, 1.2)]).overfittingOnset() == nil)
    #expect(History().overfittingOnset() == nil)
  }
}
