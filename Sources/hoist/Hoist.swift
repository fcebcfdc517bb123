import ArgumentParser
import Foundation

/// The `hoist` command: argument parsing and wiring only.
@main
struct Hoist: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hoist",
        abstract: "A terminal upload manager for presigned-URL upload services.",
        subcommands: [TUICommand.self, ServeCommand.self, KeysCommand.self, UploadCommand.self, StatusCommand.self, URLCommand.self,
                      CancelCommand.self],
        defaultSubcommand: TUICommand.self)

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // Usage errors exit 2 (ArgumentParser's default is 64).
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
