import Foundation
import HoistEngine
import HoistTUI
import HoistTerminal

/// A state with a directory of known entries, at a fixed size, for reducer and pane tests.
func sampleState(size: Size = Size(rows: 24, columns: 80)) -> AppState {
    var state = AppState(size: size, directory: "/data/photos", destination: "embedded server http://127.0.0.1:9 (lightfield, purpose general)",
                         concurrency: 4)
    Reducer.loaded(&state, directory: "/data/photos", entries: [
        DirectoryEntry(name: "b.jpg", path: "/data/photos/b.jpg", isDirectory: false, size: 2048),
        DirectoryEntry(name: "raw", path: "/data/photos/raw", isDirectory: true, size: 4096),
        DirectoryEntry(name: ".secret", path: "/data/photos/.secret", isDirectory: false, size: 10),
        DirectoryEntry(name: "a.png", path: "/data/photos/a.png", isDirectory: false, size: 3 << 20),
    ])
    return state
}

let wall = Date(timeIntervalSince1970: 1_800_000_000)

/// Applies `kinds` to job `id` at times 1 s apart from `start`.
func feed(_ state: inout AppState, job id: Int, path: String, _ kinds: [EngineEvent.Kind], start: Duration = .zero) {
    for (i, kind) in kinds.enumerated() {
        Reducer.apply(&state, EngineEvent(job: JobID(id), path: path, kind: kind), now: start + .seconds(i), wall: wall)
    }
}

/// Sends `actions` through the reducer and collects the effects.
@discardableResult
func press(_ state: inout AppState, _ actions: Action..., at now: Duration = .zero) -> [Effect] {
    actions.flatMap { Reducer.reduce(&state, $0, now: now, wall: wall) }
}
