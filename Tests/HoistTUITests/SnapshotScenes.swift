import Foundation
import HoistEngine
import HoistTUI
import HoistTerminal

/// Fixed scenes for the pane snapshots: nothing in them depends on time or the machine.
enum SnapshotScenes {
    /// A browser with marks and a queue with a job in every state.
    static func busy(size: Size) -> AppState {
        var state = sampleState(size: size)
        state.browser.marks = ["/data/photos/a.png"]
        feed(&state, job: 1, path: "/data/photos/done.jpg", [.queued(size: 2048), .completed(remoteID: "fil_1", md5: "m")])
        feed(&state, job: 2, path: "/data/photos/holiday video.mp4", [
            .queued(size: 100 << 20), .started, .sessionCreated(remoteID: "fil_2", filename: "holiday video.mp4"),
            .progress(sent: 10 << 20, total: 100 << 20), .progress(sent: 20 << 20, total: 100 << 20),
            .progress(sent: 30 << 20, total: 100 << 20),
        ])
        feed(&state, job: 3, path: "/data/photos/写真.png", [.queued(size: 5000)])
        feed(&state, job: 4, path: "/data/photos/broken.png", [.queued(size: 1), .failed(.config("no such file"))])
        feed(&state, job: 5, path: "/data/photos/flaky.png", [.queued(size: 1), .retrying(attempt: 2, delay: .seconds(1), reason: "503")])
        feed(&state, job: 6, path: "/data/photos/never.png", [.queued(size: 1), .cancelled])
        state.say("queued 6 items", at: wall)
        return state
    }

    static func render(_ state: AppState, glyphs: Glyphs = .unicode) -> String {
        let screen = GridScreen(size: state.size)
        AppView.draw(state, on: Canvas(screen: screen, theme: .default, glyphs: glyphs))
        return screen.text
    }
}
