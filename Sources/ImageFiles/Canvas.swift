/// A gray image to draw figures on: other images pasted in, and text in a 5×7 pixel font (digits,
/// lower-case letters and a little punctuation), so figures carry their own axis labels and titles.
public struct Canvas {
  public let width: Int
  public let height: Int
  /// Intensities in [0, 1], row-major.
  public private(set) var intensities: [Float]

  /// A canvas of `width`×`height` pixels of `background` intensity.
  public init(width: Int, height: Int, background: Float = 1) {
    precondition(width > 0 && height > 0, "a canvas of \(width)×\(height)")
    self.width = width
    self.height = height
    intensities = Array(repeating: background, count: width * height)
  }

  /// Copies a grayscale image's pixels with its top-left corner at (`x`, `y`), clipped to the canvas.
  public mutating func paste(_ image: Image, x: Int, y: Int) {
    let gray = image.grayIntensities
    for row in 0..<image.height where (0..<height).contains(y + row) {
      for column in 0..<image.width where (0..<width).contains(x + column) {
        intensities[(y + row) * width + x + column] = gray[row * image.width + column]
      }
    }
  }

  /// Draws `text` with its top-left corner at (`x`, `y`), each font pixel a `scale`×`scale` block of
  /// `intensity`. Characters the font lacks are drawn as blanks.
  public mutating func draw(_ text: String, x: Int, y: Int, scale: Int = 1, intensity: Float = 0) {
    Self.forEachPixel(of: text, x: x, y: y, scale: scale) { px, py in
      if (0..<width).contains(px), (0..<height).contains(py) { intensities[py * width + px] = intensity }
    }
  }

  /// Calls `body` with each pixel `draw` sets for `text` at (`x`, `y`) (unclipped), so other
  /// surfaces (`LineChart`'s colour one) write text in the same font.
  public static func forEachPixel(of text: String, x: Int, y: Int, scale: Int = 1, _ body: (Int, Int) -> Void) {
    for (index, character) in text.enumerated() {
      guard let rows = glyphs[character] else { continue }
      let left = x + index * advance * scale
      for (row, bits) in rows.enumerated() {
        for (column, bit) in bits.enumerated() where bit == "#" {
          for dy in 0..<scale {
            for dx in 0..<scale { body(left + column * scale + dx, y + row * scale + dy) }
          }
        }
      }
    }
  }

  /// The width in pixels `draw` gives `text` at `scale` (the last character's trailing space left out).
  public static func width(of text: String, scale: Int = 1) -> Int { max(0, text.count * advance - 1) * scale }

  /// The height of a line of text at `scale`.
  public static func lineHeight(scale: Int = 1) -> Int { 7 * scale }

  /// A 1-pixel line of `intensity` from (`x0`, `y`) to (`x1`, `y`), or down from (`x`, `y0`) to (`x`, `y1`).
  public mutating func line(x0: Int, x1: Int, y: Int, intensity: Float = 0) {
    for x in min(x0, x1)...max(x0, x1) where (0..<width).contains(x) && (0..<height).contains(y) { intensities[y * width + x] = intensity }
  }

  public mutating func line(x: Int, y0: Int, y1: Int, intensity: Float = 0) {
    for y in min(y0, y1)...max(y0, y1) where (0..<width).contains(x) && (0..<height).contains(y) { intensities[y * width + x] = intensity }
  }

  /// The canvas as an 8-bit grayscale image.
  public var image: Image { Image(width: width, height: height, intensities: intensities) }

  /// Pixels from one character's left edge to the next's.
  static let advance = 6

  /// The font: 5 columns by 7 rows per character, drawn for this project.
  static let glyphs: [Character: [String]] = [
    "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": [".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."],
    "-": [".....", ".....", ".....", "#####", ".....", ".....", "....."],
    "+": [".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."],
    ".": [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
    ",": [".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."],
    ":": [".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."],
    "=": [".....", ".....", "#####", ".....", "#####", ".....", "....."],
    "(": ["...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."],
    ")": [".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."],
    "[": [".###.", ".#...", ".#...", ".#...", ".#...", ".#...", ".###."],
    "]": [".###.", "...#.", "...#.", "...#.", "...#.", "...#.", ".###."],
    "/": [".....", "....#", "...#.", "..#..", ".#...", "#....", "....."],
    "%": ["##..#", "##.#.", "...#.", "..#..", ".#...", ".#.##", "#..##"],
    "a": [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
    "b": ["#....", "#....", "####.", "#...#", "#...#", "#...#", "####."],
    "c": [".....", ".....", ".####", "#....", "#....", "#....", ".####"],
    "d": ["....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"],
    "e": [".....", ".....", ".###.", "#...#", "#####", "#....", ".###."],
    "f": ["..##.", ".#...", "####.", ".#...", ".#...", ".#...", ".#..."],
    "g": [".....", ".....", ".####", "#...#", ".####", "....#", ".###."],
    "h": ["#....", "#....", "####.", "#...#", "#...#", "#...#", "#...#"],
    "i": ["..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###."],
    "j": ["...#.", ".....", "..##.", "...#.", "...#.", "#..#.", ".##.."],
    "k": ["#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."],
    "l": [".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "m": [".....", ".....", "##.#.", "#.#.#", "#.#.#", "#.#.#", "#.#.#"],
    "n": [".....", ".....", "####.", "#...#", "#...#", "#...#", "#...#"],
    "o": [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."],
    "p": [".....", ".....", "####.", "#...#", "####.", "#....", "#...."],
    "q": [".....", ".....", ".####", "#...#", ".####", "....#", "....#"],
    "r": [".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."],
    "s": [".....", ".....", ".####", "#....", ".###.", "....#", "####."],
    "t": [".#...", ".#...", "####.", ".#...", ".#...", ".#..#", "..##."],
    "u": [".....", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#"],
    "v": [".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
    "w": [".....", ".....", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
    "x": [".....", ".....", "#...#", ".#.#.", "..#..", ".#.#.", "#...#"],
    "y": [".....", ".....", "#...#", "#...#", ".####", "....#", ".###."],
    "z": [".....", ".....", "#####", "...#.", "..#..", ".#...", "#####"],
    " ": [".....", ".....", ".....", ".....", ".....", ".....", "....."],
    "_": [".....", ".....", ".....", ".....", ".....", ".....", "#####"],
  ]
}
