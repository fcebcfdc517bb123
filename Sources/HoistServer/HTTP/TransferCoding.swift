import Foundation
import HTTPTypes

/// The one transfer coding the server decodes is `chunked`. NIO's parser frames a body by
/// its last coding and passes the others through, so `Transfer-Encoding: gzip, chunked`
/// would store the compressed bytes as the file: such a request gets 501, as RFC 9112
/// §6.1 asks of a coding the server does not understand.
enum TransferCoding {
    static func check(_ head: HTTPRequest) throws(APIError) {
        if let refusal = refusal(of: head.headerFields[values: .transferEncoding]) { throw .notImplemented(refusal) }
    }

    /// Why the `Transfer-Encoding` values given cannot be served, nil when they can (none,
    /// or `chunked` alone). Also what `ConnectionReuseHandler` closes a connection on.
    static func refusal(of values: [String]) -> String? {
        for value in values {
            // An empty list (or a header with nothing in it) names no coding the body has.
            let codings = value.split(separator: ",").filter { !$0.trimmingWhitespace().isEmpty }
            if codings.isEmpty { return "an empty Transfer-Encoding names no coding; send the body as is or chunked" }
            for coding in codings {
                let name = coding.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
                if name != "chunked" {
                    return "the transfer coding \(name.isEmpty ? "(empty)" : name) is not supported; send the body as is or chunked"
                }
            }
        }
        return nil
    }
}
