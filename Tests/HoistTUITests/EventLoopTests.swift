import Foundation
import HoistEngine
import HoistTestSupport
import HoistTerminal
import Testing
@testable import HoistTUI

/// The event loop on the in-memory screen with a clock the test moves and a scripted
/// engine link: pacing, idle silence, stalls, the quit deadline, effects. No tmux.
@Suite("Event loop on the in-memory screen")
struct EventLoopTests {
    final class Rig {
        let screen: GridScreen
        let clock = ManualEngineClock()
        let link = ScriptedLink()
        let loop: EventLoop
        let directory: String
        /// How many paths of a `u` the loop checks first, then per turn.
        let firstSlice: Int, slice: Int

        /// `slices` smaller than the app's keep a test of slicing to a few dozen files.
        init(size: Size = Size(rows: 40, columns: 120), resume: [String] = [], slices: (first: Int, rest: Int)? = nil) throws {
            directory = try TempDirectory.make(prefix: "hoist-loop")
            for name in ["a.bin", "b.bin"] { try TestFiles.write(Data(repeating: 1, count: 100), to: directory + "/" + name) }
            screen = GridScreen(size: size)
            var configuration = TUIConfiguration(directory: directory, destination: "test server", theme: .default, glyphs: .unicode,
                                                 usesColors: true, concurrency: 4)
            configuration.clock = clock
            configuration.resume = Resume(paths: resume)
            if let slices {
                configuration.firstCheckSlice = slices.first
                configuration.checkSlice = slices.rest
            }
            (firstSlice, slice) = (configuration.firstCheckSlice, configuration.checkSlice)
            let clock = clock
            loop = EventLoop(screen: screen, link: link, configuration: configuration,
                             wallClock: { wall.addingTimeInterval(clock.now().seconds) })
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        /// Advances the clock by `step` and runs one turn of the loop, `times` times.
        @discardableResult
        func run(_ times: Int = 1, every step: Duration = .milliseconds(50)) -> TUIExit? {
            for _ in 0..<times {
                clock.advance(by: step)
                if let exit = loop.step() { return exit }
            }
            return nil
        }

        func post(_ id: Int, _ kind: EngineEvent.Kind, path: String = "/big") {
            link.post(EngineEvent(job: JobID(id), path: path, kind: kind, time: clock.now()))
        }
    }

    @Test("start lists the directory, asks for the history, draws one frame, sets the title; then idle, nothing is drawn")
    func idle() throws {
        let rig = try Rig()
        #expect(rig.loop.start() == nil)
        #expect(rig.link.historyRequests == 1)
        #expect(rig.run() == nil)
        #expect(rig.screen.frameCount == 1)
        #expect(rig.screen.text.contains("a.bin"))
        #expect(rig.screen.title == "hoist")
        rig.run(200, every: .milliseconds(100))
        #expect(rig.screen.frameCount == 1, "20 s idle drew \(rig.screen.frameCount - 1) more frames")
    }

    @Test("engine-driven frames are paced to one per 250 ms; keys draw at once")
    func pacing() throws {
        let rig = try Rig()
        rig.loop.start()
        rig.post(1, .queued(size: 1 << 30))
        rig.post(1, .started)
        rig.post(1, .sessionCreated(remoteID: "fil_1", filename: "big"))
        var sent: Int64 = 0
        for _ in 0..<40 {
            rig.post(1, .progress(sent: sent, total: 1 << 30))
            sent += 100_000
            rig.run(every: .milliseconds(50))
        }
        // 2 s of events every 50 ms: at most one frame per 250 ms.
        #expect(rig.screen.frameCount <= 2 * 4 + 2, "\(rig.screen.frameCount) frames in 2 s")
        #expect(rig.screen.frameCount >= 2 * 4 - 1)
        let before = rig.screen.frameCount
        rig.screen.push(.tab)
        rig.run(every: .milliseconds(1))
        #expect(rig.screen.frameCount == before + 1, "a key is answered with a frame at once")
    }

