import Foundation
import Synchronization

/// AWS credentials that follow the files they came from.
///
/// Found once by ``AWSCredentialChain``; when they came from `~/.aws/credentials` or
/// `~/.aws/config` (not from the environment, which a running process cannot see change),
/// a change of either file is noticed at a signing and the chain is asked again. A tool
/// that renews temporary credentials by rewriting those files (`aws configure set`, a job
/// writing STS keys) is then followed: an engine that runs for days signs with the keys
/// the files hold now, not with ones that expired hours ago.
///
/// A rewrite is taken only once it has settled: the files must look the same at two looks
/// in a row, at least `checkEvery` apart. A file caught half-written (a key without its
/// secret or its token) is not taken; the keys in use stay until it is whole. The files
/// are read outside the lock, by one signer at a time: on a hung file system the others
/// go on signing with the keys in use.
public final class AWSCredentialsProvider: Sendable {
    private struct State {
        var credentials: SigV4Credentials
        /// The files as they were when `credentials` were read.
        var stamps: [FileStamp?]
        /// The files as the last look found them, when they differed from `stamps`.
        var seen: [FileStamp?]?
        var checkedAt: ContinuousClock.Instant
        var checking = false
    }

    /// What tells a rewritten file from the one read: its device, inode, size and change time.
    private struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var changeNanos: Int64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            #if canImport(Darwin)
            changeNanos = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
            #else
            changeNanos = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
            #endif
        }
    }

    private let chain: AWSCredentialChain?
    private let watched: [String]
    private let checkEvery: Duration
    private let state: Mutex<State>

    /// The credentials when they can never change (given, or from the environment).
    public var fixed: SigV4Credentials? { chain == nil ? state.withLock { $0.credentials } : nil }

    /// Credentials that never change.
    public init(fixed credentials: SigV4Credentials) {
        chain = nil
        watched = []
        checkEvery = .zero
        state = Mutex(State(credentials: credentials, stamps: [], checkedAt: .now))
    }

    /// The chain's credentials now; found again once the files they came from change and
    /// settle, looked at no more often than `checkEvery` (a flood of small uploads signs
    /// thousands of requests a second).
    public init(chain: AWSCredentialChain, checkEvery: Duration = .seconds(1)) throws(AWSCredentialsError) {
        // Stamped before the read: a file rewritten while it is read is read again.
        let watched = chain.usesEnvironment ? [] : [chain.credentialsFile, chain.configFile]
        let stamps = watched.map(FileStamp.init(path:))
        let credentials = try chain.credentials()
        self.chain = watched.isEmpty ? nil : chain
        self.watched = watched
        self.checkEvery = checkEvery
        state = Mutex(State(credentials: credentials, stamps: stamps, checkedAt: .now))
    }

    /// The credentials to sign with now.
    public var current: SigV4Credentials {
        guard let chain else { return state.withLock { $0.credentials } }
        let (credentials, due) = state.withLock { state -> (SigV4Credentials, Bool) in
            let now = ContinuousClock.now
            guard !state.checking, now - state.checkedAt >= checkEvery else { return (state.credentials, false) }
            state.checking = true
            state.checkedAt = now
            return (state.credentials, true)
        }
        guard due else { return credentials }
        let stamps = watched.map(FileStamp.init(path:))
        let settled = state.withLock { state -> Bool in
            if stamps == state.stamps {
                state.seen = nil
            } else if stamps != state.seen {
                // Changed since the last look too: maybe still being written. Looked at again later.
                state.seen = stamps
            } else {
                return true
            }
            state.checking = false
            return false
        }
        guard settled else { return credentials }
        let renewed = try? chain.credentials()
        return state.withLock { state in
            state.checking = false
            if let renewed {
                state.credentials = renewed
                state.stamps = stamps
                state.seen = nil
            }
            return state.credentials
        }
    }
}

extension AWSCredentialChain {
    /// Whether the credentials come from `AWS_ACCESS_KEY_ID` (and so never from the files).
    var usesEnvironment: Bool { nonEmpty("AWS_ACCESS_KEY_ID") != nil }
}
