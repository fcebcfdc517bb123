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
                FileHandle.standardError.write(Data(((negativeNumberMessage() ?? fullMessage(for: error)) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }

    /// ArgumentParser reads `--jobs -1` as an option with no value ("Missing value for
    /// '--jobs <jobs>'"), since `-1` looks like a flag. Said plainly instead: no option of
    /// hoist takes a negative number.
    static func negativeNumberMessage() -> String? {
        let arguments = CommandLine.arguments.dropFirst()
        for (option, value) in zip(arguments, arguments.dropFirst())
        where option.hasPrefix("--") && value.hasPrefix("-") && Double(value) != nil {
            let command = CommandLine.arguments.count > 1 && !CommandLine.arguments[1].hasPrefix("-") ? " " + CommandLine.arguments[1] : ""
            return "Error: \(option) takes no negative number, not \(value)\n  See 'hoist\(command) --help' for the values it takes."
        }
        return nil
    }
}
