extension Color {
    /// Parses a colour as theme files write it: one of the 16 names (`red`,
    /// `bright-red`, also `brightred`, `light-red` and `gray`), `0`–`255`, `#rrggbb` or
    /// `default`. Case and surrounding spaces do not matter. Returns `nil` otherwise.
    public init?(parsing text: String) {
        let name = text.trimmingSpaces.lowercased()
        if name == "default" {
            self = .default
        } else if name == "gray" || name == "grey" {
            self = .brightBlack
        } else if let index = Color.basicNames.firstIndex(of: name) {
            self = .indexed(UInt8(index))
        } else if let base = Color.brightBase(name), let index = Color.basicNames.firstIndex(of: base) {
            self = .indexed(UInt8(index + 8))
        } else if let index = UInt8(name) {
            self = .indexed(index)
        } else if let rgb = Color.hexTriplet(name) {
            self = rgb
        } else {
            return nil
        }
    }

    private static func brightBase(_ name: String) -> String? {
        for prefix in ["bright-", "bright_", "bright", "light-", "light_"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return nil
    }

    private static func hexTriplet(_ name: String) -> Color? {
        guard name.hasPrefix("#"), name.count == 7 else { return nil }
        let digits = Array(name.utf8.dropFirst())
        var bytes: [UInt8] = []
        for pair in stride(from: 0, to: 6, by: 2) {
            guard let high = hexValue(digits[pair]), let low = hexValue(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return .rgb(red: bytes[0], green: bytes[1], blue: bytes[2])
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (Foundation-free).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
