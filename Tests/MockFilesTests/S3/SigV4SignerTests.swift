import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import MockFiles

/// The four worked examples of AWS's S3 documentation, "Authenticating Requests: Using the
/// Authorization Header (AWS Signature Version 4)" → "Examples of signature calculations"
/// (sig-v4-header-based-auth.html), checked step by step: canonical request, string to sign
/// (whose last line is the SHA-256 of AWS's canonical request), signature, Authorization header.
@Suite struct SigV4SignerTests {
    let signer = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1"
    )
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    let host = "examplebucket.s3.amazonaws.com"

    func expectSigned(
        _ signed: SignedRequest,
        canonicalRequest: String,
        hashOfCanonicalRequest: String,
        signedHeaders: String,
        signature: String
    ) {
        #expect(signed.canonicalRequest == canonicalRequest)
        #expect(signed.stringToSign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\(hashOfCanonicalRequest)")
        #expect(signed.signature == signature)
        #expect(
            signed.headers.first(name: "authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=\(signedHeaders),Signature=\(signature)"
        )
        #expect(signed.headers.first(name: "x-amz-date") == "20130524T000000Z")
    }

    @Test func getObjectWithRangeMatchesAWSExample() {
        let signed = signer.sign(
            method: "GET",
            path: "/test.txt",
            headers: ["Host": host, "Range": "bytes=0-9"],
            payloadHash: SigV4Signer.emptyPayloadHash,
            date: date
        )
        expectSigned(
            signed,
            canonicalRequest: """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            hashOfCanonicalRequest: "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func putObjectWithEscapedKeyMatchesAWSExample() {
        let body = ByteBuffer(string: "Welcome to Amazon S3.")
        let payloadHash = SigV4Signer.payloadHash(body)
        #expect(payloadHash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = signer.sign(
            method: "PUT",
            path: "/test$file.text",
            headers: ["Host": host, "Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            payloadHash: payloadHash,
            date: date
        )
        #expect(signed.encodedPath == "/test%24file.text")
        expectSigned(
            signed,
            canonicalRequest: """
                PUT
                /test%24file.text

                date:Fri, 24 May 2013 00:00:00 GMT
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                x-amz-date:20130524T000000Z
                x-amz-storage-class:REDUCED_REDUNDANCY

                date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
                44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                """,
            hashOfCanonicalRequest: "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
            signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        )
    }

    @Test func getBucketLifecycleMatchesAWSExample() {
        let signed = signer.sign(
            method: "GET",
            path: "/",
            query: [(name: "lifecycle", value: "")],
            headers: ["Host": host],
            payloadHash: SigV4Signer.emptyPayloadHash,
            date: date
        )
        #expect(signed.encodedQuery == "lifecycle=")
        expectSigned(
            signed,
            canonicalRequest: """
                GET
                /
                lifecycle=
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            hashOfCanonicalRequest: "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
            signedHeaders: "host;x-amz-content-sha256;x-amz-date",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        )
    }

    @Test func listObjectsMatchesAWSExampleWithQuerySorted() {
        // Given out of order, to check the sort.
        let signed = signer.sign(
            method: "GET",
            path: "/",
            query: [(name: "prefix", value: "J"), (name: "max-keys", value: "2")],
            headers: ["Host": host],
            payloadHash: SigV4Signer.emptyPayloadHash,
            date: date
        )
        expectSigned(
            signed,
            canonicalRequest: """
                GET
                /
                max-keys=2&prefix=J
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            hashOfCanonicalRequest: "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
            signedHeaders: "host;x-amz-content-sha256;x-amz-date",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        )
    }
}
