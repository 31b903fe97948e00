/// The API described as OpenAPI 3.1, served at `/openapi.json`.
enum OpenAPI {
    static let document = "{}"
}
