import HoistTerminal

/// Text broken into lines of at most a given number of cells: at spaces where it can, inside
/// a word only when the word alone is too wide (paths, URLs).
public enum Wrap {
    public static func lines(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                var word = String(word)
                var wordWidth = TextWidth.width(of: word)
                let gap = line.isEmpty ? 0 : 1
                if lineWidth + gap + wordWidth <= width {
                    line += (gap == 1 ? " " : "") + word
                    lineWidth += gap + wordWidth
                    continue
                }
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                }
                while wordWidth > width {
                    let head = TextWidth.prefix(of: word, width: width)
                    // A character wider than the whole line still has to go somewhere.
                    let taken = head.isEmpty ? String(word.prefix(1)) : head
                    lines.append(taken)
                    word = String(word.dropFirst(taken.count))
                    wordWidth = TextWidth.width(of: word)
                }
                line = word
                lineWidth = wordWidth
            }
            lines.append(line)
        }
        return lines
    }
}
