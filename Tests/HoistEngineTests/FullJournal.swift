import HoistTestSupport
import Testing

/// A journal that can no longer record some steps, as on a full disk, without filling a
/// disk (which needs root): a trigger in the journal's SQLite file fails every write that
/// moves a row to one of the states, whichever connection makes it (the engine's own).
enum FullJournal {
    /// From now on, writes of `states` to the journal at `path` fail with SQLite's
    /// "database or disk is full". The journal must exist (opened once, so migrated).
    static func refuse(_ states: [String], in path: String) async throws {
        let list = states.map { "'\($0)'" }.joined(separator: ", ")
        try await run("CREATE TRIGGER full BEFORE UPDATE OF state ON job WHEN NEW.state IN (\(list)) "
            + "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END", in: path)
    }

    /// The disk has room again.
    static func lift(in path: String) async throws {
        try await run("DROP TRIGGER full", in: path)
    }

    private static func run(_ statement: String, in path: String) async throws {
        let result = try await Shell.run("sqlite3 \(Tmux.quote(path)) \(Tmux.quote(statement))")
        #expect(result.status == 0, "\(result.stderr)")
    }
}
