import TOMLKit

/// The keys `config.toml` may hold and the TOML type of each, checked before the file is
/// decoded: a key it does not know is refused by name, so that a misspelling (`no-clobber`,
/// the flag's spelling) is never silently ignored and its setting silently off, and a
/// value of the wrong type says which key and which type (the decoder itself reports a
/// wrong type as a missing key). Values are never echoed: one may be a secret's name.
enum ConfigKeys {
    // Computed, not stored: TOMLKit's type is not Sendable, and a config is read once.
    static var topLevel: [String: TOMLType] {
        ["default_profile": .string, "theme": .string, "background": .bool, "engine_idle_exit": .int,
         "engine_list_done": .int, "profiles": .table]
    }

    static var profile: [String: TOMLType] {
        ["dialect": .string, "endpoint": .string, "api_key_env": .string, "purpose": .string, "pid": .int,
         "temporary": .bool, "bucket": .string, "region": .string, "prefix": .string, "path_style": .bool,
         "no_clobber": .bool, "multipart_threshold": .int]
    }

    /// The profile keys that mean something in some dialects only (the rest in all).
    static let dialects: [String: Set<Dialect>] = [
        "api_key_env": [.lightfield, .luw], "purpose": [.lightfield], "pid": [.luw], "temporary": [.luw],
        "bucket": [.s3], "region": [.s3], "prefix": [.s3], "path_style": [.s3], "no_clobber": [.s3], "multipart_threshold": [.s3],
    ]

    /// Throws ``EngineError/config(_:)`` naming the first unknown key or mistyped value.
    static func check(_ text: String) throws(EngineError) {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw .config("config.toml: \(error)") }
        try check(table, against: topLevel, in: "config.toml")
        guard let profiles = table["profiles"]?.table else { return }
        for name in profiles.keys.sorted() {
            guard let entry = profiles[name]?.table else {
                throw .config("config.toml: profiles.\(name) must be a table of settings ([profiles.\(name)])")
            }
            try check(entry, against: profile, in: "config.toml: profile \(name)")
            try checkDialect(entry, in: "config.toml: profile \(name)")
        }
    }

    /// A profile names its dialect, and holds no key of another dialect: one would be
    /// ignored (a `no_clobber` in a Luw profile, whose names are objects, replaced them).
    private static func checkDialect(_ entry: TOMLTable, in place: String) throws(EngineError) {
        let known = Dialect.allCases.map(\.rawValue).joined(separator: ", ")
        guard let name = entry["dialect"]?.string else { throw .config("\(place): dialect is missing (\(known))") }
        guard let dialect = Dialect(rawValue: name) else { throw .config("\(place): dialect must be one of \(known)") }
        let foreign = entry.keys.sorted().filter { dialects[$0].map { !$0.contains(dialect) } ?? false }
        guard !foreign.isEmpty else { return }
        throw .config("\(place): \(foreign.joined(separator: ", ")) \(foreign.count == 1 ? "is" : "are") not for the \(dialect.rawValue) dialect")
    }

    private static func check(_ table: TOMLTable, against allowed: [String: TOMLType], in place: String) throws(EngineError) {
        for key in table.keys.sorted() {
            guard let wanted = allowed[key] else {
                let spelled = key.lowercased().replacingOccurrences(of: "-", with: "_")
                let hint = allowed[spelled] != nil && spelled != key ? " (did you mean \(spelled)?)" : ""
                throw .config("\(place): unknown key \(key)\(hint); the keys are \(allowed.keys.sorted().joined(separator: ", "))")
            }
            guard let value = table[key], value.type == wanted else {
                throw .config("\(place): \(key) must be \(describe(wanted)), not \(table[key].map { describe($0.type) } ?? "nothing")")
            }
        }
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string (in quotes)"
        case .int: "an integer"
        case .bool: "true or false"
        case .table: "a table"
        case .array: "an array"
        case .double: "a number with a fraction"
        default: "a \(type)"
        }
    }
}
