import Foundation
import Testing

@testable import MockFiles

@Suite struct S3ConfigurationTests {
    let credentials = S3Credentials(accessKeyID: "AKIDVISIBLE", secretAccessKey: "SECRET-KEY-VALUE", sessionToken: "SESSION-TOKEN-VALUE")

    @Test func credentialsAreRedactedEveryWayTheyCanBePrinted() {
        let configuration = S3Configuration(bucket: "b", credentials: credentials)
        var dumped = ""
        dump(configuration, to: &dumped)
        dump(credentials, to: &dumped)
        let renderings = [
            "\(credentials)", String(reflecting: credentials), "\(configuration)", String(reflecting: configuration),
            "\([configuration])", "\(Optional(credentials) as Any)", dumped,
        ]
        for text in renderings {
            #expect(!text.contains("SECRET-KEY-VALUE"), "\(text)")
            #expect(!text.contains("SESSION-TOKEN-VALUE"), "\(text)")
        }
        #expect("\(credentials)".contains("AKIDVISIBLE"))
    }

    @Test func noEndpointMeansVirtualHostOnAWS() throws {
        let address = try S3Configuration(bucket: "my-bucket", region: "eu-central-1", credentials: credentials).address()
        #expect(address.origin == "https://my-bucket.s3.eu-central-1.amazonaws.com")
        #expect(address.bucketPath == "")
    }

    @Test func endpointMeansPathStyleWithPortInHost() throws {
        let address = try S3Configuration(bucket: "my-bucket", endpoint: "http://127.0.0.1:8333/", credentials: credentials).address()
        #expect(address.origin == "http://127.0.0.1:8333")
        #expect(address.hostHeader == "127.0.0.1:8333")
        #expect(address.bucketPath == "/my-bucket")
        #expect(
            try S3Configuration(bucket: "b", endpoint: "https://s3.example.com:443", credentials: credentials).address().hostHeader
                == "s3.example.com"
        )
    }

    @Test func endpointWithPathOrOtherSchemeIsRefused() {
        for endpoint in ["http://host/prefix", "ftp://host", "not a url"] {
            #expect(throws: S3Error.self) { try S3Configuration(bucket: "b", endpoint: endpoint, credentials: credentials).address() }
        }
    }
}
