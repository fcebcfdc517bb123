import ArgumentParser
import HoistEngine

/// How every command reports a configuration it cannot run with (no such profile, a missing
/// API key variable, an unreadable config file): the error's own description, once, on
/// stderr, and exit 2. The TUI and `hoist upload` say it the same way because both end here.
enum ConfigurationFailure {
    /// The line written on stderr.
    static func message(_ error: any Error) -> String { "hoist: \(error)" }

    /// Writes the message and returns the exit code to throw.
    static func report(_ error: any Error) -> ExitCode {
        Stderr.write(message(error) + "\n")
        return ExitCode(2)
    }
}
