import Foundation
import NIOSSL
import PostgresNIO

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require&pool=N]`,
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
        let where_ = host.isEmpty ? "local socket" : "\(host):\(port)"
        return PostgresURL(client: configuration, connection: connection, display: "\(where_)/\(database ?? user)")
    }
}
