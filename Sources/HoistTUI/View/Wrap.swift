import HoistTerminal

/// Text broken into lines of at most a given number of cells: at spaces where it can, inside
/// a word only when the word alone is too wide (paths, URLs).
///
/// A line break in the text is not a place to break: the texts are log entries and details
/// that carry file names, and a name may hold a line break (`report.pdf\n12:00:00 done …`),
/// which taken as one would forge a line of its own. It is drawn as `?` like every other
/// control character.
public enum Wrap {
    public static func lines(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
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
        return lines
    }
}
