import Foundation

/// What Foundation's JSON reader lets through but RFC 8259 does not: a byte order mark
/// or UTF-16 text, a comma before `}` or `]`, a name twice in one object (which the
/// two Foundation readers settle differently: one keeps the first, the other the last),
/// and a number out of the grammar (`01`, `1.`, `1e`, `-`) where `Codable` skips a value
/// it does not decode. A body with any of these is a 400, as any body that is not JSON is.
///
/// And a number with a fraction in a member that must be an integer: Foundation reads an
/// integer through a `Double`, so `4.9999999999999999999` came through as 5.
///
/// This is a scan over the bytes for those things only; parsing is Foundation's.
enum StrictJSON {
    /// `integers`: members of the top-level object whose number, if they hold one, must
    /// be an integer (`5`, `5.0`, `50e-1`; not `5.5` or `4.9999999999999999999`).
    static func check(_ data: Data, integers: Set<String> = []) throws(APIError) {
        guard !data.starts(with: [0xEF, 0xBB, 0xBF]), String(validating: data, as: UTF8.self) != nil, !data.contains(0) else {
            throw .invalidRequest("the request body must be JSON in UTF-8")
        }
        var scanner = Scanner(integers: Set(integers.map { Data("\"\($0)\"".utf8) }))
        for byte in data {
            if let problem = scanner.take(byte) { throw .invalidRequest("the request body is not valid JSON: \(problem)") }
        }
        if let problem = scanner.endNumber() { throw .invalidRequest("the request body is not valid JSON: \(problem)") }
    }

    /// Whether `bytes` is a JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isNumber(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadsWithZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let integer = digits()
        guard integer > 0, !(leadsWithZero && integer > 1) else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// Whether a JSON number (`isNumber`) names an integer exactly: its digits, moved by
    /// its exponent, leave only zeros after the point.
    static func isIntegral(_ bytes: [UInt8]) -> Bool {
        let zero = UInt8(ascii: "0")
        var digits: [UInt8] = [], fractionDigits = 0, exponent = 0, index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count, (zero...UInt8(ascii: "9")).contains(bytes[index]) { digits.append(bytes[index]); index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, (zero...UInt8(ascii: "9")).contains(bytes[index]) {
                digits.append(bytes[index]); fractionDigits += 1; index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                negative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            // Saturated: an exponent past any number of digits says the same as a larger one.
            while index < bytes.count { exponent = min(exponent * 10 + Int(bytes[index] - zero), 1 << 40); index += 1 }
            if negative { exponent = -exponent }
        }
        let scale = exponent - fractionDigits
        guard scale < 0 else { return true }
        return digits.suffix(min(-scale, digits.count)).allSatisfy { $0 == zero }
    }

    private struct Scanner {
        /// Per open container: the names seen so far (nil for an array).
        var containers: [Set<Data>?] = []
        var inString = false
        var escaped = false
        var sawBackslash = false
        var token = Data()
        /// The last byte outside strings and whitespace.
        var last: UInt8 = 0
        /// The string just closed, until a `:` shows it was a name.
        var pendingName: Data?
        /// The number being read, outside strings.
        var number: [UInt8]?
        /// Top-level members (quoted, as their names are read) whose numbers must be integers.
        let integers: Set<Data>
        /// The top-level member whose value is being read.
        var member: Data?

        init(integers: Set<Data>) { self.integers = integers }

        /// Checks the number just read, if any, and forgets it.
        mutating func endNumber() -> String? {
            guard let bytes = number else { return nil }
            number = nil
            let text = String(decoding: bytes, as: UTF8.self)
            guard StrictJSON.isNumber(bytes) else { return "\(text) is not a number" }
            if containers.count == 1, let member, integers.contains(member), !StrictJSON.isIntegral(bytes) {
                return "\(String(decoding: member.dropFirst().dropLast(), as: UTF8.self)) must be an integer, not \(text)"
            }
            return nil
        }

        mutating func take(_ byte: UInt8) -> String? {
            if !inString, Self.numberBytes.contains(byte) {
                if number == nil, byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { number = [] }
                if number != nil {
                    number?.append(byte)
                    last = byte
                    pendingName = nil
                    return nil
                }
            } else if let problem = endNumber() {
                return problem
            }
            if inString {
                token.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                    sawBackslash = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    pendingName = token
                    last = byte
                }
                return nil
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                return nil
            case UInt8(ascii: "\""):
                inString = true
                sawBackslash = false
                token = Data([byte])
            case UInt8(ascii: "{"):
                containers.append([])
            case UInt8(ascii: "["):
                containers.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if last == UInt8(ascii: ",") { return "a comma before \(Character(Unicode.Scalar(byte)))" }
                if !containers.isEmpty { containers.removeLast() }
            case UInt8(ascii: ":"):
                if let raw = pendingName, let index = containers.indices.last, var names = containers[index] {
                    let name = sawBackslash ? Self.decoded(raw) : raw
                    guard names.insert(name).inserted else {
                        return "the name \(String(decoding: name, as: UTF8.self)) appears twice in one object"
                    }
                    containers[index] = names
                    if containers.count == 1 { member = name }
                }
            default:
                break
            }
            if byte != UInt8(ascii: "\"") { pendingName = nil }
            last = byte
            return nil
        }

        /// Bytes a number is made of (a stray `.`, `e` or `+` outside one is Foundation's to refuse).
        static let numberBytes = Set(Array("-+.eE0123456789".utf8))

        /// A name with escapes, as the text it stands for (`"\u0061"` is `"a"`).
        static func decoded(_ raw: Data) -> Data {
            guard let text = try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String else { return raw }
            return Data("\"\(text)\"".utf8)
        }
    }
}
