import Foundation
import SigV4

extension S3XMLElement {
    /// The root element of `data`, or a `protocolViolation` naming `what` was expected.
    /// `alias` is another root name some stores use (moto answers ListParts with
    /// `ListPartsResponse`, S3 with `ListPartsResult`).
    ///
    /// A body that is not XML at all is taken for an answer cut off on its way (S3 sends a
    /// complete's status line first and its document minutes later; a proxy may end it
    /// early), a network failure the call's retries cure: a complete asked again finds its
    /// upload completed, a create asked again has its first upload found and aborted.
    static func parse(_ data: Data, expecting what: String, alias: String? = nil) throws(EngineError) -> S3XMLElement {
        guard let root = S3XMLElement.root(of: data) else {
            throw .network("\(what): the answer is not XML, cut off? (\(OneLineText.of(String(decoding: data.prefix(200), as: UTF8.self), limit: 120)))")
        }
        guard root.name == what || root.name == alias else {
            // S3 answers some calls (CompleteMultipartUpload) 200 with an <Error> document.
            if root.name == "Error" {
                let code = root.value("Code").map { OneLineText.of($0, limit: 64) }
                let message = OneLineText.of(root.value("Message") ?? "error")
                throw .http(status: 200, code: code, message: message)
            }
            // Another document than S3's (an HTML page a proxy or portal put in its place):
            // not the store's answer, so asked again as a network failure is.
            throw .network("\(what): expected <\(what)>, got <\(OneLineText.of(root.name, limit: 64))>")
        }
        return root
    }
}

/// Escapes text for an XML element's content.
enum XMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
