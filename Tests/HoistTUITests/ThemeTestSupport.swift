import Foundation
import HoistTestSupport

/// The repository's `themes/` directory, found from this file's path.
let shippedThemes: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("themes").path
}()

/// A fresh directory under the tests' scratch root, removed by `cleanUp`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = try TempDirectory.make(prefix: "hoist-theme-tests")
    }

    /// Writes `text` to `name` inside the directory (creating subdirectories) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        let directory = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try TestFiles.write(text, to: file)
        return file
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
