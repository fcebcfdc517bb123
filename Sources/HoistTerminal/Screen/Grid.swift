/// One cell of a ``GridScreen``.
public struct Cell: Sendable, Hashable {
    /// The grapheme shown, `" "` when blank, or `""` for the right half of a wide character.
    public var text: String
    /// The style the cell was drawn with.
    public var style: Style

    /// A cell showing `text` in `style`.
    public init(text: String, style: Style) {
        self.text = text
        self.style = style
    }

    /// A blank cell in the terminal's default look.
    public static let blank = Cell(text: " ", style: .plain)
}

/// The cells of an in-memory screen, with the same wide-character rules as a terminal:
/// overwriting either half of a wide character blanks the other half.
struct Grid: Sendable {
    private(set) var size: Size
    private(set) var cells: [[Cell]]

    init(size: Size) {
        self.size = size
        self.cells = Array(repeating: Array(repeating: .blank, count: size.columns), count: size.rows)
    }

    func cell(row: Int, column: Int) -> Cell? {
        guard (0..<size.rows).contains(row), (0..<size.columns).contains(column) else { return nil }
        return cells[row][column]
    }

    mutating func put(_ cluster: DisplayCluster, row: Int, style: Style) {
        let column = cluster.column
        guard (0..<size.rows).contains(row), column >= 0, column + cluster.width <= size.columns else { return }
        for offset in 0..<cluster.width { detachWide(row: row, column: column + offset) }
        cells[row][column] = Cell(text: cluster.text, style: style)
        for offset in 1..<max(1, cluster.width) {
            cells[row][column + offset] = Cell(text: "", style: style)
        }
    }

    /// Blanks the other half of a wide character before one of its halves is overwritten.
    private mutating func detachWide(row: Int, column: Int) {
        let cell = cells[row][column]
        if cell.text.isEmpty, column > 0 {
            cells[row][column - 1] = Cell(text: " ", style: cells[row][column - 1].style)
        } else if column + 1 < size.columns, cells[row][column + 1].text.isEmpty,
                  TextWidth.width(of: cell.text) == 2 {
            cells[row][column + 1] = Cell(text: " ", style: cell.style)
        }
    }

    /// The rows as strings; each is exactly `size.columns` cells wide.
    var lines: [String] {
        cells.map { row in row.map(\.text).joined() }
    }
}