    @Test("a PUT that goes quiet shows stalled and 0 B/s within a second of 3 s after its last byte, with no event")
    func stall() throws {
        let rig = try Rig()
        rig.loop.start()
        rig.post(1, .queued(size: 1 << 30))
        rig.post(1, .started)
        rig.post(1, .sessionCreated(remoteID: "fil_1", filename: "big"))
        var sent: Int64 = 0
        for _ in 0..<30 {
            rig.post(1, .progress(sent: sent, total: 1 << 30))
            sent += 200_000
            rig.run(every: .milliseconds(100))
        }
        let lastByte = rig.clock.now() - .milliseconds(100)
        #expect(rig.screen.text.contains("1.9 MiB/s"), "\(rig.screen.text)")
        while rig.clock.now() < lastByte + .milliseconds(2900) { rig.run(every: .milliseconds(100)) }
        #expect(!rig.screen.text.contains("stalled"))
        while rig.clock.now() < lastByte + .seconds(4) { rig.run(every: .milliseconds(100)) }
        #expect(rig.screen.text.contains("stalled"))
        #expect(rig.screen.text.contains("0 B/s"))
        // Stalled is still "something moving": at most one frame a second, not more.
        let frames = rig.screen.frameCount
        rig.run(50, every: .milliseconds(100))
        #expect(rig.screen.frameCount - frames <= 6)
    }

    @Test("y then C: quitting cancels and leaves when the server answered; the title is given back")
    func quitWhenCancelled() throws {
        let rig = try Rig()
        rig.loop.start()
        rig.post(1, .queued(size: 100))
        rig.post(1, .started)
        rig.run()
        rig.screen.push(.character("q"))
        #expect(rig.run() == nil)
        #expect(rig.screen.text.contains("Quit hoist?"))
        #expect(rig.screen.text.contains("keeping them for the next run"))
        rig.screen.push(.character("y"))
        #expect(rig.run() == nil)
        #expect(rig.link.commands.last == .cancelAll)
        rig.screen.push(.character("u"), .tab, .character("q"))
        #expect(rig.run(3) == nil, "while leaving, other keys do nothing")
        rig.post(1, .cancelled)
        let exit = rig.run()
        #expect(exit == .quit(keepUnfinished: false))
        #expect(rig.loop.finish(exit ?? .quit(keepUnfinished: false)) == .quit(keepUnfinished: false))
        #expect(rig.screen.title == nil)
    }

    @Test("quitting leaves at the deadline when the server never answers")
    func quitDeadline() throws {
        let rig = try Rig()
        rig.loop.start()
        rig.post(1, .queued(size: 100))
        rig.post(1, .started)
        rig.run()
        rig.screen.push(.character("q"), .character("y"))
        rig.run(every: .milliseconds(1))
        #expect(rig.run(every: .milliseconds(1)) == nil)
        var exit: TUIExit?
        var waited: Duration = .zero
        while exit == nil, waited < .seconds(20) {
            exit = rig.run(every: .milliseconds(100))
            waited += .milliseconds(100)
        }
        #expect(exit == .quit(keepUnfinished: false))
        #expect(waited >= .milliseconds(9900) && waited <= .milliseconds(10_200), "left after \(waited)")
    }

    @Test("k in the quit question leaves at once, keeping the unfinished uploads")
    func keep() throws {
        let rig = try Rig()
        rig.loop.start()
        rig.post(1, .queued(size: 100))
        rig.run()
        rig.screen.push(.character("q"), .character("k"))
        rig.run()
        #expect(rig.run() == .quit(keepUnfinished: true))
        #expect(!rig.link.commands.contains(.cancelAll))
    }

