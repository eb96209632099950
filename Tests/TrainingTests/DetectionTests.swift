import Foundation
import NN
import Testing
import Training

@Suite struct DetectionTests {
  // scikit-learn 1.9: roc_auc_score(y, s) = 0.8125, average_precision_score(y, s) = 0.81666..., with ties at 0.4.
  let scores: [Float] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4]
  let anomalous = [false, false, true, true, true, true, false, false]

  @Test func rocAUCAndAveragePrecisionAsScikitLearn() {
    #expect(abs(DetectionMetrics.rocAUC(scores: scores, anomalous: anomalous) - 0.8125) < 1e-12)
    #expect(abs(DetectionMetrics.averagePrecision(scores: scores, anomalous: anomalous) - 0.8166666666666667) < 1e-12)
    #expect(DetectionMetrics.rocAUC(scores: [1, 2], anomalous: [true, true]).isNaN)
    let curve = DetectionMetrics.rocCurve(scores: scores, anomalous: anomalous)
    #expect(curve.first! == (0, 0) && curve.last! == (1, 1))
  }

  @Test func countsAtAThreshold() {
    let at = DetectionMetrics.at(threshold: 0.4, scores: scores, anomalous: anomalous)
    #expect(at.truePositives == 2 && at.falsePositives == 0 && at.falseNegatives == 2 && at.trueNegatives == 4)
    #expect(at.precision == 1 && at.recall == 0.5 && abs(at.f1 - 2.0 / 3) < 1e-12)
  }

  @Test func calibrationRulesAsNumPyAndPyOD() {
    let normal: [Float] = [3, 1, 4, 1, 5, 9, 2, 6]
    // NumPy: np.percentile(x, 99) = 8.79, np.percentile(x, 25) = 1.75.
    #expect(abs(Calibration(score: .mse, rule: .percentile(99), normalScores: normal, data: "d").threshold - 8.79) < 1e-5)
    #expect(abs(Calibration(score: .mse, rule: .contamination(0.75), normalScores: normal, data: "d").threshold - 1.75) < 1e-5)
    let sigma = Calibration(score: .mse, rule: .sigma(2), normalScores: normal, data: "d")
    #expect(abs(sigma.normalMean - 3.875) < 1e-6 && abs(sigma.threshold - (3.875 + 2 * sigma.normalStandardDeviation)) < 1e-5)
    #expect(Calibration.Rule.contamination(0.6).problem == "--contamination 0.6: give a share in (0, 0.5]")
    #expect(Calibration.Rule.contamination(0.5).problem == nil)
  }

  @Test func calibrationsRoundTripAsJSON() throws {
    let calibration = Calibration(score: .loss, rule: .sigma(3), normalScores: [1, 2, 3], data: "normal")
    let text = try JSONEncoder().encode(calibration)
    #expect(try JSONDecoder().decode(Calibration.self, from: text) == calibration)
    #expect(String(decoding: text, as: UTF8.self).contains("\"kind\":\"sigma\""))
  }

  @Test func calibrationsKeepTheScoresSettingsAndReadOlderOnes() throws {
    let calibration = Calibration(score: .nll, smoothing: 0, samples: 32, rule: .contamination(0.05), normalScores: [1, 2, 3], data: "normal")
    #expect(try JSONDecoder().decode(Calibration.self, from: JSONEncoder().encode(calibration)) == calibration)
    #expect(calibration.scoreDescription == "nll (32 importance samples)")
    #expect(Calibration(score: .mse, smoothing: 1, rule: .sigma(3), normalScores: [1], data: "d").scoreDescription == "mse of the residual smoothed by 1 px")
    // A calibration written before smoothing was stored: no smoothing.
    let older = #"{"score":"mse","rule":{"kind":"sigma","value":3},"threshold":0.5,"normal_examples":10,"normal_mean":0.1,"normal_std":0.1,"data":"d"}"#
    let read = try JSONDecoder().decode(Calibration.self, from: Data(older.utf8))
    #expect(read.smoothing == 0 && read.samples == nil && read.threshold == 0.5)
  }
}
