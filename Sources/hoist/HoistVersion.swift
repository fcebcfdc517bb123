/// hoist's version: the one place it is written down (`hoist --version`).
enum HoistVersion {
    static let number = "0.3.0"
    /// What `hoist --version` prints.
    static let line = "hoist \(number)"
}