    @Test("Ctrl-L repaints every cell; y copies the URL the engine answered; the title follows the progress, once a second at most")
    func effects() throws {
        let rig = try Rig()
        rig.loop.start()
        rig.screen.push(.control("l"))
        rig.run()
        #expect(rig.screen.invalidations == 1)
        rig.post(1, .queued(size: 100), path: rig.directory + "/a.bin")
        rig.post(2, .queued(size: 300), path: rig.directory + "/b.bin")
        rig.post(2, .started, path: rig.directory + "/b.bin")
        rig.post(1, .completed(remoteID: "fil_1", md5: "m"), path: rig.directory + "/a.bin")
        rig.run(6)
        #expect(rig.screen.title == "hoist", "at most one title a second: bytes over the wire")
        rig.run(20)
        #expect(rig.screen.title == "hoist 1/2 25%", "the latest title is written once due, with no frame needed")
        rig.post(2, .completed(remoteID: "fil_2", md5: "m"), path: rig.directory + "/b.bin")
        rig.run()
        #expect(rig.screen.title == "hoist 2/2 100%", "a finished state's title goes out at once")
        rig.screen.push(.tab, .character("g"), .character("y"))
        rig.run(3)
        #expect(rig.link.urlRequests == ["fil_1"])
        rig.link.post(.fetchedURL(job: JobID(1), .success("http://x/dl/fil_1")))
        rig.run()
        #expect(rig.screen.clipboard == ["http://x/dl/fil_1"])
        // The browser marks the file just uploaded.
        #expect(rig.screen.lines.contains { $0.contains("✓ a.bin") })
    }

    @Test("u refuses a file pre-flight refuses, and sends the engine nothing for it")
    func preflightRefusal() throws {
        let rig = try Rig()
        rig.link.refuse(rig.directory + "/a.bin", .unreadable(rig.directory + "/a.bin", "Permission denied"))
        rig.loop.start()
        rig.run()
        #expect(rig.screen.lines.contains { $0.contains("! a.bin") && $0.contains("unreadable") })
        rig.screen.push(.character("u"))
        rig.run()
        #expect(rig.link.commands.isEmpty)
        #expect(rig.screen.text.contains("not queued: \(rig.directory)/a.bin: Permission denied"))
        rig.screen.push(.down, .character("u"))
        rig.run(2)
        #expect(rig.link.commands == [.add([rig.directory + "/b.bin"], bytes: 100)], "with the bytes checked")
    }

    @Test("u over many files queues them a slice at a time, the first slice small; the status line and the log speak for the whole")
    func largeSelectionsQueueInSlices() throws {
        let rig = try Rig()
        let names = (0..<300).map { String(format: "f-%03d.bin", $0) }
        for name in names { try TestFiles.write(Data([1]), to: rig.directory + "/" + name) }
        // Sorted last, so in the second slice: a second path to a file the first slice queued.
        #expect(symlink(rig.directory + "/f-000.bin", rig.directory + "/z-link.bin") == 0)
        rig.loop.start()
        rig.run()
        rig.screen.push(.character("a"), .character("u"))
        rig.run(2)
        // The first slice is queued, and drawn, before the rest is checked.
        let paths = (["a.bin", "b.bin"] + names).map { rig.directory + "/" + $0 }
        #expect(rig.link.commands.compactMap(\.addedPaths) == [Array(paths.prefix(rig.firstSlice))])
        #expect(rig.screen.text.contains("queued \(rig.firstSlice) items"))
        rig.run()
        #expect(rig.link.commands.compactMap(\.addedPaths) == [Array(paths.prefix(rig.firstSlice)), Array(paths.dropFirst(rig.firstSlice))])
        #expect(rig.loop.state.message == "queued 302 items; z-link.bin already queued")
        #expect(rig.loop.state.log.filter { $0.text.hasPrefix("queued") }.map(\.text) == ["queued 302 items; z-link.bin already queued"])
    }

