extension Duration {
    /// The duration in whole milliseconds, rounded toward zero: for the short texts that
    /// say a wait or a grace (`no answer within 300 ms`, `retrying … in 1s 500ms`).
    public var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
