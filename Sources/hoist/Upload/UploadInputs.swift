import HoistEngine

/// Engine events, progress ticks and the ids `add` gave merged into one stream, so that one
/// loop owns the reporter: a tick comes even while no event does (a stalled upload still
/// gets its line), and events are reported while a large tree is still being queued.
struct UploadInputs: Sendable {
    enum Input: Sendable {
        case event(EngineEvent)
        /// The progress clock ticked at this engine-clock time.
        case tick(Duration)
        /// Every job of the command is known: these are its ids.
        case added([JobID])
    }

    let stream: AsyncStream<Input>
    /// The ids `added` came to (also sent as `.added`, in turn with the events).
    let ids: Task<[JobID], Never>
    private let tasks: [Task<Void, Never>]

    /// Forwards `events`, the ids `added` comes to, and ticks every `tick` (none when nil),
    /// on `clock`.
    init(events: AsyncStream<EngineEvent>, added: @escaping @Sendable () async -> [JobID], tick: Duration?,
         clock: any EngineClock) {
        let (stream, feed) = AsyncStream.makeStream(of: Input.self)
        self.stream = stream
        let ids = Task { await added() }
        self.ids = ids
        var tasks = [Task {
            for await event in events { feed.yield(.event(event)) }
            feed.finish()
        }, Task { feed.yield(.added(await ids.value)); return }]
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
