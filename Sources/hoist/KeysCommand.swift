import ArgumentParser
import Foundation
import HoistServer

/// `hoist keys`: API keys of a server's data directory.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it, alone, on stdout.",
            discussion: "Only a hash of the key is stored: this is the one time it is shown. Works while a server runs on the same directory.")

        @Option(help: "The data directory of the server.")
        var data: String

        @Option(help: "Comma-separated scopes: files:create, files:read.")
        var scopes: String

        @Option(help: "member or admin (admin may use knowledge_workspace).")
        var role: String = "member"

        @Option(name: .customLong("persona"), help: "A Luw persona id the key may use; repeat for more, the first is the default.")
        var personas: [Int64] = []

        @Option(help: "Add the key to this user (files belong to users); default: a new user.")
        var user: String?

        func run() throws {
            let scopeList = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !scopeList.isEmpty else { throw ValidationError("--scopes needs at least one scope") }
            do {
                let key = try KeyAdmin(dataDirectory: data).createKey(scopes: scopeList, role: role, personas: personas, user: user)
                print(key)
            } catch let error as KeyAdminError {
                throw ValidationError(error.description)
            }
        }
    }
}
