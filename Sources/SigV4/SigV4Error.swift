/// What signing can refuse: one struct, a stable code, a human message.
public struct SigV4Error: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable {
        case expiryOutOfRange
    }

    private let code: Code
    /// The human message.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// A presigned URL's validity must be between 1 second and 7 days (SigV4's limit).
    public static func expiryOutOfRange(_ requested: Duration) -> Self {
        .init(.expiryOutOfRange, "a presigned URL must be valid for 1 second to 7 days, not \(requested)")
    }
}
