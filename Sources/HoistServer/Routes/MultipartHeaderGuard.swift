/// A guard in front of MultipartKit 4.7.1, whose parser looks each byte of a part's header
/// *name* up in a 128-entry table and traps on any byte of 0x80 or more (found by
/// schemathesis: `--XX\r\n\u{E8}: a\r\n...` stopped the whole server). It is not a parser:
/// it finds the lines the library will read as header names and refuses non-ASCII in them,
/// erring on the side of refusing.
enum MultipartHeaderGuard {
    /// Whether every header name of every part is ASCII. A "line" ends at LF (with or
    /// without CR), so that no line ending the library might accept slips past.
    static func namesAreASCII(_ body: some Collection<UInt8>, boundary: String) -> Bool {
        let bytes = Array(body)
        let delimiter = Array("--\(boundary)".utf8)
        var cursor = 0
        while let found = firstIndex(of: delimiter, in: bytes, from: cursor) {
            // The rest of the delimiter line, then header lines up to a blank one.
            guard var line = nextLine(in: bytes, from: found + delimiter.count) else { return true }
            while line < bytes.count {
                let end = lineEnd(in: bytes, from: line)
                let content = bytes[line..<end].last == 13 ? bytes[line..<(end - 1)] : bytes[line..<end]
                if content.isEmpty { break }
                let name = content.prefix { $0 != 58 }  // up to ':'
                if name.contains(where: { $0 >= 0x80 }) { return false }
                line = end + 1
            }
            cursor = max(line, found + delimiter.count)
        }
        return true
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Where the line containing `start` ends (the index of its LF, or the end).
    private static func lineEnd(in bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex(of: 10) ?? bytes.count
    }

    /// The start of the line after the one containing `start`, if there is one.
    private static func nextLine(in bytes: [UInt8], from start: Int) -> Int? {
        let end = lineEnd(in: bytes, from: start)
        return end < bytes.count ? end + 1 : nil
    }
}
