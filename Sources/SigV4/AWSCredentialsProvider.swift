import Foundation
import Synchronization

/// AWS credentials that follow the files they came from.
///
/// Found once by ``AWSCredentialChain``; when they came from `~/.aws/credentials` or
/// `~/.aws/config` (not from the environment, which a running process cannot see change),
/// a change of either file is seen at the next signing and the chain is asked again. Tools
/// that renew temporary credentials (`aws sso login`, a cron job writing STS keys) rewrite
/// those files, so an engine that runs for days signs with the keys they hold now rather than
/// with ones that expired hours ago. A file caught half-written, or one that no longer names
/// the profile, keeps the credentials in use.
public final class AWSCredentialsProvider: Sendable {
    private struct State {
        var credentials: SigV4Credentials
        var stamps: [FileStamp?]
        var checkedAt: ContinuousClock.Instant
    }

    /// What tells a rewritten file from the one read: its inode, size and change time.
    private struct FileStamp: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = Int(info.st_mtim.tv_sec)
            nanoseconds = Int(info.st_mtim.tv_nsec)
        }
    }

    private let chain: AWSCredentialChain?
    private let watched: [String]
    private let checkEvery: Duration
    private let state: Mutex<State>

    /// Credentials that never change (given in full, or read from the environment).
    public init(fixed credentials: SigV4Credentials) {
        chain = nil
        watched = []
        checkEvery = .zero
        state = Mutex(State(credentials: credentials, stamps: [], checkedAt: .now))
    }

    /// The chain's credentials now; found again whenever the files they came from change,
    /// looked at no more often than `checkEvery` (a flood of small uploads signs thousands
    /// of requests a second).
    public init(chain: AWSCredentialChain, checkEvery: Duration = .seconds(1)) throws(AWSCredentialsError) {
        // Stamped before the read: a file rewritten while it is read is read again.
        let watched = chain.usesEnvironment ? [] : [chain.credentialsFile, chain.configFile]
        let stamps = watched.map(FileStamp.init(path:))
        let credentials = try chain.credentials()
        self.chain = chain
        self.watched = watched
        self.checkEvery = checkEvery
        state = Mutex(State(credentials: credentials, stamps: stamps, checkedAt: .now))
    }

    /// The credentials to sign with now.
    public var current: SigV4Credentials {
        guard let chain, !watched.isEmpty else { return state.withLock { $0.credentials } }
        return state.withLock { state in
            let now = ContinuousClock.now
            guard now - state.checkedAt >= checkEvery else { return state.credentials }
            state.checkedAt = now
            let stamps = watched.map(FileStamp.init(path:))
            guard stamps != state.stamps else { return state.credentials }
            // Only a read that found credentials moves the stamps on: a half-written file
            // is looked at again at the next check.
            if let renewed = try? chain.credentials() {
                state.credentials = renewed
                state.stamps = stamps
            }
            return state.credentials
        }
    }
}

extension AWSCredentialChain {
    /// Whether the credentials come from `AWS_ACCESS_KEY_ID` (and so never from the files).
    var usesEnvironment: Bool { nonEmpty("AWS_ACCESS_KEY_ID") != nil }
}
