import HoistTerminal

/// One binding: the keys, the action, what it does (for the help overlay) and where.
public struct KeyBinding: Sendable, Equatable {
    public var keys: [Key]
    public var action: Action
    public var help: String
    public var scope: KeyScope
    /// The few words the status line's hint uses, for the bindings it names.
    public var hint: String?
    /// Shown instead of the keys' names (a binding for every printable character).
    public var label: String?

    public init(keys: [Key], action: Action, help: String, scope: KeyScope, hint: String? = nil, label: String? = nil) {
        self.keys = keys
        self.action = action
        self.help = help
        self.scope = scope
        self.hint = hint
        self.label = label
    }

    /// The keys as the help overlay and hints show them: `Up k`, `Ctrl-C`.
    public var keyNames: String { label ?? keys.map(\.description).joined(separator: " ") }
}

/// Keys → named actions, for the panes and for every modal state. The help overlay, the
/// status line's hint and the questions' answers are generated from this table, so they
/// cannot drift from what the keys do.
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
        KeyBinding(keys: [.character("?")], action: .showHelp, help: "this help", scope: .global, hint: "help"),
        KeyBinding(keys: [.escape], action: .closeOverlay, help: "clear the filter", scope: .global),
        KeyBinding(keys: [.control("l")], action: .repaint, help: "repaint the screen", scope: .global),
        KeyBinding(keys: [.character("q")], action: .quit, help: "quit", scope: .global, hint: "quit"),
        KeyBinding(keys: [.character("d")], action: .detach, help: "leave, uploads run", scope: .global),
        KeyBinding(keys: [.ctrlC], action: .interrupt, help: "quit; twice: now", scope: .global),

        KeyBinding(keys: [.right, .character("l"), .enter], action: .openDirectory, help: "open directory", scope: .browser),
        KeyBinding(keys: [.left, .character("h"), .backspace], action: .parentDirectory, help: "parent directory", scope: .browser),
        KeyBinding(keys: [.character(" ")], action: .toggleMark, help: "mark / unmark", scope: .browser),
        KeyBinding(keys: [.character("a")], action: .markAll, help: "mark all files", scope: .browser),
        KeyBinding(keys: [.character("u")], action: .queueFiles, help: "upload marked / this", scope: .browser),
        KeyBinding(keys: [.character(".")], action: .toggleHidden, help: "hidden files", scope: .browser),
        KeyBinding(keys: [.character("/")], action: .startFilter, help: "filter by name", scope: .browser),

        KeyBinding(keys: [.enter], action: .showDetail, help: "details", scope: .queue),
        KeyBinding(keys: [.character("c"), .delete], action: .cancelJob, help: "cancel upload", scope: .queue),
        KeyBinding(keys: [.character("C")], action: .cancelAllJobs, help: "cancel all (asks)", scope: .queue),
        KeyBinding(keys: [.character("r")], action: .retryJob, help: "retry this one", scope: .queue),
        KeyBinding(keys: [.character("R")], action: .retryAllFailed, help: "retry every failed", scope: .queue),
        KeyBinding(keys: [.character("y")], action: .copyURL, help: "copy its URL", scope: .queue),
        KeyBinding(keys: [.character("H")], action: .toggleEarlier, help: "earlier uploads", scope: .queue),

        KeyBinding(keys: [], action: .filterType(" "), help: "narrows the list", scope: .filter, label: "text"),
        KeyBinding(keys: [.backspace], action: .filterErase, help: "erase", scope: .filter),
        KeyBinding(keys: [.enter], action: .filterAccept, help: "keep filter", scope: .filter),
        KeyBinding(keys: [.escape], action: .filterClear, help: "clear filter", scope: .filter),

        KeyBinding(keys: [.escape, .character("q"), .enter, .character("L"), .character("?")], action: .closeOverlay,
                   help: "close", scope: .overlay),
        KeyBinding(keys: [.up, .character("k")], action: .moveUp, help: "up", scope: .overlay),
        KeyBinding(keys: [.down, .character("j")], action: .moveDown, help: "down", scope: .overlay),
        KeyBinding(keys: [.pageUp], action: .pageUp, help: "page up", scope: .overlay),
        KeyBinding(keys: [.pageDown], action: .pageDown, help: "page down", scope: .overlay),
        KeyBinding(keys: [.home, .character("g")], action: .moveFirst, help: "top", scope: .overlay),
        KeyBinding(keys: [.end, .character("G")], action: .moveLast, help: "bottom", scope: .overlay),
        KeyBinding(keys: [.character("y")], action: .copyURL, help: "copy URL", scope: .overlay),

        KeyBinding(keys: [.character("y"), .character("Y")], action: .confirm, help: "quit, cancelling their sessions",
                   scope: .quitQuestion, label: "y"),
        KeyBinding(keys: [.character("k"), .character("K")], action: .keepForLater, help: "quit, keeping them for the next run",
                   scope: .quitQuestion, label: "k"),
        KeyBinding(keys: [.character("d"), .character("D")], action: .detach, help: "leave, keep uploading in the background",
                   scope: .quitQuestion, label: "d"),
        KeyBinding(keys: [.character("n"), .character("N"), .escape, .character("q")], action: .decline, help: "stay",
                   scope: .quitQuestion, label: "n"),

        KeyBinding(keys: [.character("y"), .character("Y")], action: .confirm, help: "cancel them all", scope: .cancelQuestion,
                   label: "y"),
        KeyBinding(keys: [.character("n"), .character("N"), .escape], action: .decline, help: "keep them", scope: .cancelQuestion,
                   label: "n"),

        KeyBinding(keys: [.ctrlC], action: .interrupt, help: "leave now, without waiting for the server", scope: .leaving),
    ]

    /// The bindings of one scope, in table order.
    public static func bindings(in scope: KeyScope) -> [KeyBinding] { bindings.filter { $0.scope == scope } }

    /// The status line's hint: `? help  q quit`.
    public static var hint: String {
        bindings.compactMap { binding in binding.hint.map { "\(binding.keys.first?.description ?? "") \($0)" } }
            .joined(separator: "  ")
    }

    /// A question's answers: `y` and `quit, cancelling their sessions`. With a background
    /// engine, leaving keeps uploads running (`d`); without one, `k` keeps them for the next run.
    public static func answers(_ scope: KeyScope, background: Bool = false) -> [(key: String, text: String)] {
        bindings(in: scope)
            .filter { background ? $0.action != .keepForLater : $0.action != .detach }
            .map { (key: $0.keyNames, text: $0.help) }
    }

    /// The action for `key` when `focus` has the keys and nothing overlays the panes.
    public static func action(for key: Key, focus: Focus) -> Action? {
        let scope: KeyScope = focus == .browser ? .browser : .queue
        return bindings.first { ($0.scope == scope || $0.scope == .global) && $0.keys.contains(key) }?.action
    }

    /// The action for `key` given everything that can capture keys: leaving, the questions,
    /// overlays and the filter being typed come before the panes.
    public static func action(for key: Key, in state: AppState) -> Action? {
        func lookup(_ scope: KeyScope) -> Action? { bindings.first { $0.scope == scope && $0.keys.contains(key) }?.action }
        if state.isQuitting { return lookup(.leaving) }
        if key == .ctrlC { return .interrupt }
        // Too small, the message says "q to quit", whatever was open behind it (an overlay,
        // the cancel-all question, a filter being typed); the quit question it then shows
        // takes its own answers.
        if Layout(size: state.size).isTooSmall {
            if state.overlay == .confirmQuit { return lookup(.quitQuestion) }
            return key == .character("q") ? .quit : nil
        }
        switch state.overlay {
        case .confirmQuit: return lookup(.quitQuestion)
        case .confirmCancelAll: return lookup(.cancelQuestion)
        case .help, .log, .detail: return lookup(.overlay)
        case nil: break
        }
        if state.focus == .browser, state.browser.isFiltering {
            if let action = lookup(.filter) { return action }
            if case .character(let character) = key { return .filterType(character) }
        }
        return action(for: key, focus: state.focus)
    }
}