    @Test("quitting while a u is still being checked drops the rest of it: no slice is queued after the cancel")
    func cancelAllDropsTheRestOfAU() throws {
        let rig = try Rig(slices: (first: 4, rest: 16))
        // Four slices: the first, two full ones, and the rest. One is checked a turn, and a
        // key is read a turn: Ctrl-C twice takes two, so the last slice is still unchecked.
        let count = rig.firstSlice + 2 * rig.slice + 10
        for index in 0..<count { try TestFiles.write(Data([1]), to: rig.directory + String(format: "/f-%05d.bin", index)) }
        rig.loop.start()
        rig.run()
        rig.screen.push(.character("a"), .character("u"))
        rig.run(2)
        #expect(rig.link.commands.count == 1)
        // The files handed over wait for the engine: counted, so there is something to cancel.
        rig.screen.push(.signal(.interrupt), .signal(.interrupt))
        rig.run(2)
        let cancel = try #require(rig.link.commands.firstIndex(of: .cancelAll))
        rig.run(3)
        #expect(rig.link.commands.count == cancel + 1)
        #expect(rig.link.commands.filter { if case .add = $0 { true } else { false } }.count < 4)
    }

    @Test("a hang-up while a u is still being checked hands the rest of it to the engine before the loop ends: every file, in order, once")
    func hangUpHandsOverTheRestOfAU() throws {
        let rig = try Rig(slices: (first: 4, rest: 16))
        // Four slices; the hang-up comes after the first, with three still unchecked.
        let count = rig.firstSlice + 2 * rig.slice + 10
        let names = (0..<count).map { String(format: "f-%05d.bin", $0) }
        for name in names { try TestFiles.write(Data([1]), to: rig.directory + "/" + name) }
        rig.loop.start()
        rig.run()
        rig.screen.push(.character("a"), .character("u"))
        rig.run(2)
        #expect(rig.link.commands.compactMap(\.addedPaths).count == 1)
        rig.screen.push(.signal(.hangup))
        #expect(rig.run() == .signal(.hangup))
        let handed = rig.link.commands.compactMap(\.addedPaths)
        #expect(handed.flatMap { $0 } == (["a.bin", "b.bin"] + names).map { rig.directory + "/" + $0 })
        #expect(handed.count == 4, "slice by slice, as they would have gone")
    }

    @Test("a file named three ways: itself and a symlink to it are one upload, said once, not failed; a hard link is an upload of its own, as the engine's job is")
    func sameFileOnce() throws {
        let rig = try Rig()
        #expect(symlink(rig.directory + "/a.bin", rig.directory + "/c-link.bin") == 0)
        #expect(link(rig.directory + "/a.bin", rig.directory + "/d-hard.bin") == 0)
        // A symlink to the hard link leads to the hard link's path: already queued too.
        #expect(symlink(rig.directory + "/d-hard.bin", rig.directory + "/e-link.bin") == 0)
        rig.loop.start()
        rig.screen.push(.character("a"), .character("u"))
        rig.run(2)
        #expect(rig.link.commands.compactMap(\.addedPaths) == [[rig.directory + "/a.bin", rig.directory + "/b.bin", rig.directory + "/d-hard.bin"]])
        #expect(rig.screen.text.contains("queued 3 items; 2 items already queued"), "\(rig.screen.text)")
        #expect(rig.loop.state.queue.counts.failed == 0)
    }

    @Test("resume paths go to the engine paused; a resize reflows; SIGTERM ends the loop with the signal")
    func resumeResizeSignal() throws {
        let rig = try Rig(resume: ["/x/a"])
        rig.loop.start()
        #expect(rig.link.commands == [.pause, .add(["/x/a"])])
        rig.screen.resize(to: Size(rows: 12, columns: 50))
        rig.run()
        #expect(rig.loop.state.size == Size(rows: 12, columns: 50))
        #expect(rig.screen.text.contains("terminal too small"))
        rig.screen.push(.signal(.terminate))
        #expect(rig.run() == .signal(.terminate))
    }
}

extension EngineCommand {
    /// The paths of an `add`, whatever their bytes; nil for any other command.
    var addedPaths: [String]? {
        if case .add(let paths, _, _) = self { paths } else { nil }
    }
}
