import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An S3 answer document as a tree of elements, read with Foundation's `XMLParser` (external
/// entities off). S3's answers are small (a page of 1,000 parts at most), so a tree is fine.
struct S3XMLElement: Sendable, Equatable {
    var name: String
    var text: String
    var children: [S3XMLElement]

    /// The first child called `name`.
    func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }
    /// Every child called `name`, in document order.
    func all(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }
    /// The trimmed text of the first child called `name`.
    func value(_ name: String) -> String? { child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) } }

    /// The root element of `data`, or a `protocolViolation` naming `what` was expected.
    /// `alias` is another root name some stores use (moto answers ListParts with
    /// `ListPartsResponse`, S3 with `ListPartsResult`).
    static func parse(_ data: Data, expecting what: String, alias: String? = nil) throws(EngineError) -> S3XMLElement {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse(), let root = reader.root else {
            throw .protocolViolation("\(what): the answer is not XML (\(OneLineText.of(String(decoding: data.prefix(200), as: UTF8.self), limit: 120)))")
        }
        guard root.name == what || root.name == alias else {
            // S3 answers some calls (CompleteMultipartUpload) 200 with an <Error> document.
            if root.name == "Error" {
                let code = root.value("Code").map { OneLineText.of($0, limit: 64) }
                let message = OneLineText.of(root.value("Message") ?? "error")
                throw .http(status: 200, code: code, message: message)
            }
            throw .protocolViolation("expected <\(what)>, got <\(OneLineText.of(root.name, limit: 64))>")
        }
        return root
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var stack: [S3XMLElement] = []
        var root: S3XMLElement?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            stack.append(S3XMLElement(name: name, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }
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
