import ArgumentParser
import Foundation
import HoistEngine

/// The `hoist` command: argument parsing and wiring only.
@main
struct Hoist: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hoist",
        abstract: "A terminal upload manager for presigned-URL upload services.",
        version: HoistVersion.line,
        subcommands: [TUICommand.self, ServeCommand.self, KeysCommand.self, UploadCommand.self, StatusCommand.self, URLCommand.self,
                      CancelCommand.self, GCCommand.self, EngineCommand.self, AttachCommand.self, JobsCommand.self, StopCommand.self],
        defaultSubcommand: TUICommand.self)

    static func main() async {
        do {
            var command = try parseAsRoot()
            EngineExecutor.install(for: command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as EngineError {
            // What a command let through unhandled is the configuration it was started with
            // (profile, key variable, config file, journal): the TUI reaches this for a
            // missing key, and says it as `hoist upload` does.
            exit(withError: ConfigurationFailure.report(error))
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
