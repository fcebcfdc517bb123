import ArgumentParser
import Foundation
import HoistAgent
import HoistEngine
import HoistTUI

extension TUICommand {
    /// The view attached to the background engine: uploads outlive it (a dropped SSH
    /// connection, `d`), and every attached view shows the same queue.
    func runAttached(startEngine: Bool, configuration: TUIConfiguration, environment: [String: String]) async throws {
        let background: BackgroundEngine
        do {
            // Attaching only: whatever the engine uploads to is what the view shows.
            background = startEngine
                ? try BackgroundEngine.forUploads(profile: profile, transfer: transfer, environment: environment)
                : BackgroundEngine.forWatching(environment: environment)
        } catch {
            throw ConfigurationFailure.report(error)
        }
        let first: AgentConnection
        do {
            first = try await startEngine ? background.connect() : background.connectIfRunning()
        } catch {
            throw AgentFailure.report(error)
        }
        var tui = configuration
        tui.destination = (first.greeting.label ?? first.greeting.destination ?? "?") + tui.glyphs.separator + "background engine pid \(first.greeting.pid ?? 0)"
        let exit: TUIExit
        do {
            exit = try await TUIApp.run(
                attachedTo: first,
                reconnect: { (start: Bool) async throws(AgentError) -> AgentConnection in
                    // `hoist attach` knows no destination of its own: it never starts an engine.
                    try await start && startEngine ? background.connect() : background.connectIfRunning()
                },
                profile: background.profile ?? first.greeting.profile,
                journal: (first.greeting.destination ?? background.destination).map { (background.paths.journal, $0) },
                configuration: tui)
        } catch {
            first.close()
            throw Self.noTerminal(error)
        }
        switch exit {
        case .detach:
            Stderr.write("hoist: uploads go on in the background engine (pid \(first.greeting.pid ?? 0)); `hoist` or `hoist attach` shows them, `hoist stop` stops it\n")
        case .quit:
            break
        case .signal(let signal):
            // A hang-up (SSH dropped) or a kill of the view: the engine goes on.
            throw ExitCode(signal.exitStatus)
        }
    }
}
