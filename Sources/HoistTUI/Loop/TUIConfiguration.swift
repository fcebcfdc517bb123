import HoistEngine
import HoistTerminal

/// What the TUI starts with; the `hoist` command fills it from flags and config.
public struct TUIConfiguration: Sendable {
    /// The directory the browser opens on.
    public var directory: String
    /// Where uploads go, as the status pane says it.
    public var destination: String
    public var theme: Theme
    public var glyphs: Glyphs
    /// False with `NO_COLOR`: no colour codes at all, only attributes.
    public var usesColors: Bool
    public var concurrency: Int
    /// The last run's unfinished uploads, resumed paused.
    public var resume = Resume()
    /// The shortest time between two frames caused by the engine (keys redraw at once).
    /// Four a second keeps bars visibly moving while writing under 1 KB/s over SSH
    /// (measured with `hoist-bench --terminal`: 10 a second wrote about 1.4 KB/s).
    public var frameInterval: Duration = .milliseconds(250)
    /// How long quitting waits for pending sessions to be cancelled on the server.
    public var cancelTimeout: Duration = .seconds(10)
    /// While something moves, a frame at least this often even without events, so that
    /// speeds fall, stalls show and countdowns count. Idle, none.
    public var tickInterval: Duration = .seconds(1)
    /// The shortest time between two window-title updates: the title is a summary, and
    /// each update is bytes over the wire (the last one is always written).
    public var titleInterval: Duration = .seconds(1)
    /// The engine's clock (`EngineConfiguration.clock`): event times are on it, and the
    /// loop reads "now" from it so that the two compare. A separate `SystemEngineClock`
    /// started at about the same moment is off by that moment's difference only.
    public var clock: any EngineClock = SystemEngineClock()
    /// How many of earlier runs' uploads the queue can show (`H`) and the browser marks.
    public var historyLimit = 1000
    /// The engine runs in the background (`hoist engine`): leaving lets uploads go on.
    public var background = false
    /// How many of a `u`'s paths are checked before the first of them are queued: small, so
    /// that uploads start, and show, at once.
    public var firstCheckSlice = 256
    /// How many more are checked per turn of the loop after that: large, for throughput,
    /// with the screen drawn and keys read between slices.
    public var checkSlice = 4096

    public init(directory: String, destination: String, theme: Theme, glyphs: Glyphs, usesColors: Bool, concurrency: Int) {
        self.directory = directory
        self.destination = destination
        self.theme = theme
        self.glyphs = glyphs
        self.usesColors = usesColors
        self.concurrency = concurrency
    }
}

/// How the TUI ended.
public enum TUIExit: Sendable, Equatable {
    /// The user left the view (`d`); uploads go on in the background engine.
    case detach
    /// The user quit. With `keepUnfinished`, unfinished uploads were left for the next
    /// run: their sessions must not be cancelled on the way out (the journal resumes them).
    case quit(keepUnfinished: Bool)
    /// A trapped signal (SIGTERM, SIGHUP) ended it: exit with its ``TerminalSignal/exitStatus``.
    case signal(TerminalSignal)
}
