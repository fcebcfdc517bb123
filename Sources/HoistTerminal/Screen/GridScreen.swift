import Synchronization

/// An in-memory ``Screen`` for tests: a grid of cells, keys from a script, and the screen
/// as text for snapshots.
public final class GridScreen: Screen {
    private struct State: Sendable {
        var grid: Grid
        var keys: [Key]
        var frames = 0
        var title: String?
        var clipboard: [String] = []
        var invalidations = 0
    }

    private let state: Mutex<State>

    /// A blank screen of `size` that will return `keys` one by one from ``readKey(timeout:)``.
    public init(size: Size, keys: [Key] = []) {
        state = Mutex(State(grid: Grid(size: size), keys: keys))
    }

    public var size: Size { state.withLock { $0.grid.size } }

    /// Frames ended so far.
    public var frameCount: Int { state.withLock { $0.frames } }

    /// The screen as text, one line per row with trailing spaces removed.
    public var text: String {
        lines.map { line in String(line.reversed().drop { $0 == " " }.reversed()) }
            .joined(separator: "\n")
    }

    /// Every row, exactly as wide as the screen.
    public var lines: [String] { state.withLock { $0.grid.lines } }

    /// The cell at a position, or `nil` outside the screen.
    public func cell(row: Int, column: Int) -> Cell? {
        state.withLock { $0.grid.cell(row: row, column: column) }
    }

    /// Appends keys to the script.
    public func push(_ keys: Key...) {
        state.withLock { $0.keys.append(contentsOf: keys) }
    }

    /// Changes the size, keeping no content (like a terminal after a resize) and queueing
    /// ``Key/resize``.
    public func resize(to size: Size) {
        state.withLock {
            $0.grid = Grid(size: size)
            $0.keys.append(.resize)
        }
    }

    public func beginFrame() {
        state.withLock { $0.grid = Grid(size: $0.grid.size) }
    }

    @discardableResult
    public func draw(_ text: String, row: Int, column: Int, width: Int?, style: Style) -> Int {
        state.withLock { state in
            guard (0..<state.grid.size.rows).contains(row) else { return 0 }
            let limit = DisplayRun.limit(column: column, width: width, columns: state.grid.size.columns)
            let clusters = DisplayRun.layout(text, column: column, limit: limit).filter { $0.column >= 0 }
            for cluster in clusters { state.grid.put(cluster, row: row, style: style) }
            return clusters.reduce(0) { $0 + $1.width }
        }
    }

    public func fill(_ rect: Rect, style: Style) {
        state.withLock { state in
            let area = rect.intersection(Rect(state.grid.size))
            for row in area.row..<(area.row + area.rows) {
                for column in area.column..<(area.column + area.columns) {
                    state.grid.put(DisplayCluster(text: " ", width: 1, column: column), row: row, style: style)
                }
            }
        }
    }

    public func endFrame() {
        state.withLock { $0.frames += 1 }
    }

    /// The title last set (`nil` once given back).
    public var title: String? { state.withLock { $0.title } }

    /// Every text copied to the clipboard, in order.
    public var clipboard: [String] { state.withLock { $0.clipboard } }

    /// How many times a full repaint was asked for.
    public var invalidations: Int { state.withLock { $0.invalidations } }

    public func setTitle(_ title: String?) { state.withLock { $0.title = title } }

    public func copyToClipboard(_ text: String) { state.withLock { $0.clipboard.append(text) } }

    public func invalidate() { state.withLock { $0.invalidations += 1 } }

    /// The next scripted key, or `nil` at once when the script is empty (tests never wait).
    public func readKey(timeout: Duration?) -> Key? {
        state.withLock { $0.keys.isEmpty ? nil : $0.keys.removeFirst() }
    }
}
