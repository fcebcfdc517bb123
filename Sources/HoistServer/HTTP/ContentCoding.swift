import Foundation
import HTTPTypes

/// Request bodies are taken as they are: a body with a content coding is refused (415,
/// `Accept-Encoding: identity`), never stored or parsed in its coded form. Before this, a
/// gzip PUT was stored as the file and served back without its coding (a broken image),
/// and a gzip JSON body was answered as malformed JSON.
enum ContentCoding {
    /// Throws when `headers` announce a body (`Content-Length` above 0, or
    /// `Transfer-Encoding`) coded with anything but `identity`. A request without a body
    /// is left alone: its `Content-Encoding` describes nothing.
    static func check(_ headers: HTTPFields) throws(APIError) {
        let codings = headers[values: .contentEncoding].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        guard let coding = codings.first(where: { $0 != "identity" }) else { return }
        let length = headers[.contentLength].flatMap { Int64($0) }
        guard (length ?? 0) > 0 || headers[.transferEncoding] != nil else { return }
        throw .unsupportedContentEncoding(coding)
    }
}
