import Foundation
import HoistAgent
import HoistEngine
import HoistTerminal

/// The interactive front end: takes over the terminal, runs the event loop on a thread of
/// its own (ncurses blocks while it waits for keys; the engine's tasks must not wait on it),
/// and gives the terminal back however it ends.
public enum TUIApp {
    /// Runs the TUI on an engine in this process until the user quits or a signal ends it.
    public static func run(engine: UploadEngine, configuration: TUIConfiguration) async throws -> TUIExit {
        try await run(link: EngineBridge(engine: engine), configuration: configuration)
    }

    /// Runs the TUI attached to the background engine: `first` is the connection made
    /// before the terminal was taken over; `reconnect(start)` connects again after a drop,
    /// starting an engine when none runs if `start`.
    public static func run(
        attachedTo first: AgentConnection, reconnect: @escaping @Sendable (_ start: Bool) async throws(AgentError) -> AgentConnection,
        profile: Profile, journal: (path: String, key: String)?, configuration: TUIConfiguration
    ) async throws -> TUIExit {
        var configuration = configuration
        configuration.background = true
        configuration.clock = MachineEngineClock()
        let link = AgentLink(first: first, reconnect: reconnect, profile: profile, journal: journal)
        return try await run(link: link, configuration: configuration)
    }

    private static func run(link bridge: any EngineLink, configuration: TUIConfiguration) async throws -> TUIExit {
        let screen = try CursesScreen(options: CursesScreen.Options(usesColors: configuration.usesColors))
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
        await bridge.finish()
        return exit
    }
}

/// Hands the screen to the UI thread. The screen is only ever used by that thread.
private struct ScreenBox: @unchecked Sendable {
    let screen: CursesScreen
    let bridge: any EngineLink
    let configuration: TUIConfiguration
}
