import Synchronization
import Testing
@testable import HoistEngine

/// A multipart upload's progress, summed over parts that report at once from several threads.
@Suite struct PartProgressTests {
    @Test("parts reporting at once from several threads: the totals reach the job in order, below the size")
    func concurrentReportsStayInOrder() async {
        let parts = 4, steps = 20_000, partSize: Int64 = 8 << 20
        let size = Int64(parts) * partSize
        let seen = Mutex<[Int64]>([])
        let progress = PartProgress(base: 0, size: size) { total in seen.withLock { $0.append(total) } }
        await withTaskGroup(of: Void.self) { group in
            for number in 1...parts {
                group.addTask {
                    for step in 1...steps { progress.report(number, partSize * Int64(step) / Int64(steps)) }
                }
            }
        }
        let totals = seen.withLock { $0 }
        #expect(totals.count == parts * steps)
        let backwards = zip(totals, totals.dropFirst()).filter { $0 > $1 }
        #expect(backwards.isEmpty, "\(backwards.count) reports went back, first \(backwards.prefix(3))")
        #expect(totals.last == size - 1, "the size itself is for the completed upload")
    }

    @Test("the parts the store held count from the start; a late, smaller report of a part changes nothing")
    func baseAndLateReports() {
        let seen = Mutex<[Int64]>([])
        let progress = PartProgress(base: 100, size: 1_000) { total in seen.withLock { $0.append(total) } }
        progress.report(2, 50)
        progress.report(3, 30)
        progress.report(2, 20)
        progress.report(3, 400)
        #expect(seen.withLock { $0 } == [150, 180, 180, 550])
    }
}
