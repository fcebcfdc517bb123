import HTTPTypes

/// What part of a stored object a GET asks for (RFC 9110 §14): one byte range, so that a
/// download cut off (`curl -C -`, a browser, a video player) goes on from where it stopped
/// instead of from zero.
///
/// One range only: a request for several is answered with the whole object (200), as the
/// RFC allows, rather than with a multipart body. A `Range` that does not parse, or an
/// `If-Range` that does not name the object's ETag, is ignored the same way.
enum ByteRange: Equatable {
    /// The whole object: 200.
    case whole
    /// These bytes of it, both ends included: 206 with `Content-Range`.
    case part(ClosedRange<Int64>)
    /// None of its bytes (a start at or past its end, an empty suffix): 416.
    case unsatisfiable

    /// The range `request` asks of an object of `size` bytes whose ETag is `etag`.
    static func requested(by request: HTTPFields, size: Int64, etag: String) -> ByteRange {
        guard let header = request[.range] else { return .whole }
        // A range of another version is no range of this one: the whole object.
        if let ifRange = request[.ifRange], ifRange.trimmingWhitespace() != etag { return .whole }
        let text = header.trimmingWhitespace()
        guard text.lowercased().hasPrefix("bytes=") else { return .whole }
        // Empty list elements do not count (RFC 9110 §5.6.1.2): `bytes=0-0,` is one range.
        let specs = text.dropFirst("bytes=".count).split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard specs.count == 1 else { return .whole }
        let spec = specs[0]
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), !(first.isEmpty && last.isEmpty) else { return .whole }
        if first.isEmpty {
            // The last N bytes (digits past Int64: more than any file has, so all of it).
            let count = Int64(last) ?? Int64.max
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - count)...(size - 1))
        }
        // Digits past Int64 name a start past any end.
        guard let start = Int64(first) else { return .unsatisfiable }
        let end = last.isEmpty ? Int64.max : (Int64(last) ?? Int64.max)
        // `5-2` is no range at all (ignored); a start at or past the end is one of no bytes.
        guard end >= start else { return .whole }
        guard start < size else { return .unsatisfiable }
        return .part(start...min(end, size - 1))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
