import HoistTerminal

/// One binding: the keys, the action, what it does (for the help overlay) and where.
public struct KeyBinding: Sendable, Equatable {
    public var keys: [Key]
    public var action: Action
    public var help: String
    public var scope: KeyScope
}

/// Keys → named actions. The help overlay is generated from this table, so it cannot
/// drift from what the keys do.
public enum KeyMap {
    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.up, .character("k")], action: .moveUp, help: "move up", scope: .global),
        KeyBinding(keys: [.down, .character("j")], action: .moveDown, help: "move down", scope: .global),
        KeyBinding(keys: [.pageUp], action: .pageUp, help: "page up", scope: .global),
        KeyBinding(keys: [.pageDown], action: .pageDown, help: "page down", scope: .global),
        KeyBinding(keys: [.home, .character("g")], action: .moveFirst, help: "first row", scope: .global),
        KeyBinding(keys: [.end, .character("G")], action: .moveLast, help: "last row", scope: .global),
        KeyBinding(keys: [.tab, .backTab], action: .switchFocus, help: "browser / queue", scope: .global),
        KeyBinding(keys: [.character("p")], action: .togglePause, help: "pause / resume", scope: .global),
        KeyBinding(keys: [.character("+")], action: .moreJobs, help: "more at once", scope: .global),
        KeyBinding(keys: [.character("-")], action: .fewerJobs, help: "fewer at once", scope: .global),
        KeyBinding(keys: [.character("L")], action: .showLog, help: "event log", scope: .global),
        KeyBinding(keys: [.character("?")], action: .showHelp, help: "this help", scope: .global),
        KeyBinding(keys: [.escape], action: .closeOverlay, help: "close overlay", scope: .global),
        KeyBinding(keys: [.character("q")], action: .quit, help: "quit", scope: .global),
        KeyBinding(keys: [.ctrlC], action: .interrupt, help: "quit; twice: now", scope: .global),

        KeyBinding(keys: [.right, .character("l"), .enter], action: .openDirectory, help: "open directory", scope: .browser),
        KeyBinding(keys: [.left, .character("h"), .backspace], action: .parentDirectory, help: "parent directory", scope: .browser),
        KeyBinding(keys: [.character(" ")], action: .toggleMark, help: "mark / unmark", scope: .browser),
        KeyBinding(keys: [.character("a")], action: .markAll, help: "mark all files", scope: .browser),
        KeyBinding(keys: [.character("u")], action: .queueFiles, help: "upload marked / this", scope: .browser),
        KeyBinding(keys: [.character(".")], action: .toggleHidden, help: "hidden files", scope: .browser),
        KeyBinding(keys: [.character("/")], action: .startFilter, help: "filter by name", scope: .browser),

        KeyBinding(keys: [.character("c"), .delete], action: .cancelJob, help: "cancel upload", scope: .queue),
        KeyBinding(keys: [.character("C")], action: .cancelAllJobs, help: "cancel all unfinished", scope: .queue),
        KeyBinding(keys: [.character("r")], action: .retryJob, help: "retry failed", scope: .queue),
    ]

    /// The help overlay's lines, generated from ``bindings``: a section title (no keys) or
    /// keys and what they do, per column.
    public static func helpLines(columns: Int) -> [[(keys: String, text: String)]] {
        let sections = KeyScope.allCases.map { scope in
            [(keys: "", text: scope.rawValue)] + bindings.filter { $0.scope == scope }.map {
                (keys: $0.keys.map(\.description).joined(separator: " "), text: $0.help)
            }
        }
        // Two columns: the global keys beside the panes' own.
        let groups = columns >= 2 ? [sections[0], Array(sections.dropFirst().joined(separator: [("", "")]))]
            : [Array(sections.joined(separator: [("", "")]))]
        return groups
    }

    /// The action for `key` when `focus` has the keys and nothing overlays the panes.
    public static func action(for key: Key, focus: Focus) -> Action? {
        let scope: KeyScope = focus == .browser ? .browser : .queue
        return bindings.first { ($0.scope == scope || $0.scope == .global) && $0.keys.contains(key) }?.action
    }

    /// The action for `key` given everything that can capture keys: the quit question,
    /// overlays and the filter being typed come before the panes.
    public static func action(for key: Key, in state: AppState) -> Action? {
        if key == .resize { return .resized }
        if key == .ctrlC { return .interrupt }
        switch state.overlay {
        case .confirmQuit:
            switch key {
            case .character("y"), .character("Y"): return .confirmQuit
            case .character("n"), .character("N"), .escape, .character("q"): return .declineQuit
            default: return nil
            }
        case .help, .log:
            switch key {
            case .escape, .character("q"), .character("L"), .character("?"): return .closeOverlay
            case .up, .character("k"): return .moveUp
            case .down, .character("j"): return .moveDown
            case .pageUp: return .pageUp
            case .pageDown: return .pageDown
            default: return nil
            }
        case nil:
            break
        }
        if state.focus == .browser, state.browser.isFiltering {
            switch key {
            case .enter: return .filterAccept
            case .escape: return .filterClear
            case .backspace: return .filterErase
            case .character(let c): return .filterType(c)
            default: break
            }
        }
        return action(for: key, focus: state.focus)
    }
}
