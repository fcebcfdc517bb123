import Foundation
import Hummingbird
import NIOCore
import SigV4

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

    /// The request body, at most 1 MiB of it, held to strict JSON (see `StrictJSON`). A body
    /// sent as another media type than JSON → 415 (API.md: `Content-Type: application/json`
    /// on bodies); one sent with none is read as JSON. `integers`: top-level members whose
    /// numbers must be integers.
    static func data(from request: Request, integers: Set<String> = []) async throws -> Data {
        let data = Data(buffer: try await collect(request, orThrow: .invalidRequest("the request body must be JSON of at most 1 MiB")))
        if !data.isEmpty {
            try checkMediaType(request.headers[.contentType])
            try StrictJSON.check(data, integers: integers)
        }
        return data
    }

    /// `application/json`, or a `+json` type, parameters aside; nil (no `Content-Type`) too.
    static func checkMediaType(_ contentType: String?) throws(APIError) {
        guard let contentType else { return }
        let type = contentType.split(separator: ";", omittingEmptySubsequences: false).first
            .map { $0.trimmingWhitespace().lowercased() } ?? ""
        guard type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json")) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "the request body must be sent as application/json, not \(type.isEmpty ? "an empty Content-Type" : type)")
        }
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
///
/// Written from the date's millisecond count by arithmetic: every answer carries two or
/// three of these, and Foundation's ISO 8601 style plus `String(format:)` cost about 2 % of
/// the server's CPU in a small-file run (issue 12, perf). A test holds it to Foundation's
/// formatter from 1583 to 9999 (before that Foundation's calendar is Julian; ISO 8601's
/// stays Gregorian).
enum Timestamp {
    static func string(_ date: Date) -> String {
        let millis = date.millis
        let (days, dayMillis) = millis.floorDivided(by: 86_400_000)
        let (year, month, day) = civil(daysSinceEpoch: days)
        let seconds = dayMillis / 1000
        var text = ""
        text.reserveCapacity(24)
        append(year, width: 4, to: &text)
        text += "-"
        append(month, width: 2, to: &text)
        text += "-"
        append(day, width: 2, to: &text)
        text += "T"
        append(seconds / 3600, width: 2, to: &text)
        text += ":"
        append(seconds / 60 % 60, width: 2, to: &text)
        text += ":"
        append(seconds % 60, width: 2, to: &text)
        text += "."
        append(dayMillis % 1000, width: 3, to: &text)
        text += "Z"
        return text
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`, public domain: eras of 400 years starting on March 1).
    static func civil(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let (era, dayOfEra) = (days + 719_468).floorDivided(by: 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func append(_ value: Int64, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}

extension Int64 {
    /// Quotient rounded down and a remainder in 0..<divisor (`divisor` > 0), for times before 1970 too.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = self % divisor
        return remainder < 0 ? (self / divisor - 1, remainder + divisor) : (self / divisor, remainder)
    }
}

extension String {
    /// Percent-encoded for one URL path segment.
    var pathSegmentEncoded: String {
        // Most names are letters, digits and `-._~`, which no encoding changes: answered
        // without Foundation's round trip through `CFString`, about 0.6 % of the server's
        // CPU per small file (issue 12).
        if utf8.allSatisfy(AWSPercentEncoding.isUnreserved) { return self }
        return addingPercentEncoding(withAllowedCharacters: Self.pathSegmentAllowed) ?? self
    }

    /// Built once: every create answer encodes a name with it.
    private static let pathSegmentAllowed: CharacterSet = {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return allowed
    }()
}

