#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A signal that ends the program, as the screen reports it instead of exiting itself.
public struct TerminalSignal: Sendable, Hashable, CustomStringConvertible {
    /// The signal number.
    public let number: Int32

    /// Wraps a signal number.
    public init(_ number: Int32) { self.number = number }

    /// Ctrl-C, or `kill -INT`.
    public static let interrupt = TerminalSignal(SIGINT)
    /// `kill`, service managers stopping us.
    public static let terminate = TerminalSignal(SIGTERM)
    /// The SSH connection or terminal went away.
    public static let hangup = TerminalSignal(SIGHUP)

    /// The shell's convention for death by this signal: 128 + its number.
    public var exitStatus: Int32 { 128 + number }

    /// `SIGINT`, `SIGTERM`, `SIGHUP` or `signal N`.
    public var description: String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(number)"
        }
    }
}
