import Foundation

/// Sends the parts of a multipart session: those the store does not hold yet, `partJobs` at
/// a time, each streamed from its range of the file with its own `Content-MD5`.
///
/// Before sending, the journal's parts are reconciled with the store's (`ListParts`, every
/// page): a part counts as sent only when the store lists it with the ETag hoist recorded,
/// or, for a part the journal missed (killed between the store's answer and the journal
/// write), with the ETag the local range's MD5 gives. Each part is journaled as soon as the
/// store acknowledges it, so a kill loses at most the parts in flight.
struct MultipartUploader: Sendable {
    let uploader: FileUploader
    let api: UploadAPI
    let journal: Journal
    let partJobs: Int

    /// What a reconciliation found: parts to keep, parts to send, and whether it read parts
    /// again to check them (`onVerifying` heard it).
    struct Reconciled: Sendable, Equatable {
        var held: [UploadedPart]
        var missing: [Int]
        var checked = false
    }

    /// Uploads every missing part of `session` for job row `row`; returns every part.
    /// `onVerifying` hears the reconcile's hashing of parts it must check (checked, total;
    /// see `EngineEvent.Kind.verifying`), if any. `onResumed` hears the bytes the store
    /// already holds (the parts kept), once, before any `onProgress`, which counts from there.
    func upload(_ file: FileIdentity, session: RemoteSession, row: Int64,
                onVerifying: @escaping @Sendable (Int64, Int64) -> Void = { _, _ in },
                onResumed: @escaping @Sendable (Int64) -> Void = { _ in },
                onProgress: @escaping @Sendable (Int64) -> Void) async throws(EngineError) -> [UploadedPart] {
        guard let multipart = session.multipart else { throw .protocolViolation("internal: multipart upload without an upload id") }
        let plan = PartPlan(size: file.size, partSize: multipart.partSize)
        // Taken before any byte is read: parts sent now are recorded with it (a change after
        // it shows as another stamp at the next reconcile, which then reads them again), and
        // the sends are watched against it, so a change during the reconcile's reads stops
        // this attempt too.
        let stamp = try FileUploader.check(file)
        let reconciled = try await reconcile(file, session: session, plan: plan, row: row, stamp: stamp, onVerifying: onVerifying)
        let held = reconciled.held
        let base = held.reduce(Int64(0)) { $0 + $1.size }
        let progress = PartProgress(base: base, size: file.size, onProgress: onProgress)
        // After a check, even one that kept nothing: the job is past it, and sending.
        if base > 0 || reconciled.checked { onResumed(base) }
        let sentParts = try await uploader.watching(file, url: session.uploadURL, since: stamp) { [self] in
            try await withThrowingTaskGroup(of: UploadedPart.self) { group in
                var pending = reconciled.missing[...]
                var done: [UploadedPart] = []
                var firstError: (any Error)?
                let send: @Sendable (Int) async throws -> UploadedPart = { number in
                    try await sendPart(number, of: file, session: session, plan: plan, row: row, stamp: stamp) {
                        progress.report(number, $0)
                    }
                }
                for _ in 0..<max(1, partJobs) {
                    if let number = pending.popFirst() { group.addTask { try await send(number) } }
                }
                // A failed part stops new ones; parts in flight finish and are journaled,
                // so the next attempt sends only what is still missing.
                while let result = await group.nextResult() {
                    switch result {
                    case .success(let part):
                        done.append(part)
                        progress.report(part.number, part.size)
                        if firstError == nil, let number = pending.popFirst() { group.addTask { try await send(number) } }
                    case .failure(let error):
                        if firstError == nil { firstError = error }
                    }
                }
                if let firstError { throw firstError }
                return done
            }
        }
        return (held + sentParts).sorted { $0.number < $1.number }
    }

