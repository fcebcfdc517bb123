/// What the status line and the ETA measure across all jobs: bytes moved and their rate,
/// and the round trips (create, complete) each file costs besides its bytes. Counts of
/// jobs are not here: they are derived from the rows (``QueueState/counts``).
public struct TransferStats: Sendable, Equatable {
    /// Every byte handed to the network, retries included; what the speed is measured on.
    public private(set) var transferred: Int64 = 0
    /// The rate of ``transferred``, from event times.
    public private(set) var rate = RateWindow()
    private var createSeconds = 0.0
    private var creates = 0
    private var completeSeconds = 0.0
    private var completes = 0

    public init() {}

    /// Counts `delta` more bytes taken at `time` (0 for a PUT that starts: an anchor).
    public mutating func add(bytes delta: Int64, at time: Duration) {
        transferred += max(0, delta)
        rate.record(total: transferred, at: time, waited: createSeconds + completeSeconds)
    }

    /// A create round trip took `duration`. It counts in the rate's window with the next bytes.
    public mutating func measured(create duration: Duration) {
        createSeconds += max(0, duration.seconds)
        creates += 1
    }

    /// A complete round trip took `duration`.
    public mutating func measured(complete duration: Duration) {
        completeSeconds += max(0, duration.seconds)
        completes += 1
    }

    /// The mean create round trip so far, in seconds.
    public var meanCreate: Double? { creates > 0 ? createSeconds / Double(creates) : nil }
    /// The mean complete round trip so far; `nil` until one was measured. Not the create's:
    /// the first create also pays for the connection (seconds on a loaded machine), which
    /// a complete on the same connection does not.
    public var meanComplete: Double? { completes > 0 ? completeSeconds / Double(completes) : nil }
}
