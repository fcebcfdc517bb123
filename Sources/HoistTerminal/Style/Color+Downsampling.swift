extension Color {
    /// The nearest colour this depth can show: rgb → xterm-256 → 16 → 8 → default.
    ///
    /// The result is always `.default` or `.indexed(n)` with `n` below the depth's palette
    /// size, so it can be handed to the terminal as is.
    public func downsampled(to depth: ColorDepth) -> Color {
        switch (self, depth) {
        case (.default, _), (_, .monochrome):
            return .default
        case (.rgb(let red, let green, let blue), _):
            return Color.indexed(Color.nearestXterm256(red, green, blue)).downsampled(to: depth)
        case (.indexed(let index), _) where Int(index) < depth.paletteSize:
            return self
        case (.indexed(let index), _) where index >= 16:
            // Nearest by RGB among the 16, then on down the chain if the depth is smaller.
            let ansi = Color.nearest(to: Color.rgbOfXterm256(index), among: 0..<16)
            return Color.indexed(ansi).downsampled(to: depth)
        case (.indexed(let index), _):
            // A bright colour becomes its basic one; bright black (grey) becomes white rather
            // than black, because grey text is mostly "muted", and must stay readable on the
            // dark backgrounds most terminals have.
            return .indexed(index == 8 ? 7 : index - 8)
        }
    }

    /// The xterm-256 index closest to an RGB colour, searching the 6×6×6 cube and the
    /// grey ramp (232–255); the basic 16 are skipped because terminals redefine them.
    static func nearestXterm256(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
        let target = (Int(red), Int(green), Int(blue))
        let cube = 16 + 36 * cubeStep(red) + 6 * cubeStep(green) + cubeStep(blue)
        let average = (target.0 + target.1 + target.2) / 3
        let greyStep = min(23, max(0, (average - 3) / 10))
        let grey = 232 + greyStep
        let cubeDistance = distance(target, rgbOfXterm256(UInt8(cube)))
        let greyDistance = distance(target, rgbOfXterm256(UInt8(grey)))
        return UInt8(greyDistance < cubeDistance ? grey : cube)
    }

    /// The RGB value xterm gives a palette index by default.
    static func rgbOfXterm256(_ index: UInt8) -> (Int, Int, Int) {
        switch index {
        case 0..<16:
            return ansiPalette[Int(index)]
        case 16..<232:
            let offset = Int(index) - 16
            return (cubeLevels[offset / 36], cubeLevels[offset / 6 % 6], cubeLevels[offset % 6])
        default:
            let level = 8 + 10 * (Int(index) - 232)
            return (level, level, level)
        }
    }

    private static let cubeLevels = [0, 95, 135, 175, 215, 255]

    private static let ansiPalette = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
        (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
        (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    /// The cube coordinate (0–5) nearest to one 8-bit channel.
    private static func cubeStep(_ channel: UInt8) -> Int {
        let value = Int(channel)
        if value < 48 { return 0 }
        if value < 115 { return 1 }
        return (value - 35) / 40
    }

    private static func nearest(to target: (Int, Int, Int), among indices: Range<UInt8>) -> UInt8 {
        indices.min { distance(target, rgbOfXterm256($0)) < distance(target, rgbOfXterm256($1)) } ?? 0
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }
}
