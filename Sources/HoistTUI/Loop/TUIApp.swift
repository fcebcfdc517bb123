import Foundation
import HoistEngine
import HoistTerminal

/// The interactive front end: takes over the terminal, runs the event loop on a thread of
/// its own (ncurses blocks while it waits for keys; the engine's tasks must not wait on it),
/// and gives the terminal back however it ends.
public enum TUIApp {
    /// Runs the TUI until the user quits or a signal ends it.
    public static func run(engine: UploadEngine, configuration: TUIConfiguration) async throws -> TUIExit {
        let screen = try CursesScreen(options: CursesScreen.Options(usesColors: configuration.usesColors))
        let bridge = EngineBridge(engine: engine)
        let box = ScreenBox(screen: screen, bridge: bridge, configuration: configuration)
        let exit = await withCheckedContinuation { (continuation: CheckedContinuation<TUIExit, Never>) in
            let thread = Thread {
                let loop = EventLoop(screen: box.screen, link: box.bridge, configuration: box.configuration)
                let exit = loop.run()
                box.screen.close()
                continuation.resume(returning: exit)
            }
            thread.name = "hoist-tui"
            thread.start()
        }
        bridge.finish()
        return exit
    }
}

/// Hands the screen to the UI thread. The screen is only ever used by that thread.
private struct ScreenBox: @unchecked Sendable {
    let screen: CursesScreen
    let bridge: EngineBridge
    let configuration: TUIConfiguration
}
