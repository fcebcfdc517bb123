import HoistEngine

/// Engine events and progress ticks merged into one stream, so that one loop owns the
/// reporter: a tick comes even while no event does (a stalled upload still gets its line).
struct UploadInputs: Sendable {
    enum Input: Sendable {
        case event(EngineEvent)
        /// The progress clock ticked at this engine-clock time.
        case tick(Duration)
    }

    let stream: AsyncStream<Input>
    private let tasks: [Task<Void, Never>]

    /// Forwards `events`, and ticks every `tick` (none when nil), on `clock`.
    init(events: AsyncStream<EngineEvent>, tick: Duration?, clock: any EngineClock) {
        let (stream, feed) = AsyncStream.makeStream(of: Input.self)
        self.stream = stream
        var tasks = [Task {
            for await event in events { feed.yield(.event(event)) }
            feed.finish()
        }]
        if let tick, tick > .zero {
            tasks.append(Task {
                // On deadlines from the start, so that lines do not drift by the time each takes.
                var next = clock.now() + tick
                while !Task.isCancelled {
                    do { try await clock.sleep(for: max(.zero, next - clock.now())) } catch { return }
                    feed.yield(.tick(clock.now()))
                    next += tick
                    if next <= clock.now() { next = clock.now() + tick }
                }
            })
        }
        self.tasks = tasks
    }

    func stop() { for task in tasks { task.cancel() } }
}
