import Foundation
import HoistTUI
import HoistTerminal
import Testing

/// Pane drawing on the in-memory screen, compared with text snapshots. A snapshot that
/// changes on purpose is updated here, by hand, after looking at it.
@Suite("Pane snapshots")
struct PaneSnapshotTests {
    @Test("80×24: browser with a mark, a queue with every state, status lines")
    func busy80x24() {
        let expected = """
        ┌─ /data/photos ───────────────┐┌─ Queue 3/6 ──────────────────────────────────┐
        │  raw/                        ││ done.jpg    ████████ 100%         done       │
        │● a.png                3.0 MiB││ holiday vi… ██▍       30%    0:07 uploading  │
        │  b.jpg                2.0 KiB││ 写真.png                          queued     │
        │                              ││ broken.png             0%         failed: n… │
        │                              ││ flaky.png              0%         retrying 2 │
        │                              ││ never.png              0%         cancelled  │
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
         1/6 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
         embedded server http://127.0.0.1:9 (lightfield, purpose general)
         queued 6 items                                                  ? help  q quit
        """
        #expect(SnapshotScenes.render(SnapshotScenes.busy(size: Size(rows: 24, columns: 80))) == expected)
    }

    @Test("120×40: speed and ETA columns appear, names are not cut")
    func busy120x40() {
        let expected = """
        ┌─ /data/photos ───────────────────────────────┐┌─ Queue 3/6 ──────────────────────────────────────────────────────────┐
        │  raw/                                        ││ done.jpg          ████████████ 100%                    done          │
        │● a.png                                3.0 MiB││ holiday video.mp4 ███▌          30% 10.0 MiB/s    0:07 uploading     │
        │  b.jpg                                2.0 KiB││ 写真.png                                               queued        │
        │                                              ││ broken.png                       0%                    failed: no s… │
        │                                              ││ flaky.png                        0%                    retrying 2    │
        │                                              ││ never.png                        0%                    cancelled     │
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
         1/6 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
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

    @Test("the help overlay, generated from the key map, fits 80×24")
    func help80x24() {
        let expected = """
        ┌─ /data/photos ───────────────┐┌─ Queue 3/6 ──────────────────────────────────┐
        │  raw/                        ││ done.jpg    ████████ 100%         done       │
        │● a.png                3.0 MiB││ holiday vi… ██▍       30%    0:07 uploading  │
        │ ┌─ Keys (Esc closes) ─────────────────────────────────────────────────────┐  │
        │ │ Everywhere                       File browser                           │… │
        │ │ Up k          move up            Right l Enter    open directory        │2 │
        │ │ Down j        move down          Left h Backspace parent directory      │  │
        │ │ PgUp          page up            Space            mark / unmark         │  │
        │ │ PgDn          page down          a                mark all files        │  │
        │ │ Home g        first row          u                upload marked / this  │  │
        │ │ End G         last row           .                hidden files          │  │
        │ │ Tab Shift-Tab browser / queue    /                filter by name        │  │
        │ │ p             pause / resume                                            │  │
        │ │ +             more at once       Queue                                  │  │
        │ │ -             fewer at once      c Delete         cancel upload         │  │
        │ │ L             event log          C                cancel all unfinished │  │
        │ │ ?             this help          r                retry failed          │  │
        │ │ Esc           close overlay                                             │  │
        │ │ q             quit                                                      │  │
        │ │ Ctrl-C        quit; twice: now                                          │  │
        └─└─────────────────────────────────────────────────────────────────────────┘──┘
         1/6 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
         embedded server http://127.0.0.1:9 (lightfield, purpose general)
         queued 6 items                                                  ? help  q quit
        """
        #expect({ var s = SnapshotScenes.busy(size: Size(rows: 24, columns: 80)); _ = Reducer.reduce(&s, .showHelp, now: .zero, wall: wall); return SnapshotScenes.render(s) }() == expected)
    }

    @Test("the quit question over ASCII glyphs")
    func confirmASCII80x24() {
        let expected = """
        +- /data/photos ---------------++- Queue 3/6 ----------------------------------+
        |  raw/                        || done.jpg    [######] 100%         done       |
        |* a.png                3.0 MiB|| holiday vi~ [#-----]  30%    0:07 uploading  |
        |  b.jpg                2.0 KiB|| 写真.png    [------]              queued     |
        |                              || broken.png  [------]   0%         failed: n~ |
        |                              || flaky.png   [------]   0%         retrying 2 |
        |                              || never.png   [------]   0%         cancelled  |
        |                              ||                                              |
        |                              ||                                              |
        |             +- Quit hoist? ------------------------------------+             |
        |             |                                                  |             |
        |             |  3 uploads are not finished.                     |             |
        |             |  y: quit and cancel their sessions   n: stay     |             |
        |             |                                                  |             |
        |             +--------------------------------------------------+             |
        |                              ||                                              |
        |                              ||                                              |
        |                              ||                                              |
        |                              ||                                              |
        |                              ||                                              |
        +- 1 marked -------------------++----------------------------------------------+
         1/6 done  30.0 MiB/100 MiB  10.0 MiB/s  0:08 left  4 jobs  1 failed
         embedded server http://127.0.0.1:9 (lightfield, purpose general)
         queued 6 items                                                  ? help  q quit
        """
        #expect({ var s = SnapshotScenes.busy(size: Size(rows: 24, columns: 80)); _ = Reducer.reduce(&s, .quit, now: .zero, wall: wall); return SnapshotScenes.render(s, glyphs: .ascii) }() == expected)
    }
}
