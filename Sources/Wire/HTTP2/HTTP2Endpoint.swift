import CNGHTTP2

/// What both sides' sessions share: the nghttp2 session, made anew for each connection and deleted with the object,
/// the space a HEADERS frame's fields are laid in, and the header fields nghttp2 reads, which each side reads in its
/// own way. nghttp2's callbacks find the object through their user data.
class HTTP2Endpoint {
    var session: OpaquePointer?
    var fields = HTTP2Fields()

    deinit {
        nghttp2_session_del(session)
        fields.deallocate()
    }

    /// A field of a HEADERS frame nghttp2 read on `streamID` (it checked it: a valid name, no forbidden bytes); false
    /// when the stream is refused there, and nghttp2 skips the rest of its fields.
    func header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool { true }
}

/// nghttp2's callback tables, one per side, made once for every session (each session is the callbacks' user data).
enum HTTP2Callbacks {
    /// A table with what both sides do: each header field to the ``HTTP2Endpoint``'s own reading.
    static func table() -> OpaquePointer {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            let accepted = Unmanaged<HTTP2Endpoint>.fromOpaque(userData!).takeUnretainedValue().header(
                frame!.pointee.hd.stream_id, name: UnsafeRawBufferPointer(start: name, count: nameLength),
                value: UnsafeRawBufferPointer(start: value, count: valueLength))
            return accepted ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        return callbacks!
    }
}
