import HoistTerminal
import TOMLKit

/// Turns the text of a theme file into a ``Theme``.
///
/// ```toml
/// [palette]                       # optional: names for colours, usable below
/// accent = "#5fafd7"
///
/// title = { fg = "accent", modifiers = ["bold"] }
/// "browser.dir" = "blue"          # a bare colour is the foreground
/// [queue.bar]                     # nested tables spell the same dotted roles
/// done = { fg = "green" }         # {} is the plain style: nothing falls back
/// todo = { fg = "gray", bg = 236 }
/// ```
enum ThemeParser {
    private static let styleKeys: Set<String> = ["fg", "bg", "modifiers"]

    /// Parses `text`, naming `file` in every error.
    static func parse(_ text: String, name: String, file: String) throws(ThemeError) -> Theme {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(file: file, line: error.source.begin.line, column: error.source.begin.column,
                          message: error.description)
        } catch {
            throw .syntax(file: file, line: 0, column: 0, message: String(describing: error))
        }
        var context = Context(file: file, palette: [:])
        if let palette = table["palette"] {
            context.palette = try parsePalette(palette, context: context)
        }
        var styles: [ThemeRole: Style] = [:]
        for (key, value) in table where key != "palette" {
            try collect(value, path: key, into: &styles, context: context)
        }
        return Theme(name: name, styles: styles)
    }

    private struct Context {
        var file: String
        var palette: [String: Color]
    }

    private static func parsePalette(_ value: any TOMLValueConvertible, context: Context) throws(ThemeError) -> [String: Color] {
        guard let table = value.table else {
            throw .badValue(file: context.file, key: "palette", expected: "a table of colour names")
        }
        var palette: [String: Color] = [:]
        for (name, entry) in table {
            // Palette entries are literal colours: references between them would invite cycles.
            let literal = Context(file: context.file, palette: [:])
            palette[name.lowercased()] = try color(entry, key: "palette." + name, context: literal)
        }
        return palette
    }

    /// Walks nested tables down to styles, so `[queue.bar] done = …` and
    /// `"queue.bar.done" = …` mean the same.
    private static func collect(
        _ value: any TOMLValueConvertible, path: String, into styles: inout [ThemeRole: Style], context: Context
    ) throws(ThemeError) {
        if let table = value.table, !table.isEmpty, !table.keys.contains(where: styleKeys.contains) {
            for (key, child) in table {
                try collect(child, path: path + "." + key, into: &styles, context: context)
            }
            return
        }
        guard let role = ThemeRole(rawValue: path) else {
            throw .unknownRole(file: context.file, key: path)
        }
        styles[role] = try style(value, key: path, context: context)
    }

    private static func style(_ value: any TOMLValueConvertible, key: String, context: Context) throws(ThemeError) -> Style {
        guard let table = value.table else {
            return Style(foreground: try color(value, key: key, context: context))
        }
        var style = Style()
        for (name, entry) in table {
            switch name {
            case "fg": style.foreground = try color(entry, key: key + ".fg", context: context)
            case "bg": style.background = try color(entry, key: key + ".bg", context: context)
            case "modifiers": style.attributes = try modifiers(entry, key: key + ".modifiers", context: context)
            default: throw .badValue(file: context.file, key: key + "." + name, expected: "only fg, bg and modifiers in a style")
            }
        }
        return style
    }

    private static func color(_ value: any TOMLValueConvertible, key: String, context: Context) throws(ThemeError) -> Color {
        if let number = value.int {
            guard (0...255).contains(number) else {
                throw .badColor(file: context.file, key: key, value: String(number))
            }
            return .indexed(UInt8(number))
        }
        guard let text = value.string else {
            throw .badValue(file: context.file, key: key, expected: "a colour: a string or an integer 0-255")
        }
        if let named = context.palette[text.lowercased()] ?? Color(parsing: text) { return named }
        throw .badColor(file: context.file, key: key, value: text)
    }

    private static func modifiers(_ value: any TOMLValueConvertible, key: String, context: Context) throws(ThemeError) -> Style.Attributes {
        let names: [any TOMLValueConvertible] = value.array.map { Array($0) } ?? [value]
        var attributes: Style.Attributes = []
        for entry in names {
            guard let name = entry.string else {
                throw .badValue(file: context.file, key: key, expected: "a list of modifier names")
            }
            guard let attribute = Style.Attributes.names.first(where: { $0.0 == name.lowercased() })?.1 else {
                throw .badModifier(file: context.file, key: key, value: name)
            }
            attributes.insert(attribute)
        }
        return attributes
    }
}
