import ArgumentParser
import Foundation
import HoistEngine

/// `hoist gc`: aborts the multipart uploads under the profile's prefix that no unfinished
/// job of the journal owns (left by a killed tool, another machine, or an abort that failed).
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Abort orphaned S3 multipart uploads under the profile's prefix.")
    @OptionGroup var profile: ProfileOptions
    @Option(name: .customLong("older-than"), help: "Only uploads started longer ago than this (24h, 90m, 7d).")
    var olderThan = "24h"
    @Flag(name: .customLong("dry-run"), help: "List what would be aborted, abort nothing.")
    var dryRun = false

    func validate() throws {
        guard DurationText.parse(olderThan) != nil else { throw ValidationError("--older-than takes a duration like 24h or 90m, not \(olderThan)") }
    }

    func run() async throws {
        let age = TimeInterval((DurationText.parse(olderThan) ?? .seconds(86400)).components.seconds)
        let environment = ProcessInfo.processInfo.environment
        let journalPath = EngineConfiguration.defaultJournalPath(environment: environment)
        let dryRun = dryRun
        let outcome = try await RemoteCommand.run(profile) { api throws(EngineError) -> (aborted: Int, failed: Int) in
            guard let settings = api.profile.s3 else { throw .profile("hoist gc works on s3 profiles (--dialect s3)") }
            let journal = try Journal.open(path: journalPath)
            // Every prefix's jobs of this bucket: a listing under `P` or none meets `P/`'s uploads.
            var bucketOnly = api.profile
            bucketOnly.s3?.prefix = ""
            let owned = try journal.ownedUploadIDs(endpointsStartingWith: EngineConfiguration.bucketDestination(of: bucketOnly))
            let cutoff = Date().addingTimeInterval(-age)
            var aborted = 0, failed = 0
            for upload in try await api.pendingMultipartUploads(prefix: settings.prefix) where !owned.contains(upload.uploadID) {
                // An upload of unknown age is left alone: it may be another tool's, in flight.
                guard let initiated = upload.initiated, initiated <= cutoff else { continue }
                let line = "\(OneLine.escape(upload.key)) \(upload.uploadID) initiated \(initiated.formatted(.iso8601))"
                if dryRun {
                    Stdout.write("would abort \(line)\n")
                    aborted += 1
                    continue
                }
                do {
                    try await api.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
                    Stdout.write("aborted \(line)\n")
                    aborted += 1
                } catch {
                    Stderr.write("hoist gc: \(OneLine.escape(upload.key)): \(error)\n")
                    failed += 1
                }
            }
            return (aborted, failed)
        }
        Stderr.write("hoist gc: \(outcome.aborted) \(dryRun ? "to abort" : "aborted")\(outcome.failed > 0 ? ", \(outcome.failed) failed" : "")\n")
        if outcome.failed > 0 { throw ExitCode(1) }
    }
}
