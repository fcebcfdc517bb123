import Hummingbird

/// Strict query strings: each parameter at most once.
enum QueryParameters {
    /// The parameters as a dictionary; a parameter given twice (`?status=A&status=B`) is a
    /// 400 rather than a silent choice of one of them.
    static func single(_ parameters: Parameters) throws(APIError) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in parameters {
            guard result.updateValue(String(value), forKey: String(key)) == nil else {
                throw .invalidRequest("the query parameter \(key) is given more than once")
            }
        }
        return result
    }
}
