/// A set of ``PathCheck/fileKey``s, kept small for the usual key. A file's key is
/// "device:inode"; while the device fits in 16 bits and the inode in 48 (as they do on
/// common file systems) it is kept as one `UInt64`, device above inode, which is exact. Any
/// other key (a directory's path, a larger number) is kept as its string. A `u` of 100,000
/// files holds one for each while it is checked: as strings their table took 4 MiB, packed 2.
public struct FileKeySet: Sendable, Equatable, ExpressibleByArrayLiteral {
    private var packed: Set<UInt64>
    private var others: Set<String> = []

    public init(minimumCapacity: Int = 0) {
        packed = Set(minimumCapacity: minimumCapacity)
    }

    public init(arrayLiteral keys: String...) {
        self.init(keys)
    }

    public init(_ keys: some Sequence<String>) {
        self.init()
        for key in keys { insert(key) }
    }

    public var count: Int { packed.count + others.count }

    public func contains(_ key: String) -> Bool {
        if let number = Self.pack(key) { return packed.contains(number) }
        return others.contains(key)
    }

    public mutating func insert(_ key: String) {
        if let number = Self.pack(key) { packed.insert(number) } else { others.insert(key) }
    }

    public mutating func formUnion(_ other: FileKeySet) {
        packed.formUnion(other.packed)
        others.formUnion(other.others)
    }

    /// "device:inode" in decimal, each without a leading zero (so that no two strings give
    /// one number), as `device << 48 | inode`; nil for anything else.
    static func pack(_ key: String) -> UInt64? {
        var device: UInt64?
        var value: UInt64 = 0, digits = 0, startsWithZero = false
        for byte in key.utf8 {
            if byte == UInt8(ascii: ":") {
                guard device == nil, digits > 0 else { return nil }
                (device, value, digits, startsWithZero) = (value, 0, 0, false)
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !startsWithZero, digits < 15 else { return nil }
            if digits == 0 && byte == UInt8(ascii: "0") { startsWithZero = true }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        guard let device, digits > 0, device < 1 << 16, value < 1 << 48 else { return nil }
        return device << 48 | value
    }
}
