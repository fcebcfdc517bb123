import Foundation
import Hummingbird

/// The server's contract, `openapi.json`, shipped as a resource of this module and served
/// at `GET /openapi.json`.
struct OpenAPIDocument: Sendable {
    let bytes: ByteBuffer

    /// Reads the document from the module's resources.
    static func load() throws -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url)
        else { throw ServerStartError(description: "openapi.json is missing from hoist's resources") }
        return OpenAPIDocument(bytes: ByteBuffer(bytes: data))
    }

    func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
    }
}
