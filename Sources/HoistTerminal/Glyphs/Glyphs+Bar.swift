/// A progress bar split where its two theme styles meet.
public struct BarSegments: Sendable, Hashable {
    /// The finished part, partial cell included (and the opening cap for ASCII bars).
    public var done: String
    /// The unfinished part (and the closing cap for ASCII bars).
    public var todo: String

    /// Both parts together.
    public var text: String { done + todo }
}

extension Glyphs {
    /// A progress bar exactly `width` cells wide, e.g. `████▌   ` or `[####----]`.
    ///
    /// The fraction is clamped to 0…1 (NaN counts as 0) and rounded down, so a bar is full
    /// only when the work is: 99.9 % never looks finished.
    public func bar(fraction: Double, width: Int) -> String {
        barSegments(fraction: fraction, width: width).text
    }

    /// The bar of ``bar(fraction:width:)`` split into done and todo parts, so that each can
    /// be drawn in its own style.
    public func barSegments(fraction: Double, width: Int) -> BarSegments {
        guard width > 0 else { return BarSegments(done: "", todo: "") }
        let clamped = fraction.isNaN ? 0 : min(1, max(0, fraction))
        let caps: (open: String, close: String) = width >= 3 ? barCaps : ("", "")
        let inner = width - caps.open.count - caps.close.count
        let steps = barEighths.count + 1
        // Integer steps keep 100 % exact and avoid a full cell from rounding noise.
        let filled = min(inner * steps, Int((clamped * Double(inner * steps)).rounded(.down)))
        let full = filled / steps
        let partial = filled % steps
        var done = caps.open + String(repeating: barDone, count: full)
        if partial > 0 { done += barEighths[partial - 1] }
        let remaining = inner - full - (partial > 0 ? 1 : 0)
        return BarSegments(done: done, todo: String(repeating: barTodo, count: remaining) + caps.close)
    }
}
