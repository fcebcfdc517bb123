import HoistEngine
import Synchronization

/// Connects the UI thread, which must never await, to the engine actor: events and the
/// answers of asynchronous effects are collected into an inbox the loop drains; commands go
/// out through one ordered channel, so "queue then cancel" can never arrive as "cancel then
/// queue".
///
/// Files to queue go their own way: one `add` at a time, each held at `UploadEngine.defaultBacklog` queued
/// jobs (`UploadEngine.add(backlog:)`), so a `u` of 100,000 files costs the engine jobs for
/// the files on their way, not for all of them, and its walk is journaled for the files
/// not reached (each add's paths are journaled as it is sent, before its turn). The
/// commands behind it are not held up meanwhile. Cancelling everything
/// stops every add sent before it, started or not, before the engine hears of the cancel.
final class EngineBridge: EngineLink {
    private let engine: UploadEngine
    private let inbox = Inbox()
    private let commands: AsyncStream<EngineCommand>.Continuation
    private let adds: AsyncStream<Add>.Continuation
    /// The adds sent and not yet over, and when to say that none is.
    private let walking = Walking()

    /// An add sent: the journal's record of its paths, and the handle that stops it. The
    /// paths wait in the journal for the add's turn and are read back then; only an add the
    /// journal could not record holds them (compactly). 100,000 paths held as `String`s
    /// were most of the 7.6 MiB a `u` of that many held.
    struct Add: Sendable {
        let held: PathList
        let walk: UploadEngine.WalkRecord?
        let parts: AddParts
    }

    final class Walking: Sendable {
        let state = Mutex(State())

        struct State {
            /// The adds sent and not yet over, oldest first.
            var sent: [AddParts] = []
            /// How many adds were ever sent: ``Input/addsSettled(adds:)`` names them.
            var count = 0
            /// Engine events passed on to the inbox so far.
            var received = 0
            /// The last add is over; once this many events are passed on (its jobs' first
            /// ones among them), ``Input/addsSettled(adds:)`` follows them.
            var settleAt: Int?
        }
    }
    private let tasks: [Task<Void, Never>]

    init(engine: UploadEngine) {
        self.engine = engine
        let (stream, continuation) = AsyncStream.makeStream(of: EngineCommand.self)
        commands = continuation
        let (addStream, addContinuation) = AsyncStream.makeStream(of: Add.self)
        adds = addContinuation
        let inbox = inbox, walking = walking
        let collector = Task {
            for await event in engine.events {
                inbox.post(event)
                walking.state.withLock { walk in
                    walk.received += 1
                    if let at = walk.settleAt, walk.received >= at, walk.sent.isEmpty {
                        walk.settleAt = nil
                        inbox.post(.addsSettled(adds: walk.count))
                    }
                }
            }
        }
        let adder = Task {
            for await add in addStream {
                let paths: [String]
                if add.parts.isStopped {
                    paths = []  // dropped before its turn: nothing to read back
                } else if let walk = add.walk {
                    // Gone only if another hoist on this journal resumed it as unfinished.
                    if let read = (try? engine.paths(of: walk)) ?? nil {
                        paths = read
                    } else {
                        paths = []
                        inbox.post(.problem("a slice of the files queued was no longer in the journal; another hoist may have taken it over"))
                    }
                } else {
                    paths = Array(add.held)
                }
                await engine.add(paths: paths, backlog: UploadEngine.defaultBacklog, parts: add.parts, walk: add.walk)
                // Said after the events of the jobs it queued, which the collector may still
                // be passing on: said before them, their rows would be taken for files
                // still waiting.
                let emitted = engine.emittedEvents
                walking.state.withLock { walk in
                    walk.sent.removeAll { $0 === add.parts }
                    guard walk.sent.isEmpty else { return }
                    if walk.received >= emitted {
                        walk.settleAt = nil
                        inbox.post(.addsSettled(adds: walk.count))
                    } else {
                        walk.settleAt = emitted
                    }
                }
            }
        }
        let sender = Task {
            for await command in stream {
                switch command {
                case .add: break  // sent on `adds` (see `send`)
                case .cancel(let id): await engine.cancel(id)
                case .cancelAll: await engine.cancelAllPending()
                case .retry(let id): await engine.retry(id)
                case .pause: await engine.pause()
                case .resume: await engine.resume()
                case .setConcurrency(let n): await engine.setConcurrency(n)
                }
            }
        }
        tasks = [collector, adder, sender]
    }

    func send(_ command: EngineCommand) {
        switch command {
        case .add(let paths, _, let journaled):
            // Journaled now, not when its turn comes: the adds before it may hold it back
            // for minutes, and a dropped connection kills this process with them.
            let walk = journaled ?? engine.journalWalk(paths)
            let parts = AddParts()
            walking.state.withLock { walk in
                walk.sent.append(parts)
                walk.count += 1
            }
            adds.yield(Add(held: walk == nil ? PathList(paths) : [], walk: walk, parts: parts))
        case .cancelAll:
            // Before the engine hears of it: an add not yet begun must not begin after it.
            for parts in walking.state.withLock({ $0.sent }) { parts.stop() }
            commands.yield(command)
        default:
            commands.yield(command)
        }
    }

    func loadHistory(limit: Int) {
        let engine = engine, inbox = inbox
        Task { inbox.post(.history(await engine.history(limit: limit))) }
    }

    func fetchURL(job: JobID, remoteID: String) {
        let api = engine.api, inbox = inbox
        Task {
            do throws(EngineError) {
                inbox.post(.fetchedURL(job: job, .success(try await api.downloadURL(id: remoteID))))
            } catch {
                inbox.post(.fetchedURL(job: job, .failure(error)))
            }
        }
    }

    func preflight(_ paths: [String]) -> [EngineError?] { engine.preflight(paths) }

    func drain() -> [Input] { inbox.take() }

    func finish() async {
        // In this process: every add is journaled as it is sent, and the engine runs on.
        commands.finish()
        adds.finish()
    }
}
