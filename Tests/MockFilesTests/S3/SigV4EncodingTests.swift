import Foundation
import NIOHTTP1
import Testing

@testable import MockFiles

/// The signer's rules beyond the AWS examples: encoding, header canonical form, session tokens.
@Suite struct SigV4EncodingTests {
    let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "SECRET"), region: "eu-west-1")

    @Test func pathsKeepSlashesAndEscapeAllButUnreserved() {
        #expect(SigV4Signer.uriEncode("/a b/c+d$e~f_g-h.i/", keepingSlashes: true) == "/a%20b/c%2Bd%24e~f_g-h.i/")
        #expect(SigV4Signer.uriEncode("é/ü", keepingSlashes: true) == "%C3%A9/%C3%BC")
    }

    @Test func queryValuesEscapeSlashesAndEquals() {
        #expect(SigV4Signer.uriEncode("a/b=c&d", keepingSlashes: false) == "a%2Fb%3Dc%26d")
    }

    @Test func queryIsSortedByEncodedNameThenValue() {
        let signed = signer.sign(
            method: "GET",
            path: "/bucket",
            query: [(name: "uploads", value: ""), (name: "prefix", value: "a/b c"), (name: "key-marker", value: "k")],
            headers: ["host": "h"],
            payloadHash: SigV4Signer.emptyPayloadHash,
            date: Date(timeIntervalSince1970: 0)
        )
        #expect(signed.encodedQuery == "key-marker=k&prefix=a%2Fb%20c&uploads=")
    }

    @Test func headerValuesAreTrimmedAndRepeatedNamesJoined() {
        var headers: HTTPHeaders = ["Host": "h", "X-Amz-Meta-A": "  one   two  "]
        headers.add(name: "x-amz-meta-b", value: "1")
        headers.add(name: "X-Amz-Meta-B", value: "2")
        let signed = signer.sign(method: "PUT", path: "/k", headers: headers, payloadHash: "UNSIGNED-PAYLOAD", date: Date(timeIntervalSince1970: 0))
        #expect(signed.canonicalRequest.contains("\nx-amz-meta-a:one two\nx-amz-meta-b:1,2\n"))
        #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(signed.headers.first(name: "x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
    }

    @Test func sessionTokenIsSentAndSigned() {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AK", secretAccessKey: "S", sessionToken: "TOKEN"), region: "us-east-1")
        let signed = signer.sign(method: "GET", path: "/", headers: ["host": "h"], payloadHash: SigV4Signer.emptyPayloadHash, date: Date())
        #expect(signed.headers.first(name: "x-amz-security-token") == "TOKEN")
        #expect(signed.headers.first(name: "authorization")?.contains("x-amz-date;x-amz-security-token,") == true)
        #expect(!"\(signed)".contains("TOKEN"))
    }

    @Test func timestampIsUTCWholeSeconds() {
        #expect(S3Date.amzTimestamp(Date(timeIntervalSince1970: 1_369_353_600.9)) == "20130524T000000Z")
        #expect(S3Date.amzTimestamp(Date(timeIntervalSince1970: 951_782_400 + 86399)) == "20000229T235959Z")
    }
}
