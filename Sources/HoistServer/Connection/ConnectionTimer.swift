import NIOCore

/// The time limits of one connection, as a pure state machine fed with what arrives and
/// leaves; `ConnectionWatchdog` performs what it decides.
///
/// - idle: nothing of a next request has arrived (`idleTimeout`);
/// - head: bytes arrived but the request head is not complete (`headerTimeout`);
/// - body: the body is being read and no byte came for `bodyTimeout`;
/// - busy: the server is working on, or sending, its answer: no client deadline.
///
/// Across all of them, an answer the client does not take: while the connection's output
/// is over NIO's high-water mark, the client must read enough to bring it under the low one
/// within `sendTimeout`, or the connection closes (a download nobody reads would otherwise
/// hold its connection, and its open file, for ever). The same holds once the server closes
/// the connection's output (``outputClosing(at:)``): what is still queued must go, or the
/// connection does, whatever the water marks say.
struct ConnectionTimer: Sendable {
    enum Phase: Sendable, Equatable { case idle, head, body, busy }

    /// What the connection gets when its deadline passes.
    enum Expiry: Sendable, Equatable {
        /// Closed without a word: nobody is waiting for an answer.
        case idle
        /// A 408 without a request to answer in a dialect, then closed.
        case head
        /// The request body fails with `RequestTimeout`, so that its route discards the
        /// upload and answers 408; then the connection closes.
        case body
        /// The client stopped reading an answer: closed, as no answer can reach it (unless
        /// one last look at the kernel's count finds it moved).
        case send
        /// The output is waiting: time to look at the kernel's count of acknowledged bytes
        /// again (``outputSampled(at:moved:)``).
        case sample
    }

    let limits: ConnectionLimits
    private var since: NIODeadline
    private var readingBody = false
    private var partialHead = false
    /// Requests whose head arrived and whose response has not ended (pipelining allows more than one).
    private var inFlight = 0
    /// Since when the output has waited for the client to read (nil while it flows).
    private var blockedSince: NIODeadline?
    /// When the kernel's count was last looked at during this wait.
    private var sampledAt: NIODeadline?
    /// The server is closing the connection once its output is written.
    private var closing = false

    init(limits: ConnectionLimits, now: NIODeadline) {
        self.limits = limits
        since = now
    }

    var phase: Phase {
        if readingBody { return .body }
        if inFlight > 0 { return .busy }
        return partialHead ? .head : .idle
    }

    /// When the current phase runs out, or the client must have read more of an answer,
    /// whichever comes first; `nil` while the server is busy and its output flows.
    var deadline: NIODeadline? {
        let send = blockedSince.map { min($0 + limits.sendTimeout, (sampledAt ?? $0) + sampleInterval) }
        guard let phaseDeadline else { return send }
        return min(phaseDeadline, send ?? phaseDeadline)
    }

    private var phaseDeadline: NIODeadline? {
        // Closing, no request will be read or answered any more: only the output's wait
        // counts. Idle with the output waiting, the client is still reading the last answer:
        // the send timeout judges it, and the idle one counts once the output flows.
        if closing || (phase == .idle && blockedSince != nil) { return nil }
        return switch phase {
        case .idle: since + limits.idleTimeout
        case .head: since + limits.headerTimeout
        case .body: since + limits.bodyTimeout
        case .busy: nil
        }
    }

    /// The output went over the high-water mark: the client is not reading as fast as the
    /// server writes.
    mutating func outputBlocked(at now: NIODeadline) {
        guard blockedSince == nil else { return }
        blockedSince = now
        sampledAt = now
    }

    /// The client read the output back under the low-water mark.
    mutating func outputFlowed(at now: NIODeadline) {
        guard !closing else { return }
        blockedSince = nil
        sampledAt = nil
        if phase == .idle { since = now }
    }

    /// The server closes the connection's output once what is queued has been written (an
    /// answer said `Connection: close`, or the client half-closed and has been answered).
    /// Below the high-water mark NIO says the output flows, and a client that stopped
    /// reading held the connection for ever (requests pipelined behind a closing one are
    /// never answered, so it stayed busy, with no deadline). From now the client must take
    /// some of the output every send timeout; once it has taken it all, the count stops
    /// and the connection goes a send timeout later, if the client has not closed it.
    mutating func outputClosing(at now: NIODeadline) {
        outputBlocked(at: now)
        closing = true
    }

    /// How often the kernel's count is looked at while the output waits: the send timeout
    /// then counts from the last time it moved, give or take this, and not from when the
    /// wait began. Looked at only when the wait began and when it ran out, a count that
    /// moved in the wait's first moments (the kernel still filling the client's buffer)
    /// let a client that read nothing at all hold the connection for twice the timeout.
    var sampleInterval: TimeAmount { min(.seconds(1), .nanoseconds(limits.sendTimeout.nanoseconds / 4)) }

    /// Whether the output is under the high-water mark (no send timeout running).
    var isOutputFlowing: Bool { blockedSince == nil }

    /// The kernel's count was looked at `now`; `moved`: the client took some of the answer
    /// since the last look (a client that reads, however slowly, is taking it). The send
    /// timeout counts from the last move, so that only one that takes none of it for that
    /// long is cut off, not a slow link whose output stays over the water mark while it drains.
    mutating func outputSampled(at now: NIODeadline, moved: Bool) {
        guard blockedSince != nil else { return }
        sampledAt = now
        if moved { blockedSince = now }
    }

    mutating func bytesArrived(at now: NIODeadline) {
        guard phase == .idle else { return }
        partialHead = true
        since = now
    }

    mutating func headArrived(at now: NIODeadline) {
        partialHead = false
        readingBody = true
        inFlight += 1
        since = now
    }

    mutating func bodyArrived(at now: NIODeadline) {
        if readingBody { since = now }
    }

    mutating func requestEnded() {
        readingBody = false
    }

    mutating func responseEnded(at now: NIODeadline) {
        inFlight = max(0, inFlight - 1)
        if phase == .idle { since = now }
    }

    /// What happens at `now`: `nil` while the deadline has not passed.
    func expiry(at now: NIODeadline) -> Expiry? {
        if let blockedSince {
            if now >= blockedSince + limits.sendTimeout { return .send }
            if now >= (sampledAt ?? blockedSince) + sampleInterval { return .sample }
        }
        guard let deadline = phaseDeadline, now >= deadline else { return nil }
        switch phase {
        case .idle: return .idle
        case .head: return .head
        case .body: return .body
        case .busy: return nil
        }
    }
}

/// The limits every connection is held to; API.md and issue defaults.
public struct ConnectionLimits: Sendable, Equatable {
    /// A request head must be complete this long after its first byte.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// A keep-alive connection with no request under way is closed after this long.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// A request body that sends nothing for this long is answered 408 and closed.
    public var bodyTimeout: TimeAmount = .seconds(60)
    /// An answer the client takes none of for this long (its output stays over the
    /// high-water mark) closes the connection.
    public var sendTimeout: TimeAmount = .seconds(60)
    /// A connection answered before its request's body arrived (and so closing) goes on
    /// taking, and dropping, what the client still sends for this long after its answer and
    /// end of file, so that no reset overtakes the answer (RFC 9112 section 9.6).
    public var linger: TimeAmount = .seconds(2)
    /// Connections open at once; more wait in the backlog until one closes. Lowered to
    /// fit the process's descriptor limit.
    public var maxConnections: Int = 4096
    /// Connections the kernel may queue before the server accepts them.
    public var backlog: Int = 1024

    public init() {}
}
