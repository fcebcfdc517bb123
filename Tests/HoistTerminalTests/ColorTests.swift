@testable import HoistTerminal
import Testing

@Suite("Colours")
struct ColorTests {
    @Test("parsing theme spellings", arguments: [
        ("default", Color.default), ("red", .red), ("Blue", .blue), (" white ", .white),
        ("bright-red", .brightRed), ("brightgreen", .brightGreen), ("light-cyan", .brightCyan),
        ("gray", .brightBlack), ("0", .indexed(0)), ("255", .indexed(255)),
        ("#ff8700", .rgb(red: 255, green: 135, blue: 0)), ("#00AFd7", .rgb(red: 0, green: 175, blue: 215)),
    ])
    func parses(text: String, color: Color) {
        #expect(Color(parsing: text) == color)
    }

    @Test("rejects what is not a colour", arguments: ["", "256", "-1", "#fff", "#gg0000", "purple", "bright-", "#ff00000"])
    func rejects(text: String) {
        #expect(Color(parsing: text) == nil)
    }

    @Test("description round-trips through parsing")
    func roundTrip() {
        let colors: [Color] = [.default, .red, .brightMagenta, .indexed(244), .rgb(red: 1, green: 171, blue: 255)]
        for color in colors {
            #expect(Color(parsing: color.description) == color)
        }
        #expect(Color.rgb(red: 1, green: 171, blue: 255).description == "#01abff")
    }

    @Test("rgb to xterm-256", arguments: [
        ((0, 0, 0), UInt8(16)), ((255, 255, 255), 231), ((255, 0, 0), 196), ((0, 175, 215), 38),
        ((255, 135, 0), 208), ((128, 128, 128), 244), ((88, 88, 88), 240), ((8, 8, 8), 232),
        ((18, 18, 18), 233),
    ])
    func toXterm256(rgb: (Int, Int, Int), index: UInt8) {
        let color = Color.rgb(red: UInt8(rgb.0), green: UInt8(rgb.1), blue: UInt8(rgb.2))
        #expect(color.downsampled(to: .xterm256) == .indexed(index))
    }

    @Test("downsampling to 16 and 8 colours", arguments: [
        (Color.indexed(196), ColorDepth.ansi16, Color.brightRed),
        (.indexed(160), .ansi16, .red),
        (.indexed(244), .ansi16, .brightBlack),
        (.indexed(21), .ansi16, .blue),
        (.indexed(236), .ansi16, .black),
        (.brightRed, .ansi8, .red),
        (.brightBlack, .ansi8, .white),  // grey must stay readable, not turn black
        (.brightWhite, .ansi8, .white),
        (.rgb(red: 255, green: 135, blue: 0), .ansi16, .yellow),
        (.rgb(red: 0, green: 0, blue: 128), .ansi8, .blue),
        (.indexed(3), .ansi8, .yellow),
        (.default, .ansi8, .default),
    ])
    func downsample(color: Color, depth: ColorDepth, expected: Color) {
        #expect(color.downsampled(to: depth) == expected)
    }

    @Test("every colour lands inside the palette of every depth")
    func alwaysInPalette() {
        var colors: [Color] = (0...255).map { .indexed(UInt8($0)) } + [.default]
        for red in stride(from: 0, through: 255, by: 51) {
            for green in stride(from: 0, through: 255, by: 51) {
                for blue in stride(from: 0, through: 255, by: 51) {
                    colors.append(.rgb(red: UInt8(red), green: UInt8(green), blue: UInt8(blue)))
                }
            }
        }
        for depth in ColorDepth.allCases {
            for color in colors {
                switch color.downsampled(to: depth) {
                case .default: #expect(depth == .monochrome || color == .default)
                case .indexed(let index): #expect(Int(index) < depth.paletteSize)
                case .rgb: Issue.record("rgb survived downsampling to \(depth)")
                }
            }
        }
    }

    @Test("colour counts map to depths", arguments: [
        (0, ColorDepth.monochrome), (2, .monochrome), (8, .ansi8), (16, .ansi16), (88, .ansi16),
        (256, .xterm256), (0x100_0000, .ansi8),
    ])
    func depths(count: Int, depth: ColorDepth) {
        #expect(ColorDepth(colorCount: count) == depth)
    }

    @Test("styles downsample both colours and keep attributes")
    func styles() {
        let style = Style(foreground: .indexed(196), background: .rgb(red: 0, green: 0, blue: 0), attributes: [.bold, .underline])
        let mono = style.downsampled(to: .monochrome)
        #expect(mono == Style(attributes: [.bold, .underline]))
        #expect(style.downsampled(to: .ansi8) == Style(foreground: .red, background: .black, attributes: [.bold, .underline]))
    }
}
