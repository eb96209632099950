import FuzzDriver

/// Compressed image files (.aec): the container (CompressedFile.decode), written again, and its
/// payload decoded under its tables as `decompress` does (capped at 65,536 symbols).
@main enum FuzzAEC {
  static func main() {
    fuzz { bytes in
      guard let file = try? CompressedFile.decode(bytes) else { return }
      require((try? CompressedFile.decode(try file.encoded())) == file, "a decoded file does not survive encoding again")
      guard var decoder = try? RANSDecoder(file.payload) else { return }
      let symbols = min(file.header.count * file.header.codeShape.reduce(1, *), 1 << 16)
      for index in 0..<symbols {
        guard (try? decoder.decode(with: file.tables[index % file.tables.count])) != nil else { return }
      }
      _ = try? decoder.finish()
    }
  }
}
