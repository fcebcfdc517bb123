import HoistTerminal

/// Where each pane goes at a given terminal size; reflowed on every resize.
public struct Layout: Sendable, Equatable {
    /// The smallest terminal hoist draws its panes in.
    public static let minimum = Size(rows: 15, columns: 60)
    /// Rows of the status pane at the bottom.
    static let statusRows = 3

    public let size: Size
    public let browser: Rect
    public let queue: Rect
    public let status: Rect

    public init(size: Size) {
        self.size = size
        let paneRows = max(0, size.rows - Self.statusRows)
        // The browser takes two fifths, within reason; the queue's bars want the rest.
        let browserColumns = max(24, min(size.columns * 2 / 5, 60))
        browser = Rect(row: 0, column: 0, rows: paneRows, columns: browserColumns)
        queue = Rect(row: 0, column: browserColumns, rows: paneRows, columns: max(0, size.columns - browserColumns))
        status = Rect(row: paneRows, column: 0, rows: Self.statusRows, columns: size.columns)
    }

    /// Whether the terminal is too small for the panes.
    public var isTooSmall: Bool { size.rows < Self.minimum.rows || size.columns < Self.minimum.columns }

    /// List rows inside the browser's border.
    public var browserRows: Int { max(0, browser.rows - 2) }
    /// List rows inside the queue's border.
    public var queueRows: Int { max(0, queue.rows - 2) }
    /// Rows of an overlay's box.
    public var overlayRows: Int { max(3, size.rows - 4) }
}
