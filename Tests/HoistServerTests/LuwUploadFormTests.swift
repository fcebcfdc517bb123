import Foundation
import NIOCore
import Testing

@testable import HoistServer

@Suite("Luw upload forms: parsed by the libraries, malformed ones refused with 400")
struct LuwUploadFormTests {
    private func parse(_ body: String, _ type: String?) throws(APIError) -> LuwUploadForm {
        try LuwUploadForm.parse(ByteBuffer(string: body), contentType: type)
    }

    private func parse(bytes: [UInt8], _ type: String?) throws(APIError) -> LuwUploadForm {
        try LuwUploadForm.parse(ByteBuffer(bytes: bytes), contentType: type)
    }

    private func expectInvalid(_ body: String, _ type: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        expectInvalid(bytes: Array(body.utf8), type, sourceLocation: sourceLocation)
    }

    private func expectInvalid(bytes: [UInt8], _ type: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let form = try parse(bytes: bytes, type)
            Issue.record("parsed as \(form), expected 400", sourceLocation: sourceLocation)
        } catch {
            #expect(error.status == .badRequest && error.code == "invalid_request", sourceLocation: sourceLocation)
        }
    }

    private static let multipart = "multipart/form-data; boundary=XYZ"
    private static let urlencoded = "application/x-www-form-urlencoded"

    @Test("multipart text fields, a file part's own name, quoted boundaries and a charset before the boundary")
    func multipartForms() throws {
        let body = "--XYZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nimage.jpg\r\n"
            + "--XYZ\r\nContent-Disposition: form-data; name=\"pid\"\r\n\r\n123\r\n--XYZ--\r\n"
        #expect(try parse(body, Self.multipart) == LuwUploadForm(filename: "image.jpg", pid: "123"))
        #expect(try parse(body, "multipart/form-data; charset=utf-8; boundary=XYZ").filename == "image.jpg")
        let file = "--B\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"photo.png\"\r\n"
            + "Content-Type: image/png\r\n\r\n\u{89}PNG bytes\r\n--B--\r\n"
        #expect(try parse(file, "multipart/form-data; boundary=\"B\"").filename == "photo.png")
        let unknown = "--XYZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n"
            + "--XYZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nmy photo.jpg\r\n--XYZ--\r\n"
        #expect(try parse(unknown, Self.multipart).filename == "my photo.jpg")
    }

    @Test("urlencoded forms: + and %20 are spaces, a raw space is kept, UTF-8 escapes decode")
    func urlencodedForms() throws {
        #expect(try parse("filename=my+image.jpg&pid=7", Self.urlencoded) == LuwUploadForm(filename: "my image.jpg", pid: "7"))
        #expect(try parse("filename=my photo.jpg", Self.urlencoded).filename == "my photo.jpg")
        #expect(try parse("filename=caf%C3%A9.png", Self.urlencoded + "; charset=UTF-8").filename == "café.png")
        #expect(try parse("", Self.urlencoded).filename == nil)
    }

    @Test("content types that are not a form, or a multipart type without a usable boundary")
    func badContentTypes() {
        for type in [nil, "", "application/json", "text/plain", "garbage", "multipart/form-data",
                     "multipart/form-data; boundary=", "multipart/form-data; boundary=" + String(repeating: "b", count: 71)] {
            expectInvalid("filename=a.jpg", type)
        }
    }

    @Test("broken multipart bodies: wrong boundary, no closing boundary, cut mid-part, empty, no name")
    func brokenMultipart() {
        let good = "--XYZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nimage.jpg\r\n--XYZ--\r\n"
        expectInvalid(good, "multipart/form-data; boundary=OTHER")
        expectInvalid(String(good.dropLast(9)), Self.multipart)
        expectInvalid(String(good.prefix(30)), Self.multipart)
        expectInvalid("", Self.multipart)
        expectInvalid("filename=a.jpg", Self.multipart)
        expectInvalid("--XYZ\r\nContent-Disposition: form-data\r\n\r\nimage.jpg\r\n--XYZ--\r\n", Self.multipart)
        expectInvalid("--XYZ\r\nNo-Colon-Here\r\n\r\nimage.jpg\r\n--XYZ--\r\n", Self.multipart)
    }

    @Test("a field given twice or as an array, and values that are not UTF-8")
    func duplicatesArraysAndEncoding() {
        let twice = "--XYZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\na.jpg\r\n"
            + "--XYZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nb.jpg\r\n--XYZ--\r\n"
        expectInvalid(twice, Self.multipart)
        let array = "--XYZ\r\nContent-Disposition: form-data; name=\"filename[]\"\r\n\r\na.jpg\r\n--XYZ--\r\n"
        expectInvalid(array, Self.multipart)
        let latin1 = Array("--XYZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\ncaf".utf8) + [0xE9]
            + Array(".jpg\r\n--XYZ--\r\n".utf8)
        expectInvalid(bytes: latin1, Self.multipart)

        expectInvalid("filename=a.jpg&filename=b.jpg", Self.urlencoded)
        expectInvalid("filename[]=a.jpg", Self.urlencoded)
        expectInvalid("filename[x]=a.jpg", Self.urlencoded)
        expectInvalid("filename=%zz.jpg", Self.urlencoded)
        expectInvalid("filename=%FF.jpg", Self.urlencoded)
        expectInvalid("filename=%", Self.urlencoded)
        expectInvalid(bytes: Array("filename=caf".utf8) + [0xE9, 0x2E, 0x6A], Self.urlencoded)
    }
}

@Suite("Multipart header guard (MultipartKit traps on non-ASCII header names)")
struct MultipartHeaderGuardTests {
    @Test("a part header name with a byte ≥ 0x80 is refused with 400 before MultipartKit sees it; values may be UTF-8")
    func nonASCIINames() throws {
        let trap: [UInt8] = Array("--XX\r\n".utf8) + [0xC3, 0xA8] + Array(": a\r\n\r\nv\r\n--XX--\r\n".utf8)
        #expect(throws: APIError.self) { try LuwUploadForm.parse(ByteBuffer(bytes: trap), contentType: "multipart/form-data; boundary=XX") }
        let lfOnly: [UInt8] = Array("--XX\n".utf8) + [0x80] + Array(": a\n\nv\n--XX--\n".utf8)
        #expect(!MultipartHeaderGuard.namesAreASCII(lfOnly, boundary: "XX"))
        let second: [UInt8] = Array("--XX\r\nContent-Disposition: form-data; name=\"pid\"\r\nX".utf8) + [0xFF]
            + Array(": 1\r\n\r\n1\r\n--XX--\r\n".utf8)
        #expect(!MultipartHeaderGuard.namesAreASCII(second, boundary: "XX"))
        let utf8Value = "--XX\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"café.jpg\"\r\n\r\nbytes é\r\n--XX--\r\n"
        #expect(try LuwUploadForm.parse(ByteBuffer(string: utf8Value), contentType: "multipart/form-data; boundary=XX").filename == "café.jpg")
    }

    @Test("an unknown field may repeat; filename and pid may not")
    func repeats() throws {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"9\"\r\n\r\na\r\n--XX\r\nContent-Disposition: form-data; name=\"9\"\r\n\r\nb\r\n"
            + "--XX\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nx.jpg\r\n--XX--\r\n"
        #expect(try LuwUploadForm.parse(ByteBuffer(string: body), contentType: "multipart/form-data; boundary=XX").filename == "x.jpg")
    }
}
