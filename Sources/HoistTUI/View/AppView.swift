import HoistTerminal

/// Draws the whole state: panes, or the too-small message, and any overlay.
public enum AppView {
    public static func draw(_ state: AppState, on canvas: Canvas) {
        canvas.screen.beginFrame()
        let layout = Layout(size: state.size)
        if layout.isTooSmall {
            Overlays.tooSmall(state, on: canvas)
        } else {
            BrowserPane.draw(state, in: layout.browser, on: canvas)
            QueuePane.draw(state, in: layout.queue, on: canvas)
            StatusPane.draw(state, in: layout.status, on: canvas)
            switch state.overlay {
            case .help(let offset): HelpOverlay.draw(state.size, offset: offset, background: state.background, on: canvas)
            case .log(let offset): LogOverlay.draw(state.log, offset: offset, size: state.size, on: canvas)
            case .detail(let id, let offset):
                if let row = state.queue.row(id) { DetailOverlay.draw(row, offset: offset, state: state, on: canvas) }
            case .confirmQuit: Overlays.confirmQuit(state, on: canvas)
            case .confirmCancelAll: Overlays.confirmCancelAll(state, on: canvas)
            case nil: break
            }
        }
        canvas.screen.endFrame()
    }
}
