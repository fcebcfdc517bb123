import ArgumentParser
import Foundation
import HoistEngine
import HoistTUI
import HoistTerminal

/// `hoist [DIR]`: the interactive upload manager (the default command).
struct TUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "browse",
        abstract: "Browse files and upload them interactively (what `hoist` runs with no command).",
        discussion: "With no profile and no endpoint, uploads go to the embedded server. Press ? for the keys.")

    @Argument(help: "The directory to open (default: the current directory).")
    var directory: String?

    @OptionGroup var profile: ProfileOptions
    @OptionGroup var transfer: TransferOptions

    @Option(help: "Theme name (themes/NAME.toml) or path to a theme file.")
    var theme: String?

    @Flag(help: "Plain ASCII glyphs: [#####-----] bars and +-| borders.")
    var ascii = false

    @OptionGroup var mode: EngineModeOptions

    func run() async throws {
        try await run(startEngine: true)
    }

    /// The view; `startEngine` false (`hoist attach`) only attaches to a running engine.
    func run(startEngine: Bool) async throws {
        AllocatorTuning.apply()
        // Before anything that must be shut down again: with no terminal there is nothing
        // to show, and a script wants `hoist upload`.
        do {
            try CursesScreen.precheck()
        } catch {
            throw Self.noTerminal(error)
        }
        let environment = ProcessInfo.processInfo.environment
        let start = try Self.directory(directory ?? FileManager.default.currentDirectoryPath)
        let paths = XDGPaths(environment: environment)
        let config = try HoistConfig.load(path: paths.configFile)
        let loader = ThemeLoader(searchPath: ThemeLoader.searchPath(environment: environment, bundled: Self.bundledThemes()))
        let chosenTheme: Theme
        do {
            chosenTheme = try loader.resolve(requested: theme ?? config.theme, environment: environment)
        } catch {
            throw ValidationError(error.description)
        }
        var tui = TUIConfiguration(
            directory: start, destination: "", theme: chosenTheme,
            glyphs: Glyphs.select(ascii: ascii, environment: environment),
            usesColors: !(environment["NO_COLOR"].map { !$0.isEmpty } ?? false) || theme != nil || config.theme != nil,
            concurrency: transfer.concurrency)
        if !startEngine || mode.usesBackground(config: config, environment: environment) {
            try await runAttached(startEngine: startEngine, configuration: tui, environment: environment)
            return
        }
        let connection = try await profile.connect(transfer: transfer, environment: environment)
        tui.destination = Self.destination(connection)
        let engine = try UploadEngine(configuration: connection.configuration(transfer: transfer, adaptive: false, environment: environment))
        // The last run's jobs are queued, paused, before the view starts (as a new background
        // engine takes a killed one's); the paths its walks had not reached go a window at a
        // time. Counted by job: the same file named twice is one row.
        let left = await engine.resumeUnfinished(paused: true)
        tui.resume = Resume(jobs: Set(left.jobs).count, paths: left.walkPaths, walk: left.walk)
        let exit: TUIExit
        do {
            exit = try await TUIApp.run(engine: engine, configuration: tui)
        } catch {
            await engine.shutdown()
            await connection.close()
            throw Self.noTerminal(error)
        }
        switch exit {
        case .detach:
            // Not offered without a background engine; leaving keeps them for the next run.
            await engine.shutdown(keepingUnfinished: true)
            await connection.close()
        case .quit(let keepUnfinished):
            // `k` at the quit question keeps running sessions pending for the next run.
            await engine.shutdown(keepingUnfinished: keepUnfinished)
            await connection.close()
        case .signal(let signal):
            // Sessions stay pending and the journal keeps them, so the next start resumes
            // them; nothing is cancelled on the way out.
            throw ExitCode(signal.exitStatus)
        }
    }

    /// The one message for "no usable terminal": the reason, what to use instead; exit 2.
    static func noTerminal(_ error: any Error) -> any Error {
        Stderr.write("hoist: \(error)\nhoist: the interactive view needs a terminal; for scripts use `hoist upload FILE...`\n")
        return ExitCode(2)
    }

    /// `path` made absolute, if it is a directory.
    static func directory(_ path: String) throws -> String {
        let absolute = UploadEngine.absolute(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(path) is not a directory")
        }
        return absolute
    }

    /// What the status pane says about where uploads go.
    static func destination(_ connection: Connection) -> String {
        let profile = connection.profile
        if let embedded = connection.embedded {
            return "embedded server \(embedded.baseURL) (lightfield, purpose \(profile.effectivePurpose)), data in \(Format.path(embedded.dataDirectory))"
        }
        let options = profile.dialect.implementation(for: profile).optionsSummary
        return "profile \(profile.name): \(profile.dialect.rawValue) \(profile.endpoint)" + (options.isEmpty ? "" : ", " + options)
    }

    /// The `themes/` shipped with hoist: beside an installed binary or in the source tree
    /// it was built from.
    static func bundledThemes() -> [String] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            executable.appendingPathComponent("../share/hoist/themes"),
            executable.appendingPathComponent("../../themes"),
            executable.appendingPathComponent("../../../themes"),
        ].map { $0.standardizedFileURL.path }
        return candidates.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
