import Foundation
import HoistEngine
import HoistTerminal
import Testing
@testable import HoistTUI

/// Pane drawing on the in-memory screen, compared with text snapshots. A snapshot that
/// changes on purpose is updated here, by hand, after looking at it.
@Suite("Pane snapshots")
struct PaneSnapshotTests {
    /// The clock time shown for `seconds` after the scenes' wall clock (local time zone).
    func t(_ seconds: Int) -> String { Overlays.clockTime(wall.addingTimeInterval(Double(seconds))) }

    @Test("80×24: browser with a mark, a queue with every state, status lines")
    func busy80x24() {
        let expected =         """
        ┌─ /data/photos ───────────────┐┌─ Queue 1/5 ──────────────────────────────────┐
        │  raw/                        ││ done.jpg       █████████ 100% done           │
        │● a.png                3.0 MiB││ 写真.png                      queued         │
        │  b.jpg                2.0 KiB││ broken.png                 0% failed: unrea… │
        │                              ││ flaky.png                  0% retry in 2s: … │
        │                              ││ never.png                  0% cancelled      │
        │                              ││ holiday video… ██▋        30% uploading      │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        │                              ││                                              │
        └─ 1 marked ───────────────────┘└──────────────────────────────────────────────┘
         1/5 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
         embedded server http://127.0.0.1:9 (lightfield, purpose general)
         queued 6 items                                                  ? help  q quit
        """
        #expect(SnapshotScenes.render(SnapshotScenes.busy(size: Size(rows: 24, columns: 80))) == expected)
    }

    @Test("120×40: speed and ETA columns appear, short reasons are whole")
    func busy120x40() {
        let expected =         """
        ┌─ /data/photos ───────────────────────────────┐┌─ Queue 1/5 ──────────────────────────────────────────────────────────┐
        │  raw/                                        ││ done.jpg     ████████ 100%                    done                   │
        │● a.png                                3.0 MiB││ 写真.png                                      queued                 │
        │  b.jpg                                2.0 KiB││ broken.png              0%                    failed: unreadable     │
        │                                              ││ flaky.png               0%                    retry in 2s: 503: busy │
        │                                              ││ never.png               0%                    cancelled              │
        │                                              ││ holiday vid… ██▍       30% 10.0 MiB/s    0:07 uploading              │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        │                                              ││                                                                      │
        └─ 1 marked ───────────────────────────────────┘└──────────────────────────────────────────────────────────────────────┘
         1/5 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
         embedded server http://127.0.0.1:9 (lightfield, purpose general)
         queued 6 items                                                                                          ? help  q quit
        """
        #expect(SnapshotScenes.render(SnapshotScenes.busy(size: Size(rows: 40, columns: 120))) == expected)
    }

    @Test("smaller than 60×15: the too-small message instead of the panes")
    func busy50x12() {
        let expected = """





                        terminal too small
                     50×12, hoist needs 60×15
                     enlarge it, or q to quit




        """
        #expect(SnapshotScenes.render(SnapshotScenes.busy(size: Size(rows: 12, columns: 50))) == expected)
    }

    @Test("the help overlay, generated from the key map, scrolls at 80×24")
    func help80x24() {
        let expected =         """
        ┌─ /data/photos ───────────────┐┌─ Queue 1/5 ──────────────────────────────────┐
        │ ┌─ Keys (↑↓ scroll, Esc closes) ───────────────────────────────────────────┐ │
        │●│ Everywhere                         File browser                          │ │
        │ │ Up k          move up              Right l Enter    open directory       │ │
        │ │ Down j        move down            Left h Backspace parent directory     │ │
        │ │ PgUp          page up              Space            mark / unmark        │ │
        │ │ PgDn          page down            a                mark all files       │ │
        │ │ Home g        first row            u                upload marked / this │ │
        │ │ End G         last row             .                hidden files         │ │
        │ │ Tab Shift-Tab browser / queue      /                filter by name       │ │
        │ │ p             pause / resume                                             │ │
        │ │ +             more at once         Queue                                 │ │
        │ │ -             fewer at once        Enter            details              │ │
        │ │ L             event log            c Delete         cancel upload        │ │
        │ │ ?             this help            C                cancel all (asks)    │ │
        │ │ Esc           clear the filter     r                retry this one       │ │
        │ │ Ctrl-L        repaint the screen   R                retry every failed   │ │
        │ │ q             quit                 y                copy its URL         │ │
        │ │ Ctrl-C        quit; twice: now     H                earlier uploads      │ │
        │ │                                                                          │ │
        └─│ Typing a filter: text narrows the list · Backspace erase · Enter keep    │─┘
         1│ filter · Esc clear filter                                                │
         e└─ lines 1–20 of 26 ───────────────────────────────────────────────────────┘
         queued 6 items                                                  ? help  q quit
        """
        #expect({ var s = SnapshotScenes.busy(size: Size(rows: 24, columns: 80)); _ = Reducer.reduce(&s, .showHelp, now: s.now, wall: wall); return SnapshotScenes.render(s) }() == expected)
    }

