import Foundation

/// The command line as the kernel gave it, before Swift decoded it.
enum RawArguments {
    /// The arguments that are not valid UTF-8, as Swift's `CommandLine.arguments` (and so
    /// the argument parser) shows them: repaired, each bad byte a U+FFFD.
    static func notUTF8() -> Set<String> {
        var found = Set<String>()
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if String(validating: bytes, as: UTF8.self) == nil { found.insert(String(decoding: bytes, as: UTF8.self)) }
        }
        return found
    }
}
