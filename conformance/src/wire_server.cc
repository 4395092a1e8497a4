#include "svsm_conform/wire_server.h"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "svsm_conform/wire.h"

namespace svsm_conform {
namespace {

using namespace wire;  // NOLINT: the protocol's names read best unqualified here

// ERROR messages are for people reading a log; a bound keeps a target's runaway message
// from making a frame the runner must refuse.
constexpr size_t kMaxErrorMessage = 4096;

enum class ReadStatus { kOk, kEof, kError };

// Reads exactly out.size() bytes; kEof only when the stream ends before the first byte.
ReadStatus ReadExact(int fd, std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadStatus::kError;
    }
    if (n == 0) return got == 0 ? ReadStatus::kEof : ReadStatus::kError;
    got += static_cast<size_t>(n);
  }
  return ReadStatus::kOk;
}

bool WriteAll(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = WriteNoSigpipe(fd, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

class Server {
 public:
  Server(Target& target, int out_fd) : target_(target), out_fd_(out_fd) {}

  bool Send(uint8_t type, std::span<const uint8_t> payload) {
    const std::optional<std::vector<uint8_t>> frame = EncodeFrame(type, payload);
    if (!frame) {
      // Only a READ answer can be this large, and the request's size was checked, so the
      // target returned more than asked for.
      return SendError(kErrInternal, "response to encode exceeds the frame limit");
    }
    return WriteAll(out_fd_, *frame);
  }

  bool SendError(uint32_t code, std::string_view message) {
    ErrorReply e{code, TruncateUtf8(message, kMaxErrorMessage)};
    if (!IsValidUtf8(e.message)) e.message = "(target error message was not UTF-8)";
    return WriteAll(out_fd_, *EncodeFrame(kError, EncodePayload(e)));
  }

  // A TargetError as ERROR: kBroken is the runner's local code, not a wire code, and a
  // served target that broke is an internal error of this target.
  bool SendTargetError(const TargetError& err) {
    uint32_t code = err.code;
    if (code < kErrUnknownMessage || code > kErrInternal) code = kErrInternal;
    return SendError(code, err.message);
  }

  template <class T>
  bool SendEmptyOr(const TargetResult<T>& r, uint8_t request) {
    if (!r.ok()) return SendTargetError(r.error);
    return Send(ResponseType(request), {});
  }

  // Returns false when the response could not be written; sets *bye after BYE.
  bool Dispatch(const Frame& f, bool* bye) {
    std::string error;
    auto malformed = [&] { return SendError(kErrMalformed, error); };
    switch (f.type) {
      case kHello: {
        HelloRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        if (req.version < kVersion) {
          return SendError(kErrUnsupported, "runner offers wire version " +
                                                std::to_string(req.version) +
                                                "; this target speaks version 1");
        }
        TargetResult<TargetInfo> r = target_.Hello();
        if (!r.ok()) return SendTargetError(r.error);
        r.value->wire_version = kVersion;
        const std::string json = TargetInfoToJson(*r.value);
        return Send(ResponseType(kHello),
                    std::span(reinterpret_cast<const uint8_t*>(json.data()), json.size()));
      }
      case kReset:
        if (!ParseEmptyPayload(f.payload, &error)) return malformed();
        return SendEmptyOr(target_.Reset(), kReset);
      case kRead: {
        ReadRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        TargetResult<std::vector<uint8_t>> r = target_.Read(req.gpa, req.size);
        if (!r.ok()) return SendTargetError(r.error);
        if (r.value->size() != req.size) {
          return SendError(kErrInternal, "target read " + std::to_string(r.value->size()) +
                                             " bytes of " + std::to_string(req.size));
        }
        return Send(ResponseType(kRead), *r.value);
      }
      case kWrite: {
        WriteRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        return SendEmptyOr(target_.Write(req.gpa, req.bytes), kWrite);
      }
      case kCall: {
        CallRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        TargetResult<CallReply> r = target_.Call(req.vcpu, req.regs);
        if (!r.ok()) return SendTargetError(r.error);
        return Send(ResponseType(kCall), EncodePayload(*r.value));
      }
      case kCallWithPending: {
        CallWithPendingRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        TargetResult<CallReply> r = target_.CallWithPending(req.vcpu, req.call_pending, req.regs);
        if (!r.ok()) return SendTargetError(r.error);
        return Send(ResponseType(kCallWithPending), EncodePayload(*r.value));
      }
      case kPageState: {
        PageStateRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        TargetResult<PageStateReply> r = target_.PageState(req.gpa);
        if (!r.ok()) return SendTargetError(r.error);
        return Send(ResponseType(kPageState), EncodePayload(*r.value));
      }
      case kSetRunning: {
        SetRunningRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        return SendEmptyOr(target_.SetRunning(req.vcpu, req.running), kSetRunning);
      }
      case kInject: {
        InjectRequest req;
        if (!ParsePayload(f.payload, &req, &error)) return malformed();
        return SendEmptyOr(target_.Inject(req), kInject);
      }
      case kBye:
        if (!ParseEmptyPayload(f.payload, &error)) return malformed();
        *bye = true;
        return Send(ResponseType(kBye), {});
      default:
        return SendError(kErrUnknownMessage, "unknown message type " + MessageName(f.type) +
                                                 " (request types are "
                                                 "0x01-0x0a in wire version 1)");
    }
  }

 private:
  Target& target_;
  int out_fd_;
};

}  // namespace

int ServeWire(Target& target, int in_fd, int out_fd) {
  Server server(target, out_fd);
  for (;;) {
    uint8_t header[kHeaderSize];
    switch (ReadExact(in_fd, header)) {
      case ReadStatus::kOk:
        break;
      case ReadStatus::kEof:
        return 0;
      case ReadStatus::kError:
        return 1;
    }
    std::string error;
    const std::optional<uint32_t> n = DecodeFrameLength(header, &error);
    if (!n) {
      // Nothing after a bad length can be framed again; say why, then stop.
      server.SendError(kErrMalformed, error);
      return 1;
    }
    Frame f;
    std::vector<uint8_t> body(*n);
    if (ReadExact(in_fd, body) != ReadStatus::kOk) return 1;
    f.type = body[0];
    f.payload.assign(body.begin() + 1, body.end());
    bool bye = false;
    if (!server.Dispatch(f, &bye)) return 1;
    if (bye) return 0;
  }
}

}  // namespace svsm_conform
