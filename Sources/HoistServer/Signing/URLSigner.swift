import SigV4
import Crypto
import Foundation

/// Signs and verifies storage URLs with HMAC-SHA256 over the method, object path, expiry
/// and the values of every header the client must send.
struct URLSigner: Sendable {
    let key: SymmetricKey

    init(secret: Data) {
        key = SymmetricKey(data: secret)
    }

    /// The hex signature for one request shape. Header names are lowercased and sorted so
    /// that the order a client sends them in does not matter.
    func signature(method: String, path: String, expires: Int64, headers: [(String, String)]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(canonical(method: method, path: path, expires: expires, headers: headers).utf8), using: key)
        return Hex.encode(mac)
    }

    /// Whether `candidate` is the signature of this request shape, compared in constant time.
    func verify(_ candidate: String, method: String, path: String, expires: Int64, headers: [(String, String)]) -> Bool {
        let expected = Array(signature(method: method, path: path, expires: expires, headers: headers).utf8)
        let given = Array(candidate.lowercased().utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }

    private func canonical(method: String, path: String, expires: Int64, headers: [(String, String)]) -> String {
        let lines = headers
            .map { ($0.0.lowercased(), $0.1.trimmingWhitespace()) }
            .sorted { $0.0 < $1.0 }
            .map { "\($0.0):\($0.1)" }
        return ([method.uppercased(), path, String(expires)] + lines).joined(separator: "\n")
    }
}
