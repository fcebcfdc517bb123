import Foundation
import Hummingbird
import NIOCore

/// JSON in and out of routes, with errors in the API's own shape.
enum JSONBody {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// The request body, at most 1 MiB of it, held to strict JSON (see `StrictJSON`).
    static func data(from request: Request) async throws -> Data {
        let data = Data(buffer: try await collect(request, orThrow: .invalidRequest("the request body must be JSON of at most 1 MiB")))
        if !data.isEmpty { try StrictJSON.check(data) }
        return data
    }

    /// The request body, at most 1 MiB of it; `tooLarge` when there is more.
    static func collect(_ request: Request, orThrow tooLarge: APIError) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: 1 << 20)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            // What `collect(upTo:)` throws for a streamed body past the limit.
            throw tooLarge
        }
    }

    /// The request body as a JSON object; an empty body is `[:]` when `allowEmpty`.
    static func object(from request: Request, allowEmpty: Bool = false) async throws -> [String: Any] {
        let data = try await data(from: request)
        if data.isEmpty, allowEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError.invalidRequest("the request body must be a JSON object")
        }
        return object
    }
}

/// Timestamps as API.md writes them: ISO 8601 in UTC with milliseconds.
enum Timestamp {
    static func string(_ date: Date) -> String {
        let millis = date.millis
        let whole = Date(timeIntervalSince1970: Double(millis / 1000)).formatted(Date.ISO8601FormatStyle())
        return whole.dropLast() + String(format: ".%03dZ", Int(millis % 1000))
    }
}

extension String {
    /// Percent-encoded for one URL path segment.
    var pathSegmentEncoded: String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? self
    }
}
