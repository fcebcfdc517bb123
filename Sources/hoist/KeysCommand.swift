import ArgumentParser
import Foundation
import HoistServer

/// `hoist keys`: API keys of a server's data directory.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it, alone, on stdout.",
            discussion: "Only a hash of the key is stored: this is the one time it is shown. Works while servers run on the same store.")

        @Option(help: "The data directory of the server (its SQLite database).")
        var data: String?

        @OptionGroup var database: DatabaseOption

        @Option(help: "Comma-separated scopes: files:create, files:read.")
        var scopes: String

        @Option(help: "member or admin (admin may use knowledge_workspace).")
        var role: String = "member"

        @Option(name: .customLong("persona"), help: "A Luw persona id the key may use; repeat for more, the first is the default.")
        var personas: [Int64] = []

        @Option(help: "Add the key to this user (files belong to users); default: a new user.")
        var user: String?

        func validate() throws {
            if data == nil, database.location == .sqlite {
                throw ValidationError("give --data (a server's data directory) or --database (its PostgreSQL URL)")
            }
            // An empty or blank name would make a user nobody can name again.
            if let user, user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--user needs a name (omit it for a new user)")
            }
        }

        func run() async throws {
            let scopeList = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !scopeList.isEmpty else { throw ValidationError("--scopes needs at least one scope") }
            do {
                let admin = KeyAdmin(dataDirectory: data ?? "", metadata: database.location)
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
}
