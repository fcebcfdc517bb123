import Foundation
import NIOSSL
import PostgresNIO

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require&pool=N&timeout=S]`,
/// the libpq URL form (`postgresql://` too). Without a host the client uses the local
/// socket directory's `.s.PGSQL.PORT`, as libpq does.
struct PostgresURL: Sendable {
    /// The pool's configuration.
    var client: PostgresClient.Configuration
    /// One connection's, for the first contact: a pool retries a refused connect for
    /// minutes, a single connection fails at once and says why.
    var connection: PostgresConnection.Configuration
    /// The URL without its password, for messages.
    var display: String
    /// How long one use of the database may take before its request is answered 503
    /// (`timeout=` seconds, default 30).
    var timeout = DatabaseDeadline.defaultLimit

    static func parse(_ text: String) throws -> PostgresURL {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw PostgresStoreError("--database must be a postgres://USER:PASSWORD@HOST:PORT/DATABASE URL")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let user = url.user?.removingPercentEncoding ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let password = url.password?.removingPercentEncoding
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let database = path.isEmpty ? nil : path.removingPercentEncoding
        let port = url.port ?? 5432
        let host = url.host?.removingPercentEncoding ?? ""

        var configuration: PostgresClient.Configuration
        var connection: PostgresConnection.Configuration
        if host.isEmpty || host.hasPrefix("/") {
            let path = "\(host.isEmpty ? (query["host"] ?? "/var/run/postgresql") : host)/.s.PGSQL.\(port)"
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
            connection = .init(unixSocketPath: path, username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            let connectionTLS: PostgresConnection.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable":
                (tls, connectionTLS) = (.disable, .disable)
            case "prefer", "allow":
                tls = .prefer(.makeClientConfiguration())
                connectionTLS = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case "require", "verify-ca", "verify-full":
                tls = .require(.makeClientConfiguration())
                connectionTLS = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case let other: throw PostgresStoreError("unknown sslmode \(other) (disable, prefer, require)")
            }
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
            connection = .init(host: host, port: port, username: user, password: password, database: database, tls: connectionTLS)
        }
        if let pool = query["pool"] {
            guard let size = Int(pool), size > 0 else { throw PostgresStoreError("pool must be a positive number of connections") }
            configuration.options.maximumConnections = size
        }
        var millis = Int64(DatabaseDeadline.defaultLimit.components.seconds) * 1000
        if let text = query["timeout"] {
            guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 3600 else {
                throw PostgresStoreError("timeout must be a number of seconds above 0 and at most 3600, not \(text)")
            }
            millis = Int64((seconds * 1000).rounded(.up))
        }
        let timeout = Duration.milliseconds(millis)
        // The database gives up a statement at the same limit (a lock wait counts), so a
        // request answered 503 does not leave its connection waiting in the pool's place.
        // The first contact sends it too (so a server that refuses it says so at start) and
        // lifts it for the migration.
        configuration.options.additionalStartupParameters = [("statement_timeout", String(millis))]
        connection.options.additionalStartupParameters = configuration.options.additionalStartupParameters
        let where_ = host.isEmpty ? "local socket" : "\(host):\(port)"
        return PostgresURL(client: configuration, connection: connection, display: "\(where_)/\(database ?? user)", timeout: timeout)
    }
}
