import ArgumentParser
import Foundation
import HoistServer

/// Where a server's metadata lives, for `hoist serve` and `hoist keys create`.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("database"),
            help: "PostgreSQL for metadata and keys: postgres://USER:PASSWORD@HOST:PORT/DB (default: HOIST_DATABASE_URL, else SQLite in --data).")
    var database: String?

    var location: MetadataLocation { .from(database, environment: ProcessInfo.processInfo.environment) }
}

/// The signing secret several instances share (`--secret-file`, else `HOIST_SECRET`).
struct SecretOption: ParsableArguments {
    @Option(name: .customLong("secret-file"),
            help: "A file whose contents sign URLs, shared by every instance (default: HOIST_SECRET, else the store's own).")
    var secretFile: String?

    /// At least 32 bytes: the secret is an HMAC-SHA256 key.
    func secret() throws -> Data? {
        let text: String
        if let secretFile {
            do {
                text = try String(contentsOfFile: secretFile, encoding: .utf8)
            } catch {
                throw ValidationError("--secret-file: cannot read \(secretFile)")
            }
        } else if let value = ProcessInfo.processInfo.environment["HOIST_SECRET"], !value.isEmpty {
            text = value
        } else {
            return nil
        }
        let secret = Data(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard secret.count >= 32 else {
            throw ValidationError("the signing secret must be at least 32 characters (e.g. openssl rand -hex 32)")
        }
        return secret
    }
}
