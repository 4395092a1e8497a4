// The target side of the wire protocol (docs/wire-protocol.md) in C++, over any Target: the
// CLI serves its in-process reference SVSM with it (`svsm-spec serve --wire`), and tests
// serve fakes with it. conformance/agent/ is the freestanding C counterpart.
#pragma once

#include "svsm_conform/target.h"

namespace svsm_conform {

// Reads request frames from `in_fd`, dispatches each to `target` and writes the response
// frame to `out_fd` (the same fd for a socket). Unknown message types, malformed payloads
// and the target's errors are answered with ERROR and serving goes on. Returns 0 after
// answering BYE or at end of input between frames; 1 when the stream breaks (a truncated
// frame, a frame length the protocol forbids, a read or write error), after answering
// ERROR where the peer may still read it. Blocking; `target` must outlive the call.
int ServeWire(Target& target, int in_fd, int out_fd);

}  // namespace svsm_conform
