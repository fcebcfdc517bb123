import Foundation
import Hummingbird

/// A stored object as an HTTP response, streamed from disk (or from the metadata store,
/// which keeps small bodies), under rules that keep stored content from running script on
/// the API's origin.
enum ObjectResponse {
    /// The answer to a GET whose `If-None-Match` names the object's ETag, or is `*` (RFC 9110
    /// §13.1.2): 304 with the ETag and no body, nothing read. Nil when it names neither (or
    /// the request has none): the object is served.
    /// The 304 repeats the `Cache-Control` and `Expires` the 200 would carry (RFC 9110
    /// §15.4.5: `servesStoredHeaders`, as a Luw final URL does), so a cache keeps the
    /// freshness the bytes were stored with.
    static func notModified(_ object: ObjectRecord, request: HTTPFields, servesStoredHeaders: Bool = false) -> Response? {
        guard noneMatchNames(object, request) else { return nil }
        let etag = "\"\(object.md5)\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        if servesStoredHeaders {
            if let cache = object.cacheControl { headers[.cacheControl] = cache }
            if let expires = object.expiresHeader { headers[.expires] = expires }
        }
        return Response(status: .notModified, headers: headers)
    }

    /// Whether the request's `If-None-Match` names `object`: `*`, or its ETag among the
    /// tags, compared weakly as the RFC asks for this header (`W/"x"` is `"x"`).
    static func noneMatchNames(_ object: ObjectRecord, _ request: HTTPFields) -> Bool {
        let etag = "\"\(object.md5)\"", weak = "W/" + etag
        let tags: [String] = request[values: .ifNoneMatch].flatMap { $0.split(separator: ",").map { String($0).trimmingWhitespace() } }
        return tags.contains { tag in tag == "*" || tag == etag || tag == weak }
    }

    /// The object, or the one byte range of it `request` asks for (``ByteRange``): 200 with
    /// `Accept-Ranges: bytes`, 206 with `Content-Range`, or 416.
    static func make(_ object: ObjectRecord, filename: String, blobs: DiskBlobStore, store: any MetadataStore,
                     request: HTTPFields = [:]) async throws -> Response {
        let etag = "\"\(object.md5)\""
        let bytes: ClosedRange<Int64>?
        switch ByteRange.requested(by: request, size: object.size, etag: etag) {
        case .whole: bytes = nil
        case .part(let part): bytes = part
        case .unsatisfiable: throw APIError.rangeNotSatisfiable(size: object.size)
        }
        let offset = bytes?.lowerBound ?? 0
        let length = bytes.map { $0.upperBound - $0.lowerBound + 1 } ?? object.size
        let body: ResponseBody
        if DiskBlobStore.isInline(object.blobId) {
            let kept = try await keptBytes(of: object, store: store)
            body = ResponseBody(byteBuffer: ByteBuffer(bytes: kept[Int(offset)..<Int(offset + length)]))
        } else {
            // Deleted since the object was read: a PUT replaced it, or the sweep took it.
            guard let blob = try OpenBlob(path: blobs.path(of: object.blobId)) else { throw APIError.notFound() }
            body = blob.body(from: offset, length: length)
        }
        var headers = HTTPFields()
        ContentSafety.apply(to: &headers, contentType: object.contentType, filename: filename)
        headers[.contentLength] = String(length)
        headers[.eTag] = etag
        headers[.acceptRanges] = "bytes"
        guard let bytes else { return Response(status: .ok, headers: headers, body: body) }
        headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(object.size)"
        return Response(status: .partialContent, headers: headers, body: body)
    }

    /// The bytes of an object whose body the metadata store keeps.
    static func keptBytes(of object: ObjectRecord, store: any MetadataStore) async throws -> Data {
        guard let bytes = try await store.smallBody(blobId: object.blobId) else {
            // The triggers delete a body only with its object: a PUT that replaced it, or
            // the sweep, committed since the caller read the object. What it read is gone:
            // 404 (a Luw final URL then serves the name's new object, `DiskBlobs`). With
            // the object still there, the store is broken.
            if try await store.object(at: object.objectKey)?.blobId == object.blobId { throw APIError.internalError() }
            throw APIError.notFound()
        }
        // One of another size is broken too: a 500, never a short or empty 200.
        guard Int64(bytes.count) == object.size else { throw APIError.internalError() }
        return bytes
    }
}

/// How stored bytes are served so that a browser never runs them as a page of this origin.
///
/// Luw stores whatever `Content-Type` its PUT carried, so a `.jpg` can arrive as
/// `text/html`: the type is judged when it is served, not trusted from the upload.
enum ContentSafety {
    /// Sets `Content-Type`, `X-Content-Type-Options: nosniff`, a sandboxing
    /// `Content-Security-Policy` and, for types a browser would execute, an attachment
    /// disposition.
    static func apply(to headers: inout HTTPFields, contentType: String, filename: String) {
        let essence = Self.essence(of: contentType)
        headers[.contentType] = essence.isEmpty ? "application/octet-stream" : contentType
        headers[.xContentTypeOptions] = "nosniff"
        // A sandbox CSP on every object: an image or video still shows, but nothing served
        // from storage ever gets this origin's cookies or storage, whatever its type.
        headers[.contentSecurityPolicy] = "sandbox"
        if isScriptCapable(essence) {
            headers[.contentDisposition] = attachment(filename)
        }
    }

    /// `type/subtype` in lower case, without parameters; "" when the value is not a media type.
    /// A value with a comma is a list to a browser, whose last valid type wins
    /// (`text/plain, text/html` renders as HTML), so it is not one media type either.
    static func essence(of contentType: String) -> String {
        guard !contentType.utf8.contains(UInt8(ascii: ",")) else { return "" }
        // Cut at the ";" byte, as a browser does, not at a Character (";" plus a combining
        // mark is one Character).
        let bytes = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let essence = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        let halves = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty else { return "" }
        return essence
    }

    /// Whether a browser would run content of this type as a document or script: HTML,
    /// XHTML, SVG, any XML, JavaScript and its aliases.
    static func isScriptCapable(_ essence: String) -> Bool {
        if essence.hasSuffix("+xml") || essence.hasSuffix("/xml") { return true }
        if essence.contains("javascript") || essence.contains("ecmascript") { return true }
        return scriptTypes.contains(essence)
    }

    private static let scriptTypes: Set<String> = [
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xsl", "application/xslt+xml",
        "text/jscript", "text/livescript", "application/x-shockwave-flash", "text/vtt+html",
        "multipart/x-mixed-replace",
    ]

    /// `attachment` with the name as plain ASCII and, for any other name, RFC 5987's UTF-8 form.
    static func attachment(_ filename: String) -> String {
        let ascii = String(filename.unicodeScalars.map { scalar -> Character in
            (scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\") ? Character(scalar) : "_"
        })
        var value = "attachment; filename=\"\(ascii)\""
        if ascii != filename, let encoded = filename.addingPercentEncoding(withAllowedCharacters: .rfc5987AttrChar) {
            value += "; filename*=UTF-8''\(encoded)"
        }
        return value
    }
}

extension CharacterSet {
    /// RFC 5987's `attr-char`.
    static let rfc5987AttrChar = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
}

