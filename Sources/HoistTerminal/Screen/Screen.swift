/// A terminal to draw on, frame by frame, and to read keys from.
///
/// One event loop owns a screen and calls it from one task. A frame starts blank
/// (``beginFrame()``), panes draw everything they show, and ``endFrame()`` pushes the frame
/// out; the real terminal sends only the cells that changed since the last frame.
///
/// Coordinates are zero-based rows and columns. Drawing outside the screen is clipped,
/// never an error.
public protocol Screen: AnyObject, Sendable {
    /// The current size; it changes only when ``readKey(timeout:)`` returns ``Key/resize``.
    var size: Size { get }

    /// Starts a frame on a blank canvas.
    func beginFrame()

    /// Draws `text` at a position, cut to `width` cells (or the screen's edge) and returns
    /// the number of cells drawn. Control characters show as `?`; a wide character that
    /// would straddle the limit is left out, so nothing spills past `width`.
    @discardableResult
    func draw(_ text: String, row: Int, column: Int, width: Int?, style: Style) -> Int

    /// Fills a rectangle with spaces in `style` (backgrounds, clearing a pane).
    func fill(_ rect: Rect, style: Style)

    /// Ends the frame and shows it: exactly one terminal update per frame.
    func endFrame()

    /// Waits up to `timeout` (forever if `nil`) for a key and returns it, or `nil` if none
    /// came. Resizes and trapped signals arrive here too.
    func readKey(timeout: Duration?) -> Key?

    /// Sets the terminal window's title (`hoist 12/40 31%`); `nil` gives back the title the
    /// terminal had before. Written between frames, never inside one.
    func setTitle(_ title: String?)

    /// Puts `text` on the clipboard of the terminal the user sits at (OSC 52), which
    /// reaches it over SSH and through tmux.
    func copyToClipboard(_ text: String)

    /// Makes the next frame rewrite every cell, not only the changed ones (Ctrl-L: the
    /// terminal was scribbled on by something else).
    func invalidate()
}

extension Screen {
    /// Draws `text` at a position, cut at the screen's edge.
    @discardableResult
    public func draw(_ text: String, row: Int, column: Int, style: Style = .plain) -> Int {
        draw(text, row: row, column: column, width: nil, style: style)
    }

    /// Clears the whole screen to the terminal's default look.
    public func clear() {
        fill(Rect(size), style: .plain)
    }
}