    @Test("the help overlay fits 100×30 whole, every modal state's keys included")
    func help100x30() {
        let expected =         """
        ┌─ /data/photos ───────────────────────┐┌─ Queue 1/5 ──────────────────────────────────────────────┐
        │  raw/     ┌─ Keys (Esc closes) ──────────────────────────────────────────────────────┐           │
        │● a.png    │ Everywhere                         File browser                          │           │
        │  b.jpg    │ Up k          move up              Right l Enter    open directory       │unreadable │
        │           │ Down j        move down            Left h Backspace parent directory     │ 2s: 503:… │
        │           │ PgUp          page up              Space            mark / unmark        │d          │
        │           │ PgDn          page down            a                mark all files       │g          │
        │           │ Home g        first row            u                upload marked / this │           │
        │           │ End G         last row             .                hidden files         │           │
        │           │ Tab Shift-Tab browser / queue      /                filter by name       │           │
        │           │ p             pause / resume                                             │           │
        │           │ +             more at once         Queue                                 │           │
        │           │ -             fewer at once        Enter            details              │           │
        │           │ L             event log            c Delete         cancel upload        │           │
        │           │ ?             this help            C                cancel all (asks)    │           │
        │           │ Esc           clear the filter     r                retry this one       │           │
        │           │ Ctrl-L        repaint the screen   R                retry every failed   │           │
        │           │ q             quit                 y                copy its URL         │           │
        │           │ Ctrl-C        quit; twice: now     H                earlier uploads      │           │
        │           │                                                                          │           │
        │           │ Typing a filter: text narrows the list · Backspace erase · Enter keep    │           │
        │           │ filter · Esc clear filter                                                │           │
        │           │ Help, log, details: Esc q Enter L ? close · Up k up · Down j down · PgUp │           │
        │           │ page up · PgDn page down · Home g top · End G bottom · y copy URL        │           │
        │           │ Quit question: y quit, cancelling their sessions · k quit, keeping them  │           │
        │           │ for the next run · n stay                                                │           │
        └─ 1 marked │ Cancel-all question: y cancel them all · n keep them                     │───────────┘
         1/5 done  3│ While leaving: Ctrl-C leave now, without waiting for the server          │
         embedded se└──────────────────────────────────────────────────────────────────────────┘
         queued 6 items                                                                      ? help  q quit
        """
        #expect({ var s = SnapshotScenes.busy(size: Size(rows: 30, columns: 100)); _ = Reducer.reduce(&s, .showHelp, now: s.now, wall: wall); return SnapshotScenes.render(s) }() == expected)
    }

    @Test("the quit question offers cancel, keep and stay, over ASCII glyphs")
    func confirmASCII80x24() {
        let expected =         """
        +- /data/photos ---------------++- Queue 1/5 ----------------------------------+
        |  raw/                        || done.jpg       [#######] 100% done           |
        |* a.png                3.0 MiB|| 写真.png       [-------]      queued         |
        |  b.jpg                2.0 KiB|| broken.png     [-------]   0% failed: unrea~ |
        |                              || flaky.png      [-------]   0% retry in 2s: ~ |
        |                              || never.png      [-------]   0% cancelled      |
        |                              || holiday video~ [##-----]  30% uploading      |
        |                              ||                                              |
        |             +- Quit hoist? ------------------------------------+             |
        |             |  3 uploads are not finished.                     |             |
        |             |                                                  |             |
        |             |  y  quit, cancelling their sessions              |             |
        |             |  k  quit, keeping them for the next run          |             |
        |             |  n  stay                                         |             |
        |             |                                                  |             |
        |             +--------------------------------------------------+             |
        |                              ||                                              |
        |                              ||                                              |
        |                              ||                                              |
        |                              ||                                              |
        +- 1 marked -------------------++----------------------------------------------+
         1/5 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
         embedded server http://127.0.0.1:9 (lightfield, purpose general)
         queued 6 items                                                  ? help  q quit
        """
        #expect({ var s = SnapshotScenes.busy(size: Size(rows: 24, columns: 80)); _ = Reducer.reduce(&s, .quit, now: s.now, wall: wall); return SnapshotScenes.render(s, glyphs: .ascii) }() == expected)
    }

