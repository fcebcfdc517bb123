import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An S3 answer document as a tree of elements, read with Foundation's `XMLParser` (external
/// entities off). S3's answers are small (a page of 1,000 parts at most), so a tree is fine.
/// Shared by the engine's s3 dialect and the server's S3 blob store; each turns a document
/// it did not expect into its own error.
public struct S3XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [S3XMLElement]

    public init(name: String, text: String, children: [S3XMLElement]) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child called `name`.
    public func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }
    /// Every child called `name`, in document order.
    public func all(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }
    /// The trimmed text of the first child called `name`.
    public func value(_ name: String) -> String? { child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) } }

    /// The root element of `data`, or nil when it is not XML. S3 may send whitespace before
    /// the document (it keeps a long CopyObject's connection alive that way).
    public static func root(of data: Data) -> S3XMLElement? {
        // An XML declaration must come first in a document, so the spaces go before parsing.
        let start = data.firstIndex { !Self.isSpace($0) } ?? data.endIndex
        let reader = Reader()
        let parser = XMLParser(data: Data(data[start...]))
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse() else { return nil }
        return reader.root
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

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
