import Foundation
import Testing
@testable import hoist

/// `hoist upload`'s human text.
@Suite("hoist upload: human text")
struct ProgressTextTests {
    @Test("a retry's wait reads as ICU's narrow units did (1s 500ms, 30s, 250ms), without ICU")
    func retryWaits() {
        let cases: [(Duration, String)] = [
            (.milliseconds(1500), "1s 500ms"), (.seconds(30), "30s"), (.milliseconds(250), "250ms"), (.zero, "0ms"),
            (.seconds(600), "600s"), (.microseconds(2_000_400), "2s"), (.milliseconds(-5), "0ms"),
        ]
        for (duration, text) in cases {
            #expect(ProgressText.wait(duration) == text, "\(duration)")
        }
        // The same as the formatter it replaces, where that one is defined.
        for duration in cases.map(\.0) where duration >= .zero {
            #expect(ProgressText.wait(duration) == duration.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)), "\(duration)")
        }
    }
}
