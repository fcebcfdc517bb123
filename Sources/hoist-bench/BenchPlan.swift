/// What one bench run measures, and the targets of issue 3 it is judged by.
struct BenchPlan: Sendable {
    /// Size of the one large file.
    var largeFileBytes: Int64
    /// Each side uploads the large file this many times; the best run counts.
    var largeFileRounds: Int
    var smallFileCount: Int
    var smallFileBytes: Int
    /// `hoist upload --jobs` for the small files.
    var hoistJobs: Int
    /// `xargs -P` for the curl loop (issue 3: 8).
    var curlParallel = 8
    /// No child may run longer than this.
    var childTimeout: Duration = .seconds(300)

    /// The full run of issue 3: one 1 GiB file, 2,000 files of 4 KiB.
    static let full = BenchPlan(
        largeFileBytes: 1 << 30, largeFileRounds: 3, smallFileCount: 2000, smallFileBytes: 4096, hoistJobs: 16)

    /// A smoke test that runs in seconds.
    static let quick = BenchPlan(
        largeFileBytes: 64 << 20, largeFileRounds: 1, smallFileCount: 200, smallFileBytes: 4096, hoistJobs: 16,
        childTimeout: .seconds(60))

    /// Targets: hoist within 5 % of curl on the large file.
    static let minimumLargeRatio = 0.95
    /// Targets: hoist's client side stays under 64 MiB while uploading the large file.
    static let maximumPeakRSS: Int64 = 64 << 20
    /// Targets: at least 1,000 files per second through the whole lifecycle.
    static let minimumFilesPerSecond = 1000.0
}