    /// The parts the store holds that hoist can vouch for, and the numbers still to send.
    ///
    /// A journaled part is taken on its ETag alone only when it was read while the file had
    /// `stamp`, its change stamp now. Otherwise the file was written since (perhaps with its
    /// mtime put back, which the journal's identity cannot see), and the part is kept only
    /// if its range still hashes to what the store holds; `onVerifying` hears that hashing
    /// (checked, total), which for a large file takes seconds with nothing else to show.
    func reconcile(_ file: FileIdentity, session: RemoteSession, plan: PartPlan, row: Int64,
                   stamp: FileIdentity.ChangeStamp,
                   onVerifying: @escaping @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws(EngineError) -> Reconciled {
        guard let uploadID = session.multipart?.uploadID else { return Reconciled(held: [], missing: Array(1...plan.count)) }
        let listed = Dictionary(try await api.listParts(of: session).map { ($0.number, $0) }, uniquingKeysWith: { _, last in last })
        let recorded = Dictionary(try journal.journaledParts(row: row, uploadID: uploadID).map { ($0.part.number, $0) },
                                  uniquingKeysWith: { _, last in last })
        var held: [UploadedPart] = []
        var missing: [Int] = []
        var forget: [Int] = []
        var unvouched: [(number: Int, range: Range<Int64>, etag: String)] = []
        for number in 1...plan.count {
            let range = plan.range(of: number)
            let size = range.upperBound - range.lowerBound
            guard let stored = listed[number], stored.size == size else {
                missing.append(number)
                if recorded[number] != nil { forget.append(number) }
                continue
            }
            if let mine = recorded[number], mine.part.etag == stored.etag, mine.stamp == stamp.journalText {
                held.append(mine.part)
                continue
            }
            // Listed but not journaled, journaled with another ETag, or read before the file
            // last changed: kept below only if it is this file's bytes now.
            unvouched.append((number, range, stored.etag))
        }
        if !unvouched.isEmpty {
            let total = unvouched.reduce(Int64(0)) { $0 + $1.range.upperBound - $1.range.lowerBound }
            let progress = VerifyProgress(total: total, interval: uploader.progressInterval, clock: uploader.clock, report: onVerifying)
            var before: Int64 = 0
            for part in unvouched {
                let md5 = try await FileDigest.md5(of: file.path, range: part.range, chunkSize: uploader.chunkSize) { [before] in
                    progress.read(before + $0)
                }
                let size = part.range.upperBound - part.range.lowerBound
                before += size
                if md5.hex == part.etag {
                    let kept = UploadedPart(number: part.number, etag: part.etag, size: size, md5: md5.hex)
                    try journal.recordPart(row: row, uploadID: uploadID, kept, stamp: stamp)
                    held.append(kept)
                } else {
                    missing.append(part.number)
                    if recorded[part.number] != nil { forget.append(part.number) }
                }
            }
            progress.finish()
        }
        try journal.removeParts(row: row, uploadID: uploadID, numbers: forget)
        return Reconciled(held: held.sorted { $0.number < $1.number }, missing: missing.sorted(), checked: !unvouched.isEmpty)
    }

    /// Sends one part and journals it.
    private func sendPart(_ number: Int, of file: FileIdentity, session: RemoteSession, plan: PartPlan, row: Int64,
                          stamp: FileIdentity.ChangeStamp, onProgress: @escaping @Sendable (Int64) -> Void) async throws -> UploadedPart {
        let range = plan.range(of: number)
        let md5 = try await FileDigest.md5(of: file.path, range: range, chunkSize: uploader.chunkSize, readAhead: false)
        let target = try api.putTarget(for: session, part: number, contentMD5: md5.base64)
        let sent = try await uploader.put(file, range: range, to: target, readAhead: false, onProgress: onProgress)
        guard sent.md5 == md5.hex else { throw EngineError.fileChanged(file.path) }
        if let stored = sent.storedMD5, stored != md5.hex {
            throw EngineError.http(status: 422, code: "checksum_mismatch", message: "part \(number): the store's ETag \(stored) is not the MD5 sent (\(md5.hex))")
        }
        let etag = sent.etag.map(S3ETag.bare) ?? md5.hex
        let part = UploadedPart(number: number, etag: etag, size: range.upperBound - range.lowerBound, md5: md5.hex)
        if let uploadID = session.multipart?.uploadID { try journal.recordPart(row: row, uploadID: uploadID, part, stamp: stamp) }
        return part
    }

    /// The object's expected ETag from its parts' MD5s.
    static func expectedETag(_ parts: [UploadedPart]) -> String? {
        var digests: [[UInt8]] = []
        for part in parts.sorted(by: { $0.number < $1.number }) {
            guard let hex = part.md5 ?? (S3ETag.isMD5(part.etag) ? part.etag : nil), let bytes = FileDigest.bytes(ofHex: hex) else { return nil }
            digests.append(bytes)
        }
        return FileDigest.multipartETag(partMD5s: digests)
    }
}
