import Foundation
import FuzzDriver

/// Architecture JSON: the `--architecture file.json` form and the model files' metadata form.
@main enum FuzzArchitecture {
  static func main() {
    fuzz { bytes in
      let data = Data(bytes)
      if let architecture = try? Architecture(json: data, source: "fuzz", exampleShape: [8, 8]) { exercise(architecture) }
      if let architecture = try? JSONDecoder().decode(Architecture.self, from: data), (try? architecture.validated()) != nil {
        exercise(architecture)
      }
    }
  }
}
