import Foundation

/// Opens the metadata store a configuration names.
enum MetadataStores {
    static func open(_ location: MetadataLocation, dataDirectory: String) async throws -> any MetadataStore {
        switch location {
        case .sqlite: return try SQLiteStore(directory: dataDirectory)
        case .postgres(let url): return try await PostgresStore.open(url: url)
        }
    }
}
