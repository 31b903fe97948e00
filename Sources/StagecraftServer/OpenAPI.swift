/// The API described as OpenAPI 3.1, served at `/openapi.json`: `Resources/openapi.json`, compiled into the binary
/// (a copied binary needs no resource bundle beside it). A test holds it against the router both ways and checks
/// its examples against their schemas.
enum OpenAPI {
    static let document: [UInt8] = PackageResources.openapi_json
}
