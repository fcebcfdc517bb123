import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import NIOHTTP1

/// The fields of `POST /v2/upload`: `multipart/form-data` (what `curl -F` and a browser's
/// FormData send) or `application/x-www-form-urlencoded` (what `curl -d` sends).
///
/// Both bodies are parsed by the field's libraries (MultipartKit, Hummingbird's
/// `URLEncodedFormDecoder`); anything they cannot parse, a field given twice or as an
/// array, and text that is not UTF-8 are `400 invalid_request`.
struct LuwUploadForm: Equatable, Sendable {
    /// The file name; for a file part (`-F filename=@image.jpg`), the part's own file name,
    /// because the Luw dialect only needs the name.
    var filename: String?
    /// The persona, as sent; the route checks that it is an integer the caller owns.
    var pid: String?

    /// Parses `body` according to its `Content-Type`.
    static func parse(_ body: ByteBuffer, contentType: String?) throws(APIError) -> LuwUploadForm {
        guard let contentType, let media = MediaType(from: contentType) else {
            throw .invalidRequest("send a multipart/form-data or application/x-www-form-urlencoded form")
        }
        if media.isType(.multipartForm) {
            // MediaType keeps one parameter only; a charset may come before the boundary.
            guard let boundary = FormError.parameter("boundary", in: contentType), !boundary.isEmpty,
                  boundary.utf8.count <= 70
            else { throw .invalidRequest("multipart/form-data needs a boundary parameter of 1 to 70 characters") }
            return try multipart(body, boundary: boundary)
        }
        if media.isType(.applicationUrlEncoded) {
            return try urlEncoded(body)
        }
        throw .invalidRequest("send a multipart/form-data or application/x-www-form-urlencoded form, not \(media)")
    }

    private static let fieldNames: Set<String> = ["filename", "pid", "filename[]", "pid[]"]

    private struct URLEncodedFields: Decodable {
        var filename: String?
        var pid: String?
    }

    private static func urlEncoded(_ body: ByteBuffer) throws(APIError) -> LuwUploadForm {
        // The decoder replaces a escape that decodes to bad UTF-8 (`%E9`) with U+FFFD;
        // Foundation's decoding refuses it, so it vets the escapes first.
        guard let text = String(validating: body.readableBytesView, as: UTF8.self),
              text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding != nil
        else { throw .invalidRequest("the form is not UTF-8 or has a broken %-escape") }
        do {
            let fields = try URLEncodedFormDecoder().decode(URLEncodedFields.self, from: text)
            return LuwUploadForm(filename: fields.filename, pid: fields.pid)
        } catch {
            throw .invalidRequest("the form cannot be parsed: \(FormError.describe(error))")
        }
    }

    private static func multipart(_ body: ByteBuffer, boundary: String) throws(APIError) -> LuwUploadForm {
        guard MultipartHeaderGuard.namesAreASCII(body.readableBytesView, boundary: boundary) else {
            throw .invalidRequest("a multipart part has a header name that is not ASCII")
        }
        let parts: [MultipartPart]
        do {
            parts = try collectParts(body, boundary: boundary)
        } catch {
            throw .invalidRequest("the multipart body cannot be parsed (boundary \(boundary))")
        }
        var form = LuwUploadForm()
        var seen = Set<String>()
        for part in parts {
            guard let name = part.name else { throw .invalidRequest("a multipart part has no name") }
            // Fields this route reads must be unambiguous; others are ignored, as a form may carry more.
            guard seen.insert(name).inserted || !Self.fieldNames.contains(name) else {
                throw .invalidRequest("the field \(name) is given more than once")
            }
            let value: String
            if let fileName = FormError.dispositionFileName(part) {
                value = fileName
            } else {
                guard let text = String(validating: part.body.readableBytesView, as: UTF8.self) else {
                    throw .invalidRequest("the field \(name) is not UTF-8")
                }
                value = text
            }
            switch name {
            case "filename": form.filename = value
            case "pid": form.pid = value
            case "filename[]", "pid[]": throw .invalidRequest("\(name.dropLast(2)) must be a single value, not an array")
            default: break
            }
        }
        return form
    }

    /// Every complete part of the body. A body that ends before its closing boundary has
    /// lost its last part, which is an error rather than a shorter form.
    private static func collectParts(_ body: ByteBuffer, boundary: String) throws -> [MultipartPart] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var current = ByteBuffer()
        var open = false
        parser.onHeader = { name, value in
            open = true
            headers.add(name: name, value: value)
        }
        parser.onBody = { chunk in
            open = true
            current.writeBuffer(&chunk)
        }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: current))
            headers = HTTPHeaders()
            current = ByteBuffer()
            open = false
        }
        try parser.execute(body)
        // MultipartKit reports a part only once its first header line is complete, so a body
        // cut just after a delimiter looks whole: the closing delimiter must be there.
        let closing = Array("--\(boundary)--".utf8)
        let bytes = Array(body.readableBytesView)
        let closed = bytes.count >= closing.count
            && (0...(bytes.count - closing.count)).contains { bytes[$0..<($0 + closing.count)].elementsEqual(closing) }
        guard !open, !parts.isEmpty, closed else { throw FormError.incomplete }
        return parts
    }
}

/// What the form parsers need beside the libraries.
enum FormError: Error {
    /// The multipart body ended inside a part, or had none.
    case incomplete

    /// A short account of a `URLEncodedFormDecoder` failure, for the 400's message.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as URLEncodedFormError: return error.description
        case DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? "unexpected structure" : "\(field) must be a single text value"
        default: return "unexpected structure"
        }
    }

    /// The `filename` parameter of a part's `Content-Disposition`, when it is a file part.
    static func dispositionFileName(_ part: MultipartPart) -> String? {
        part.headers.first(name: "Content-Disposition").flatMap { parameter("filename", in: $0) }
    }

    /// The value of the `key=` parameter (quoted or not) of a header value such as
    /// `form-data; name="a"; filename="b.jpg"`.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.trimmingWhitespace()
            guard let eq = pair.firstIndex(of: "="), pair[..<eq].lowercased() == key else { continue }
            // Quotes are stripped as bytes: a quote followed by a combining mark is one Character.
            var value = Array(pair[pair.index(after: eq)...].utf8)
            if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                value = Array(value.dropFirst().dropLast())
            }
            return String(decoding: value, as: UTF8.self)
        }
        return nil
    }
}
