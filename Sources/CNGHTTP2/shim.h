// The system's libnghttp2 (libnghttp2-dev), HTTP/2's framing, HPACK and flow control for the h2 protocol: what curl
// and h2load use, driven through nghttp2_session_mem_recv and nghttp2_session_mem_send so that Wire stays sans I/O.
#include <nghttp2/nghttp2.h>
