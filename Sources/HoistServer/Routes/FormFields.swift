import Foundation

/// The text fields of a small form body: `multipart/form-data` (what `curl -F` and a
/// browser's FormData send) or `application/x-www-form-urlencoded`.
enum FormFields {
    /// Field name → value. For a file part (`-F filename=@image.jpg`), the value is the
    /// part's own file name, because the Luw dialect only needs the name.
    static func parse(_ body: Data, contentType: String?) throws(APIError) -> [String: String] {
        let type = contentType ?? ""
        if type.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = parameter("boundary", in: type) else {
                throw .invalidRequest("multipart/form-data without a boundary")
            }
            return try multipart(body, boundary: boundary)
        }
        if type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            var components = URLComponents()
            components.percentEncodedQuery = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
            var fields: [String: String] = [:]
            for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
            return fields
        }
        throw .invalidRequest("send a multipart/form-data or application/x-www-form-urlencoded form")
    }

    private static func multipart(_ body: Data, boundary: String) throws(APIError) -> [String: String] {
        let delimiter = Data("--\(boundary)".utf8)
        var fields: [String: String] = [:]
        var cursor = body.startIndex
        guard let first = body.range(of: delimiter, in: cursor..<body.endIndex) else {
            throw .invalidRequest("the multipart body has no parts")
        }
        cursor = first.upperBound
        while let next = body.range(of: delimiter, in: cursor..<body.endIndex) {
            var part = body[cursor..<next.lowerBound]
            cursor = next.upperBound
            // Each part is "\r\n<headers>\r\n\r\n<value>\r\n".
            if part.starts(with: Data("\r\n".utf8)) { part = part.dropFirst(2) }
            if part.count >= 2, part.suffix(2) == Data("\r\n".utf8) { part = part.dropLast(2) }
            guard let split = part.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let headers = String(decoding: part[part.startIndex..<split.lowerBound], as: UTF8.self)
            let value = part[split.upperBound...]
            guard let disposition = headers.split(separator: "\r\n").first(where: {
                $0.lowercased().hasPrefix("content-disposition:")
            }) else { continue }
            let text = String(disposition)
            guard let name = parameter("name", in: text) else { continue }
            fields[name] = parameter("filename", in: text) ?? String(decoding: value, as: UTF8.self)
        }
        return fields
    }

    /// The value of `key=` (quoted or not) in a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.trimmingCharacters(in: .whitespaces)
            guard let eq = pair.firstIndex(of: "="), pair[..<eq].lowercased() == key else { continue }
            var value = String(pair[pair.index(after: eq)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
