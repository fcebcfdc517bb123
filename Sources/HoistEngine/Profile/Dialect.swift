/// Which of the two upload APIs an endpoint speaks (see API.md).
public enum Dialect: String, Sendable, Equatable, CaseIterable, Codable {
    /// `POST /v1/files` → PUT → `POST /v1/files/{id}/complete`.
    case lightfield
    /// `POST /v2/upload` → PUT → `GET /v2/finalize_upload`.
    case luw
}
