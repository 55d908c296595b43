import Testing
import TLS

@Suite struct TLSContextTests {
    @Test func aServerContextMakesItsOwnCertificate() throws {
        let context = try TLSContext.server(TLSSettings())
        #expect(context.keyType == "EC P-256")
    }
}
