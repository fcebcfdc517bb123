import Crypto
import Foundation

extension SigV4Payload {
    /// The payload of a body held in memory (a multipart `Complete` document, a small PUT).
    /// Streamed bodies are hashed as they are read and given as `.sha256(hex:)`, or unsigned.
    public static func hashing(_ body: some DataProtocol) -> SigV4Payload {
        .sha256(hex: Hex.encode(SHA256.hash(data: body)))
    }
}
