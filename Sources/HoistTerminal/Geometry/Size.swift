/// A size in terminal cells.
public struct Size: Sendable, Hashable, CustomStringConvertible {
    /// Number of rows (lines).
    public var rows: Int
    /// Number of columns (cells per row).
    public var columns: Int

    /// Creates a size; negative values are clamped to zero.
    public init(rows: Int, columns: Int) {
        self.rows = max(0, rows)
        self.columns = max(0, columns)
    }

    /// `columns×rows`, the way terminal sizes are usually written.
    public var description: String { "\(columns)×\(rows)" }
}

/// A rectangle of cells: its top-left corner and its size.
public struct Rect: Sendable, Hashable {
    /// Top row, counted from zero.
    public var row: Int
    /// Left column, counted from zero.
    public var column: Int
    /// Height in rows.
    public var rows: Int
    /// Width in columns.
    public var columns: Int

    /// Creates a rectangle; a negative extent becomes empty.
    public init(row: Int, column: Int, rows: Int, columns: Int) {
        self.row = row
        self.column = column
        self.rows = max(0, rows)
        self.columns = max(0, columns)
    }

    /// The whole of a screen of the given size.
    public init(_ size: Size) {
        self.init(row: 0, column: 0, rows: size.rows, columns: size.columns)
    }

    /// Whether the rectangle covers no cell.
    public var isEmpty: Bool { rows == 0 || columns == 0 }

    /// The part of this rectangle that also lies inside `other` (possibly empty).
    public func intersection(_ other: Rect) -> Rect {
        let top = max(row, other.row)
        let left = max(column, other.column)
        let bottom = min(row + rows, other.row + other.rows)
        let right = min(column + columns, other.column + other.columns)
        return Rect(row: top, column: left, rows: bottom - top, columns: right - left)
    }
}
