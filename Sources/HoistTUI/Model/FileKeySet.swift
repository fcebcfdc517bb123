/// The upload a checked path leads to (``PathCheck/fileKey``): every path to one file
/// through symlinks has the same; a hard link is a file of its own, as it is to the engine.
public enum CheckedFile: Sendable, Hashable, ExpressibleByStringLiteral {
    /// A file of one link: its device and inode.
    case inode(device: UInt64, inode: UInt64)
    /// A directory, a path that is not there, or a file with hard links: the path with its
    /// links resolved.
    case path(String)

    /// "device:inode" in decimal (each without a leading zero) for a file, anything else a
    /// path: how tests write them.
    public init(stringLiteral text: String) {
        self = FileKeySet.parse(text).map { .inode(device: $0.device, inode: $0.inode) } ?? .path(text)
    }
}

/// A set of ``CheckedFile``s, kept small for the usual one: each device met gets a small
/// number, and a file whose inode fits in 48 bits is kept as one `UInt64`, that number
/// above the inode, which is exact. Anything else is kept as it is. A `u` of 100,000
/// files holds one for each while it is checked: as "device:inode" strings their table
/// took 4 MiB, packed 2.
public struct FileKeySet: Sendable, Equatable, ExpressibleByArrayLiteral {
    private var packed: Set<UInt64>
    private var others: Set<CheckedFile> = []
    /// The devices met, numbered by their place here (device numbers themselves are large:
    /// 259:1, an NVMe partition, is 66,305; a Mac's are near 2^24). Seldom more than a few.
    private var devices: [UInt64] = []

    public init(minimumCapacity: Int = 0) {
        packed = Set(minimumCapacity: minimumCapacity)
    }

    public init(arrayLiteral keys: CheckedFile...) {
        self.init(keys)
    }

    public init(_ keys: some Sequence<CheckedFile>) {
        self.init()
        for key in keys { insert(key) }
    }

    public var count: Int { packed.count + others.count }

    /// How many keys are kept packed (the rest as strings).
    var packedCount: Int { packed.count }

    public func contains(_ key: CheckedFile) -> Bool {
        if case .inode(let device, let inode) = key, let number = number(device: device, inode: inode) {
            return packed.contains(number)
        }
        return others.contains(key)
    }

    public mutating func insert(_ key: CheckedFile) {
        if case .inode(let device, let inode) = key, insert(device: device, inode: inode) { return }
        others.insert(key)
    }

    public mutating func formUnion(_ other: FileKeySet) {
        for number in other.packed {
            let (device, inode) = other.unpack(number)
            if !insert(device: device, inode: inode) { others.insert(.inode(device: device, inode: inode)) }
        }
        others.formUnion(other.others)
    }

    public static func == (lhs: FileKeySet, rhs: FileKeySet) -> Bool {
        lhs.count == rhs.count && lhs.others.allSatisfy(rhs.others.contains)
            && lhs.packed.allSatisfy { number in
                let (device, inode) = lhs.unpack(number)
                return rhs.number(device: device, inode: inode).map(rhs.packed.contains) == true
            }
    }

    /// Packs the file, numbering its device if new; false when it cannot be packed.
    private mutating func insert(device: UInt64, inode: UInt64) -> Bool {
        guard inode < 1 << 48 else { return false }
        if !devices.contains(device) {
            guard devices.count < 1 << 16 else { return false }
            devices.append(device)
        }
        guard let number = number(device: device, inode: inode) else { return false }
        packed.insert(number)
        return true
    }

    /// The packed form of a file whose device is numbered; nil otherwise. A file of a
    /// device never numbered cannot have been packed (numbers are only ever added).
    private func number(device: UInt64, inode: UInt64) -> UInt64? {
        guard inode < 1 << 48, let index = devices.firstIndex(of: device) else { return nil }
        return UInt64(index) << 48 | inode
    }

    private func unpack(_ number: UInt64) -> (device: UInt64, inode: UInt64) {
        (devices[Int(number >> 48)], number & (1 << 48 - 1))
    }

    /// "device:inode" in decimal, each without a leading zero (so that no two strings give
    /// one file); nil for anything else (``CheckedFile/init(stringLiteral:)``).
    static func parse(_ key: String) -> (device: UInt64, inode: UInt64)? {
        var device: UInt64?
        var value: UInt64 = 0, digits = 0, startsWithZero = false
        for byte in key.utf8 {
            if byte == UInt8(ascii: ":") {
                guard device == nil, digits > 0 else { return nil }
                (device, value, digits, startsWithZero) = (value, 0, 0, false)
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !startsWithZero, digits < 19 else { return nil }
            if digits == 0 && byte == UInt8(ascii: "0") { startsWithZero = true }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        guard let device, digits > 0 else { return nil }
        return (device, value)
    }
}
