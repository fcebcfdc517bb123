import Foundation

/// The `--wan` tables: one per profile, each measurement beside its peer or its bound,
/// the ratio, the WAN issue's target and whether it was met.
enum WANReport {
    static func render(_ results: [WANBench.Result], plan: BenchPlan) -> String {
        var blocks = results.map { table($0, plan: plan) }
        blocks.append([
            "round trip = one curl, four small GETs to the sink on one connection: the first pays the handshake the relay",
            "             adds (one RTT), the fastest other is the link's round trip; capacity = curl -T of the same bytes",
            "             to a sink that stores nothing, through the same shaped link and a relay of its own, so /rate is tbf's",
            "             efficiency (headers and ACKs included) and /capacity is what a perfect client would get here.",
            "large file: hoist = the whole `hoist upload` process (create, PUT with MD5, complete); curl = `curl -T` to a",
            "            signed URL (session created before timing); best of \(plan.largeFileRounds) round(s), each round sink, curl, hoist.",
            "small files: hoist = one `hoist upload DIR --jobs \(plan.hoistJobs)`; curl = xargs -P \(plan.curlParallel) over a bash script of",
            "             create/PUT/complete (3 curl processes, so 3 new connections, per file); bound = jobs / (3 × RTT),",
            "             three round trips per file on warm connections and no time of its own (judged at 40 ms only);",
            "             time per call = hoist's time × jobs / files / 3, beyond the RTT = less the warm round trip above;",
            "             server's time per request = hoist_request_duration_seconds over hoist's run, from its /metrics;",
            "             at the relay = from the API relay's trace of hoist's run: server = a request's last byte to its",
            "             answer's first, client = an answer's last byte to the next request's first on that connection,",
            "             each less the relay's one-way delay (the client's part also holds tbf and the relay's lateness).",
            "default jobs: the same files again with no `--jobs` (hoist adapts its concurrency, 4 to 32) beside `--jobs 4`,",
            "              the fixed default it replaced; gain = the --jobs 4 time over the default's.",
            "Server, sink and relays run in one network namespace, every client in another; a veth pair joins them,",
            "shaped by tbf at each end; all share this machine's \(CPUPinning.onlineCPUs) cores.",
        ].joined(separator: "\n"))
        return blocks.joined(separator: "\n\n")
    }

    /// The relay's split of a call, as the table shows it.
    static func relaySplit(_ split: RelayTrace.Split?) -> String {
        guard let split else { return "- (no trace)" }
        return Report.fineMilliseconds(split.serverSide) + "; " + (split.clientSide.map(Report.fineMilliseconds) ?? "-")
            + " over \(split.calls.formatted()) calls"
    }

    static func table(_ result: WANBench.Result, plan: BenchPlan) -> String {
        let profile = result.profile
        let large = result.large
        let small = result.small
        let largeName = Report.size(large.bytes) + " file"
        let smallName = "\(small.files.formatted()) × \(Report.size(Int64(plan.smallFileBytes)))"
        let capacity = large.capacity.map { Report.rate(large.bytes, $0) } ?? .nan
        let hoistRate = Report.rate(large.bytes, large.hoist)
        let largeRatio = hoistRate / Report.rate(large.bytes, large.curl)
        let capacityShare = hoistRate / capacity
        let smallRate = Report.rate(Int64(small.files), small.hoist)
        let curlSmallRate = Report.rate(Int64(small.files), small.curl)
        let bound = profile.smallFileBound(jobs: result.jobs)
        let boundShare = smallRate / bound
        let smallVerdict = profile.judgesSmallFiles ? Report.verdict(boundShare >= WANProfile.minimumBoundShare) : "(shown)"

        let rows: [[String]] = [
            ["\(profile.name)", "hoist", "curl / reference", "ratio", "target", "result"],
            ["round trip, small request", "",
             WANBench.milliseconds(result.warmRequest) + "; new connection " + WANBench.milliseconds(result.coldRequest),
             String(format: "%.2f of RTT", result.warmRequest.seconds * 1000 / Double(profile.rttMilliseconds)), "", ""],
            ["link capacity, curl -T to a sink", "",
             large.capacity.map { Report.seconds($0) + "  " + Report.megabytesPerSecond(large.bytes, $0) } ?? "-",
             String(format: "%.2f of rate", capacity / profile.bytesPerSecond), "", ""],
            [largeName + ", one upload",
             Report.seconds(large.hoist) + "  " + Report.megabytesPerSecond(large.bytes, large.hoist),
             Report.seconds(large.curl) + "  " + Report.megabytesPerSecond(large.bytes, large.curl),
             String(format: "%.3f", largeRatio), String(format: "≥ %.2f of curl", WANProfile.minimumLargeRatio),
             Report.verdict(largeRatio >= WANProfile.minimumLargeRatio)],
            [largeName + ", against capacity", Report.megabytesPerSecond(large.bytes, large.hoist),
             String(format: "%.1f MB/s capacity", capacity / 1e6),
             String(format: "%.3f", capacityShare), String(format: "≥ %.2f of capacity", WANProfile.minimumCapacityShare),
             Report.verdict(capacityShare >= WANProfile.minimumCapacityShare)],
            [largeName + ", client CPU; hoist peak RSS", Report.seconds(large.hoistCPU) + "; " + Report.mebibytes(large.hoistPeakRSS),
             Report.seconds(large.curlCPU), "", "", ""],
            [smallName + ", full lifecycle",
             Report.seconds(small.hoist) + "  " + String(format: "%.0f files/s", smallRate),
             Report.seconds(small.curl) + "  " + String(format: "%.0f files/s", curlSmallRate),
             String(format: "%.2f", smallRate / curlSmallRate), "", ""],
            [smallName + ", against \(result.jobs) jobs / (3 × RTT)", String(format: "%.0f files/s", smallRate),
             String(format: "%.0f files/s bound", bound), String(format: "%.3f", boundShare),
             String(format: "≥ %.2f of the bound", WANProfile.minimumBoundShare), smallVerdict],
            ["small files, client CPU", Report.seconds(small.hoistCPU), Report.seconds(small.curlCPU), "", "", ""],
            ["small files, time per call; beyond the RTT",
             Report.fineMilliseconds(small.timePerCall(jobs: result.jobs)) + "; "
                 + Report.fineMilliseconds(small.timePerCall(jobs: result.jobs) - result.warmRequest),
             "", "", "", ""],
            ["small files, server's time per request", Report.serverTime(small.serverTime), "", "", "", ""],
            ["small files, a call at the relay: server; client", Self.relaySplit(result.relaySplit), "", "", "", ""],
            [smallName + ", hoist's default jobs (adaptive)",
             String(format: "%.0f files/s", Report.rate(Int64(small.files), result.adaptive)),
             String(format: "--jobs 4: %.0f files/s", Report.rate(Int64(small.files), result.fixedFour)),
             String(format: "%.2f", result.fixedFour.seconds / max(result.adaptive.seconds, 1e-9)), "gain over --jobs 4", ""],
            ["server side CPU, whole profile", result.serverCPU.map { "hoist serve " + Report.seconds($0) } ?? "",
             result.relayCPU.map { "relays " + Report.seconds($0) } ?? "", "", "", ""],
        ]
        return Report.table(rows).joined(separator: "\n")
    }
}