    @Test("80×24: Enter on a failed row: path, remote id, state, retries, the server's code and message, each state's time; wrapped")
    func detail80x24() {
        let expected =         """
        ┌─ /data/photos ───────────────┐┌─ Queue 1/6 ──────────────────────────────────┐
        │ ┌─ sunset over the harbour.png (↑↓ scroll, y copies URL, Esc closes) ──────┐ │
        │●│ File      sunset over the harbour.png                                    │ │
        │ │ Path      /data/photos/2026/holiday/very long directory name/sunset over │ │
        │ │           the harbour.png                                                │ │
        │ │ Size      5.0 MiB (5242880 bytes)                                        │ │
        │ │ State     failed: 403 forbidden                                          │ │
        │ │ Remote    fil_7                                                          │ │
        │ │ Retries   1                                                              │ │
        │ │ Error     server answered 403 forbidden_purpose: purpose                 │ │
        │ │           meeting_transcript does not accept image/png files; use        │ │
        │ │           general or knowledge_user                                      │ │
        │ │ Server    HTTP 403, code forbidden_purpose                               │ │
        │ │                                                                          │ │
        │ │ History                                                                  │ │
        │ │ \(t(20))  +0.000s  queued                                                │ │
        │ │ \(t(21))  +1.000s  creating a session                                    │ │
        │ │ \(t(22))  +2.000s  session fil_7                                         │ │
        │ │ \(t(23))  +3.000s  uploading                                             │ │
        │ │ \(t(24))  +4.000s  retry 2 in 2 s: network error: connection reset by    │ │
        └─│                    peer                                                  │─┘
         1│ \(t(25))  +5.000s  creating a session                                    │
         e└─ lines 1–20 of 23 ───────────────────────────────────────────────────────┘
         failed sunset over the harbour.png: server answered 403 forbi…  ? help  q quit
        """
        #expect(SnapshotScenes.render(SnapshotScenes.detail(size: Size(rows: 24, columns: 80))) == expected)
    }

    @Test("80×24: the log wraps a long line under its time")
    func log80x24() {
        let expected =         """
        ┌─ /data/photos ───────────────┐┌─ Queue 1/5 ──────────────────────────────────┐
        │ ┌─ Log: 7 events (↑↓ g G scroll, Esc closes) ──────────────────────────────┐ │
        │●│ \(t(1)) done done.jpg → fil_1                                           │ │
        │ │ \(t(4)) failed broken.png: /data/photos/broken.png: Permission denied   │ │
        │ │ \(t(6)) retrying flaky.png (attempt 2, in 10 s): server answered 503:   │ │
        │ │          busy                                                            │ │
        │ │ \(t(8)) cancelled never.png                                             │ │
        │ │ \(t(11)) session fil_2 for holiday video.mp4                             │ │
        │ │ \(t(14)) queued 6 items                                                  │ │
        │ │ \(t(15)) failed holiday video.mp4: server answered 413 too_large: file   │ │
        │ │          of 104857600 bytes exceeds the 52428800-byte limit of purpose   │ │
        │ │          general                                                         │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        │ │                                                                          │ │
        └─│                                                                          │─┘
         1│                                                                          │
         e└──────────────────────────────────────────────────────────────────────────┘
         failed holiday video.mp4: server answered 413 too_large: file…  ? help  q quit
        """
        #expect(SnapshotScenes.render(SnapshotScenes.log(size: Size(rows: 24, columns: 80))) == expected)
    }
}
