/// Names kept as UTF-8 back to back in one buffer, each found by where it ends: about the
/// name's bytes and 4 more, against a `String` each (16 bytes inline, and an allocation for
/// a name longer than 15 bytes). ``PathList`` and ``UploadedFiles`` keep their names so.
struct PackedNames: Sendable {
    private var bytes: [UInt8] = []
    /// Where each name ends in ``bytes``.
    private var ends: [UInt32] = []

    var count: Int { ends.count }
    /// The names' bytes in all.
    var byteCount: Int { bytes.count }

    /// Room for `names` more names of `bytes` bytes in all, made at once.
    mutating func reserve(names: Int, bytes more: Int) {
        bytes.reserveCapacity(bytes.count + more)
        ends.reserveCapacity(ends.count + names)
    }

    mutating func append(_ name: some Collection<UInt8>) {
        bytes.append(contentsOf: name)
        ends.append(UInt32(bytes.count))
    }

    /// Name `i`'s UTF-8.
    func utf8(_ i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : Int(ends[i - 1]))..<Int(ends[i])]
    }

    /// Name `i`.
    func name(_ i: Int) -> String { String(decoding: utf8(i), as: UTF8.self) }
}
