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
        // Times only move forward, as an engine's do: job 2 uploads last, so that it is moving now.
        feed(&state, job: 1, path: "/data/photos/done.jpg", [.queued(size: 2048), .completed(remoteID: "fil_1", md5: "m")])
        feed(&state, job: 3, path: "/data/photos/写真.png", [.queued(size: 5000)], start: .seconds(2))
        feed(&state, job: 4, path: "/data/photos/broken.png", [.queued(size: 1), .failed(.unreadable("/data/photos/broken.png", "Permission denied"))],
             start: .seconds(3))
        feed(&state, job: 5, path: "/data/photos/flaky.png", [
            .queued(size: 1), .retrying(attempt: 2, delay: .seconds(10), reason: "server answered 503: busy"),
        ], start: .seconds(5))
        feed(&state, job: 6, path: "/data/photos/never.png", [.queued(size: 1), .cancelled], start: .seconds(7))
        feed(&state, job: 2, path: "/data/photos/holiday video.mp4", [
            .queued(size: 100 << 20), .started, .sessionCreated(remoteID: "fil_2", filename: "holiday video.mp4"),
            .progress(sent: 10 << 20, total: 100 << 20), .progress(sent: 20 << 20, total: 100 << 20),
            .progress(sent: 30 << 20, total: 100 << 20),
        ], start: .seconds(9))
        state.say("queued 6 items", at: wall(at: .seconds(14)))
        return state
    }

    /// The busy scene with the detail overlay of a job that failed on the server's refusal,
    /// after a retry.
    static func detail(size: Size) -> AppState {
        var state = busy(size: size)
        let error = EngineError.http(status: 403, code: "forbidden_purpose",
                                     message: "purpose meeting_transcript does not accept image/png files; use general or knowledge_user")
        feed(&state, job: 7, path: "/data/photos/2026/holiday/very long directory name/sunset over the harbour.png", [
            .queued(size: 5_242_880), .started, .sessionCreated(remoteID: "fil_7", filename: "sunset over the harbour.png"),
            .progress(sent: 0, total: 5_242_880), .retrying(attempt: 2, delay: .seconds(2), reason: "network error: connection reset by peer"),
            .started, .failed(error),
        ], start: .seconds(20))
        _ = Reducer.reduce(&state, .switchFocus, now: state.now, wall: wall)
        _ = Reducer.reduce(&state, .moveLast, now: state.now, wall: wall)
        _ = Reducer.reduce(&state, .showDetail, now: state.now, wall: wall)
        return state
    }

    /// The busy scene with the log open, holding a line longer than the box.
    static func log(size: Size) -> AppState {
        var state = busy(size: size)
        state.say("failed holiday video.mp4: server answered 413 too_large: file of 104857600 bytes exceeds the 52428800-byte limit of purpose general",
                  error: true, at: wall(at: .seconds(15)))
        _ = Reducer.reduce(&state, .showLog, now: state.now, wall: wall)
        return state
    }

    static func render(_ state: AppState, glyphs: Glyphs = .unicode) -> String {
        let screen = GridScreen(size: state.size)
        AppView.draw(state, on: Canvas(screen: screen, theme: .default, glyphs: glyphs))
        return screen.text
    }
}
