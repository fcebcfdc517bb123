import ArgumentParser
import Foundation
import HoistEngine
import Synchronization

/// `hoist status ID`: a file's metadata (Lightfield) as `key: value` lines.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show an uploaded file's status.")
    @OptionGroup var profile: ProfileOptions
    @Argument(help: "The file id (fil_...).") var id: String

    func validate() throws { try RemoteCommand.checkID(id) }

    func run() async throws {
        let file = try await RemoteCommand.run(profile) { api throws(EngineError) in try await api.status(id: id) }
        var lines = ["id: \(file.id)", "filename: \(file.filename)", "status: \(file.status)"]
        if let purpose = file.purpose { lines.append("purpose: \(purpose)") }
        if let mime = file.mimeType { lines.append("mimeType: \(mime)") }
        if let size = file.sizeBytes { lines.append("sizeBytes: \(size)") }
        if let md5 = file.md5 { lines.append("md5: \(md5)") }
        if let etag = file.etag { lines.append("etag: \(etag)") }
        if let checksum = file.checksum { lines.append("checksum: \(checksum)") }
        for (name, date) in [("createdAt", file.createdAt), ("completedAt", file.completedAt), ("expiresAt", file.expiresAt)] {
            if let date { lines.append("\(name): \(date.formatted(.iso8601))") }
        }
        print(lines.joined(separator: "\n"))
    }
}

/// `hoist url ID`: a signed download URL (Lightfield), the final URL itself (Luw), or a
/// presigned GET (s3, valid for `--expires`).
struct URLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "url", abstract: "Print a download URL for an uploaded file.")
    @OptionGroup var profile: ProfileOptions
    @Argument(help: "The file id (fil_...), Luw final URL, or S3 object key.") var id: String
    @Option(help: "S3: how long the presigned URL stays valid (90s, 15m, 12h, 7d; at most 7d).") var expires: String?

    func validate() throws {
        try RemoteCommand.checkID(id)
        if let expires {
            guard let duration = DurationText.parse(expires), duration >= .seconds(1), duration <= .seconds(604_800) else {
                throw ValidationError("--expires takes a duration from 1s to 7d, like 15m or 12h, not \(expires)")
            }
        }
    }

    func run() async throws {
        let validity = expires.flatMap(DurationText.parse)
        print(try await RemoteCommand.run(profile) { api throws(EngineError) -> String in
            // Only s3's URLs are signed here: a server's lives as long as the server says.
            if validity != nil, api.profile.dialect != .s3 {
                throw .profile("--expires is for the s3 dialect, whose URLs hoist signs; a \(api.profile.dialect.rawValue) server decides how long its URL lives")
            }
            return try await api.downloadURL(id: id, expiresIn: validity)
        })
    }
}

/// Durations as people type them: a number and `s`, `m`, `h` or `d`.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86400
        default: return nil
        }
        let (total, overflow) = value.multipliedReportingOverflow(by: seconds)
        return overflow ? nil : .seconds(total)
    }
}

/// `hoist cancel ID`: cancels a pending upload session (Lightfield), or aborts the pending
/// multipart uploads of an object key (s3).
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a pending upload session.")
    @OptionGroup var profile: ProfileOptions
    @Argument(help: "The file id (fil_...) or S3 object key.") var id: String

    func validate() throws { try RemoteCommand.checkID(id) }

    func run() async throws {
        let id = id
        // A store that does not answer is asked again (s3): each try is said, not waited out in silence.
        let announce: BriefRetry.Announce = { error, next in
            Stderr.write("hoist: cancel \(id): \(error); asking again (try \(next) of \(BriefRetry.tries))\n")
        }
        try await RemoteCommand.run(profile, doing: "cancel \(id)", announceRetry: announce) { api throws(EngineError) in
            guard api.cancelsSessions else { throw .profile("the \(api.profile.dialect.rawValue) dialect has no cancel call") }
            try await api.cancel(id: id)
        }
        print("cancelled \(id)")
    }
}

/// Shared plumbing: resolve the profile, run one call, print the error and exit 1 on failure.
enum RemoteCommand {
    /// An empty id (an unset shell variable) is a usage error, never a call.
    static func checkID(_ id: String) throws {
        guard !id.isEmpty else { throw ValidationError("an empty id was given") }
    }

    /// `doing`: what the command was doing, which its failure names (`hoist: cancel KEY: …`).
    static func run<T: Sendable>(_ options: ProfileOptions, doing: String? = nil, announceRetry: BriefRetry.Announce? = nil,
                                 _ body: (UploadAPI) async throws(EngineError) -> T) async throws -> T {
        let connection: Connection
        do {
            connection = try await options.connect()
        } catch {
            throw ConfigurationFailure.report(error)
        }
        do {
            let value = try await UploadAPI.with(profile: connection.profile, key: connection.key, announceRetry: announceRetry, body)
            await connection.close()
            return value
        } catch {
            await connection.close()
            // A call the profile cannot make (`cancel` in Luw) is the command line's error.
            if error.codeName == "profile" { throw ConfigurationFailure.report(error) }
            Stderr.write("hoist: " + (doing.map { "\($0): " } ?? "") + "\(error)\n")
            throw ExitCode(1)
        }
    }
}

/// Unbuffered writes to the standard streams, so each line leaves as it happens.
///
/// A stream that cannot be written (a reader gone: `hoist upload DIR | head -2`; a full
/// disk: `> /dev/full`) never stops the uploads it reports on: `FileHandle.write(_:)` traps
/// on such an error, and a trap mid-upload would leave sessions pending. Its lines are
/// dropped instead, and stderr says so once (stdout's case).
enum Stderr {
    static func write(_ text: String) { try? FileHandle.standardError.write(contentsOf: Data(text.utf8)) }

    /// What a message written at a signal starts with: on a terminal, a line break, which
    /// ends the live progress line (or the `^C` the terminal echoed); in a file, nothing,
    /// where it would be a blank line.
    static var afterTheLine: String { isatty(2) == 1 ? "\n" : "" }
}

enum Stdout {
    private static let failed = Mutex(false)

    /// The system's word for a failed write (`Broken pipe`), from Foundation's wrapper.
    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying?.code, underlying?.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(code))) }
        return (error as NSError).localizedDescription
    }

    static func write(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            guard !failed.withLock({ was in defer { was = true }; return was }) else { return }
            Stderr.write("hoist: standard output cannot be written (\(Self.reason(error))); the uploads go on, without their stdout lines\n")
        }
    }
}
