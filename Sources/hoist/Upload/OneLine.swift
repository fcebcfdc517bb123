/// Text made safe for one line of output: whatever a server or a file name holds, a result
/// line never spans two lines and never carries a terminal escape.
///
/// Line breaks and tabs become `\n`, `\r`, `\t`; other control characters (C0, DEL, C1),
/// the Unicode line and paragraph separators, and the bidirectional controls (U+202E and
/// the others that reorder what follows them: `invoice\u{202E}fdp.exe` shows as
/// `invoiceexe.pdf`) become `\u{XX}`. Everything else is kept, so ordinary paths and
/// messages print exactly as before.
enum OneLine {
    static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": out.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": out.append(contentsOf: #"\t"#.unicodeScalars)
            case _ where needsEscape(scalar):
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F..<0xA0, 0x2028, 0x2029: return true
        default: return scalar.properties.isBidiControl
        }
    }
}
