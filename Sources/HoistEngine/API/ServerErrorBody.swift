import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What a server said in an error answer: Lightfield's and Luw's JSON, or the XML of S3
/// and every store that speaks its API (`<Error><Code>…</Code><Message>…</Message></Error>`).
struct ServerErrorBody: Equatable {
    var code: String?
    var message: String?
    /// S3's `<ServerTime>`, which its `RequestTimeTooSkewed` refusals carry.
    var serverTime: String?

    /// Reads `data` as either format; both fields nil when it is neither.
    static func parse(_ data: Data) -> ServerErrorBody {
        struct Lightfield: Decodable {
            struct Inner: Decodable { var type: String?; var message: String? }
            var error: Inner
        }
        struct Luw: Decodable { var error: String?; var message: String? }
        if let lightfield = try? JSONDecoder().decode(Lightfield.self, from: data) {
            return ServerErrorBody(code: lightfield.error.type, message: lightfield.error.message)
        }
        if let luw = try? JSONDecoder().decode(Luw.self, from: data) {
            return ServerErrorBody(code: luw.error, message: luw.message)
        }
        return S3ErrorXML.parse(data) ?? ServerErrorBody()
    }
}

/// S3's error document, read with Foundation's XML parser (no parsing by hand).
private final class S3ErrorXML: NSObject, XMLParserDelegate {
    private var path: [String] = []
    private var text = ""
    private var code: String?
    private var message: String?
    private var serverTime: String?

    static func parse(_ data: Data) -> ServerErrorBody? {
        // Not XML at all: do not spin up a parser for it.
        guard data.first(where: { !$0.isWhitespace }) == UInt8(ascii: "<") else { return nil }
        let reader = S3ErrorXML()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse(), reader.path.isEmpty, reader.code != nil || reader.message != nil else { return nil }
        return ServerErrorBody(code: reader.code, message: reader.message, serverTime: reader.serverTime)
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        path.append(name)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        // Only the document's own `<Error><Code>` and `<Error><Message>`, not nested ones.
        if path == ["Error", "Code"] { code = text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if path == ["Error", "Message"] { message = text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if path == ["Error", "ServerTime"] { serverTime = text.trimmingCharacters(in: .whitespacesAndNewlines) }
        path.removeLast()
        text = ""
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}

/// Text from a server made fit for one line of output: every run of whitespace and control
/// characters (newlines, tabs, escapes) becomes one space, and it is cut at `limit` characters.
enum OneLineText {
    static func of(_ text: String, limit: Int = 300) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            let category = scalar.properties.generalCategory
            let isBreak = CharacterSet.whitespacesAndNewlines.contains(scalar) || CharacterSet.controlCharacters.contains(scalar)
                || category == .lineSeparator || category == .paragraphSeparator
            if isBreak {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.unicodeScalars.append(" ") }
            pendingSpace = false
            out.unicodeScalars.append(scalar)
        }
        guard out.count > limit else { return out }
        return String(out.prefix(limit - 1)) + "…"
    }
}
