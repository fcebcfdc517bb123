import ArgumentParser
import Foundation
import HoistServer

/// `hoist keys`: API keys of a server's data directory.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    /// Where the keys are: a server's data directory or its PostgreSQL database.
    struct Store: ParsableArguments {
        @Option(help: "The data directory of the server (its SQLite database).")
        var data: String?

        @OptionGroup var database: DatabaseOption

        func validate() throws {
            if data == nil, database.location == .sqlite {
                throw ValidationError("give --data (a server's data directory) or --database (its PostgreSQL URL)")
            }
        }

        /// The store's keys, for a command that reads or removes them: a data directory
        /// with no server's database in it, or a PostgreSQL database without hoist's schema
        /// (a mistyped URL), is refused (exit 1), not made anew and found empty.
        func existingAdmin(command: String) async throws -> KeyAdmin {
            let admin = KeyAdmin(dataDirectory: data ?? "", metadata: database.location)
            let exists: Bool
            do {
                exists = try await admin.storeExists()
            } catch {
                Stderr.write("hoist keys \(command): \(error)\n")
                throw ExitCode(1)
            }
            guard exists else {
                let place = database.location == .sqlite ? "\(data ?? "") holds no server's data (no hoist.sqlite)"
                    : "the database holds no server's data (no hoist schema); check --database"
                Stderr.write("hoist keys \(command): \(place)\n")
                throw ExitCode(1)
            }
            return admin
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it, alone, on stdout.",
            discussion: "Only a hash of the key is stored: this is the one time it is shown. Works while servers run on the same store.")

        @OptionGroup var store: Store

        @Option(help: "Comma-separated scopes: files:create, files:read.")
        var scopes: String

        @Option(help: "member or admin (admin may use knowledge_workspace).")
        var role: String = "member"

        @Option(name: .customLong("persona"), help: "A Luw persona id the key may use; repeat for more, the first is the default.")
        var personas: [Int64] = []

        @Option(help: "Add the key to this user (files belong to users); default: a new user.")
        var user: String?

        func validate() throws {
            // An empty or blank name would make a user nobody can name again.
            if let user, user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--user needs a name (omit it for a new user)")
            }
        }

        func run() async throws {
            let scopeList = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !scopeList.isEmpty else { throw ValidationError("--scopes needs at least one scope") }
            do {
                let admin = KeyAdmin(dataDirectory: store.data ?? "", metadata: store.database.location)
                let key = try await admin.createKey(scopes: scopeList, role: role, personas: personas, user: user)
                print(key)
            } catch let error as KeyAdminError where error.isUsage {
                throw ValidationError(error.description)
            } catch let error as KeyAdminError {
                // A valid command line the store refuses: its reason, without the usage.
                Stderr.write("hoist keys create: \(error.description)\n")
                throw ExitCode(1)
            } catch {
                Stderr.write("hoist keys create: \(error)\n")
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the keys, one a line: id, user, role, scopes, personas, created (tab-separated).",
            discussion: "Keys themselves are never shown: only their hashes are stored.")

        @OptionGroup var store: Store

        func run() async throws {
            let admin = try await store.existingAdmin(command: "list")
            do {
                for key in try await admin.listKeys() {
                    print([key.id, key.user, key.role, key.scopes, key.personas.isEmpty ? "-" : key.personas,
                           key.createdAt.ISO8601Format()].joined(separator: "\t"))
                }
            } catch {
                Stderr.write("hoist keys list: \(error)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke keys, named by id (key_..., as keys list shows) or by the key itself (hk_...).",
            discussion: "Servers on the store refuse a revoked key (401) from their next request on. The key's user and files stay.")

        @OptionGroup var store: Store

        @Argument(help: "Key ids or keys.")
        var keys: [String]

        func validate() throws {
            guard !keys.isEmpty else { throw ValidationError("name at least one key (its id, or the key)") }
        }

        func run() async throws {
            let admin = try await store.existingAdmin(command: "revoke")
            var missing = 0
            for given in keys {
                let key = Self.normalized(given)
                // Only an id is ever echoed: anything else may be a key, pasted in any form.
                let shown = Self.isKeyID(key) ? key : "matches the argument given (not shown: it may be a key)"
                do {
                    if let id = try await admin.revokeKey(key) {
                        print("revoked \(id)")
                    } else {
                        Stderr.write("hoist keys revoke: no key \(shown)\n")
                        missing += 1
                    }
                } catch {
                    Stderr.write("hoist keys revoke: \(error)\n")
                    throw ExitCode(1)
                }
            }
            if missing > 0 { throw ExitCode(1) }
        }

        /// The key or id in `argument` as a user may paste it: around spaces and quotes, or
        /// with the `Bearer ` of the header it was copied from (servers read a key the same
        /// way, so such a key is the same key).
        static func normalized(_ argument: String) -> String {
            var text = argument.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\"'")))
            if text.lowercased().hasPrefix("bearer ") { text = String(text.dropFirst("bearer ".count)) }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// `key_` and its letters and digits, as `keys list` shows ids.
        static func isKeyID(_ text: String) -> Bool {
            text.hasPrefix("key_") && text.count > 4 && text.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
