/// One shaped link of `--wan`: a rate (tbf, both ways) and a round-trip time (the delaying
/// relay, half each way), and the targets of the WAN issue it is judged by.
struct WANProfile: Sendable {
    var bitsPerSecond: Int64
    var rttMilliseconds: Int
    /// Whether the small-file target applies (the issue sets it for 40 ms; at 5 ms the
    /// bound is far above what CPU allows on two cores, so that row is shown, not judged).
    var judgesSmallFiles: Bool

    /// 100 Mbit/s at 40 ms, then 1 Gbit/s at 5 ms.
    static let all = [
        WANProfile(bitsPerSecond: 100_000_000, rttMilliseconds: 40, judgesSmallFiles: true),
        WANProfile(bitsPerSecond: 1_000_000_000, rttMilliseconds: 5, judgesSmallFiles: false),
    ]

    /// Targets: hoist at least 0.97× `curl -T` on the large file...
    static let minimumLargeRatio = 0.97
    /// ...and at least 90 % of the link's capacity as curl measured it to a sink.
    static let minimumCapacityShare = 0.90
    /// Targets: small files at 90 % of what the job count allows, jobs / (3 × RTT) per second.
    static let minimumBoundShare = 0.90

    var name: String { "\(Self.rate(bitsPerSecond)), \(rttMilliseconds) ms RTT" }
    var bytesPerSecond: Double { Double(bitsPerSecond) / 8 }
    /// The bandwidth-delay product: what the link holds in flight at full rate.
    var bdpBytes: Int { Int(bytesPerSecond * Double(rttMilliseconds) / 1000) }

    /// Held by the relay each way before it stops reading: one BDP (twice the one-way
    /// delay's worth, so the relay never throttles below the rate) and 256 KiB for reads
    /// that land at once.
    var relayHoldBytes: Int { bdpBytes + (256 << 10) }

    /// tbf's bucket: 2 ms of the rate, and at least 64 KiB, the largest GSO segment veth
    /// hands it (a smaller bucket makes tbf split or drop those).
    var tbfBurstBytes: Int { max(64 << 10, Int(bytesPerSecond * 0.002)) }
    /// tbf's queue: 10 ms of the rate (at least two buckets). The hop from client to relay
    /// has no delay of its own, so TCP fills any queue; a short one keeps that standing
    /// queue from adding latency the profile does not have.
    var tbfLimitBytes: Int { max(2 * tbfBurstBytes, Int(bytesPerSecond * 0.010)) }

    /// Files per second `jobs` lifecycles at once can reach when each costs three round
    /// trips (create, PUT, complete) on warm connections and nothing else.
    func smallFileBound(jobs: Int) -> Double { Double(jobs) * 1000 / (3 * Double(rttMilliseconds)) }

    /// `100 Mbit/s`, `1 Gbit/s`.
    static func rate(_ bitsPerSecond: Int64) -> String {
        bitsPerSecond >= 1_000_000_000 && bitsPerSecond % 1_000_000_000 == 0
            ? "\(bitsPerSecond / 1_000_000_000) Gbit/s" : "\(bitsPerSecond / 1_000_000) Mbit/s"
    }
}
