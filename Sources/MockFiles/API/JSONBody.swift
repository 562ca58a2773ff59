import Foundation
import Hummingbird
import NIOCore

/// A JSON request body read field by field, so that every wrong field gets a 400 naming it
/// (Codable would only say "the data couldn't be read").
struct JSONBody {
    let fields: [String: Any]
    /// The body as sent, for what `fields` lost: the order of an object's keys.
    var bytes: [UInt8] = []
    /// Where this object sits in the request (`expires_after.`), so errors name nested fields fully.
    var path = ""

    /// The parameter name an error reports for `field`.
    func param(_ field: String) -> String { path + field }

    /// Collects at most `limit` bytes and parses a JSON object.
    /// Only a body over the limit is a 413 (at once when `Content-Length` says so); a client that
    /// breaks off is not, its error goes on to `ErrorEnvelopeMiddleware`.
    static func read(_ request: Request, limit: Int = 1 << 20) async throws -> JSONBody {
        let tooLarge = APIError(status: .contentTooLarge, message: "The JSON body is larger than \(limit) bytes.")
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        return try parse(Array(buffer.readableBytesView))
    }

    /// A JSON object from its bytes, refused in the API's words (the dashboard's batch rule form
    /// sends its text here, so it is refused as `POST /admin/batch-rules` refuses it).
    static func parse(_ bytes: [UInt8]) throws -> JSONBody {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let fields = object as? [String: Any]
        else {
            throw APIError.invalid(
                "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload (a JSON object).",
                param: nil
            )
        }
        if let key = JSONDuplicateKeys.first(in: bytes) {
            throw APIError.invalid("Duplicate parameter '\(key)': send each field once.", param: key)
        }
        return JSONBody(fields: fields, bytes: bytes)
    }

    /// Refuses any field not in `known`, like the real service's "Unrecognized request argument".
    func requireOnly(_ known: Set<String>) throws {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.invalid("Unrecognized request argument supplied: \(param(unknown))", param: param(unknown))
        }
    }

    /// `missingCode`: the code of the missing-parameter answer (the Batches API's carries one).
    func requiredString(_ name: String, missingCode: String? = nil) throws -> String {
        guard let raw = fields[name], !(raw is NSNull) else {
            throw APIError.invalid("Missing required parameter: '\(param(name))'.", param: param(name), code: missingCode)
        }
        guard let value = raw as? String, !value.isEmpty else {
            throw APIError.invalid("Invalid type for '\(param(name))': expected a non-empty string.", param: param(name))
        }
        return value
    }

    func optionalString(_ name: String) throws -> String? {
        guard let raw = fields[name], !(raw is NSNull) else { return nil }
        guard let value = raw as? String else { throw APIError.invalid("Invalid type for '\(param(name))': expected a string.", param: param(name)) }
        return value
    }

    func requiredInteger(_ name: String) throws -> Int64 {
        guard let raw = fields[name], !(raw is NSNull) else {
            throw APIError.invalid("Missing required parameter: '\(param(name))'.", param: param(name))
        }
        guard let number = raw as? NSNumber, !Self.isBool(number), let value = Int64(exactly: number.doubleValue) else {
            throw APIError.invalid("Invalid type for '\(param(name))': expected an integer.", param: param(name))
        }
        return value
    }

    func requiredStringArray(_ name: String) throws -> [String] {
        guard let raw = fields[name], !(raw is NSNull) else {
            throw APIError.invalid("Missing required parameter: '\(param(name))'.", param: param(name))
        }
        guard let values = raw as? [Any], let strings = values as? [String] else {
            throw APIError.invalid("Invalid type for '\(param(name))': expected an array of strings.", param: param(name))
        }
        return strings
    }

    func optionalObject(_ name: String) throws -> JSONBody? {
        guard let raw = fields[name], !(raw is NSNull) else { return nil }
        guard let object = raw as? [String: Any] else {
            throw APIError.invalid("Invalid type for '\(param(name))': expected an object.", param: param(name))
        }
        return JSONBody(fields: object, path: param(name) + ".")
    }

    /// JSONSerialization hands booleans over as NSNumber too.
    static func isBool(_ number: NSNumber) -> Bool { JSONNumberKind(number) == .boolean }
}
