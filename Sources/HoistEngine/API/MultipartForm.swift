import Foundation
import NIOCore

/// A `multipart/form-data` body of plain text fields (Luw's create call).
struct MultipartForm {
    let boundary = "hoist-\(UInt64.random(in: 0...UInt64.max))"
    private var fields: [(String, String)] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    func body() -> ByteBuffer {
        var buffer = ByteBuffer()
        for (name, value) in fields {
            let escaped = name.replacingOccurrences(of: "\"", with: "%22")
            buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(escaped)\"\r\n\r\n\(value)\r\n")
        }
        buffer.writeString("--\(boundary)--\r\n")
        return buffer
    }
}
