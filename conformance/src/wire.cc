#include "svsm_conform/wire.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace svsm_conform::wire {
namespace {

// Little-endian field access over a span whose size the caller has already checked.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> p) : p_(p) {}
  size_t remaining() const { return p_.size() - pos_; }
  bool U8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = p_[pos_++];
    return true;
  }
  bool U32(uint32_t* v) {
    if (remaining() < 4) return false;
    uint32_t x = 0;
    for (int i = 3; i >= 0; --i) x = (x << 8) | p_[pos_ + i];
    pos_ += 4;
    *v = x;
    return true;
  }
  bool U64(uint64_t* v) {
    if (remaining() < 8) return false;
    uint64_t x = 0;
    for (int i = 7; i >= 0; --i) x = (x << 8) | p_[pos_ + i];
    pos_ += 8;
    *v = x;
    return true;
  }
  std::span<const uint8_t> Rest() {
    std::span<const uint8_t> r = p_.subspan(pos_);
    pos_ = p_.size();
    return r;
  }

 private:
  std::span<const uint8_t> p_;
  size_t pos_ = 0;
};

void PutU8(std::vector<uint8_t>& b, uint8_t v) {
  b.push_back(v);
}
void PutU32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

bool Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// Fixed-size payloads are refused on any other length, so a peer speaking a different
// layout is caught here rather than misread.
bool ExpectSize(std::span<const uint8_t> p, size_t want, const char* what, std::string* error) {
  if (p.size() == want) return true;
  return Fail(error, std::string(what) + " payload is " + std::to_string(p.size()) +
                         " bytes, expected " + std::to_string(want));
}

bool ParseBool(uint8_t v, bool* out, const char* what, std::string* error) {
  if (v > 1) return Fail(error, std::string(what) + " is " + std::to_string(v) + ", not 0 or 1");
  *out = v != 0;
  return true;
}

}  // namespace

std::string MessageName(uint8_t type) {
  static constexpr const char* kNames[] = {nullptr,      "HELLO",       "RESET", "READ",
                                           "WRITE",      "CALL",        "PAGE_STATE",
                                           "SET_RUNNING", "BYE",        "INJECT",
                                           "CALL_WITH_PENDING"};
  if (type == kError) return "ERROR";
  const uint8_t base = type & 0x7F;
  if (base >= 1 && base <= kCallWithPending) {
    return std::string(kNames[base]) + ((type & 0x80) != 0 ? "_OK" : "");
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", type);
  return buf;
}

std::optional<std::vector<uint8_t>> EncodeFrame(uint8_t type, std::span<const uint8_t> payload) {
  if (payload.size() >= kMaxFrameLength) return std::nullopt;
  const uint32_t n = static_cast<uint32_t>(payload.size() + 1);
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + n);
  PutU32(out, n);
  PutU8(out, type);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::optional<uint32_t> DecodeFrameLength(std::span<const uint8_t, kHeaderSize> header,
                                          std::string* error) {
  uint32_t n = 0;
  Reader(header).U32(&n);
  if (n == 0) {
    Fail(error, "frame length 0");
    return std::nullopt;
  }
  if (n > kMaxFrameLength) {
    Fail(error, "frame length " + std::to_string(n) + " exceeds the limit of " +
                    std::to_string(kMaxFrameLength));
    return std::nullopt;
  }
  return n;
}

FrameParse DecodeFrame(std::span<const uint8_t> bytes) {
  FrameParse r;
  if (bytes.size() < kHeaderSize) return r;
  const std::optional<uint32_t> n = DecodeFrameLength(bytes.first<kHeaderSize>(), &r.error);
  if (!n) {
    r.status = FrameStatus::kBroken;
    return r;
  }
  if (bytes.size() - kHeaderSize < *n) return r;
  r.status = FrameStatus::kComplete;
  r.frame.type = bytes[kHeaderSize];
  const auto payload = bytes.subspan(kHeaderSize + 1, *n - 1);
  r.frame.payload.assign(payload.begin(), payload.end());
  r.consumed = kHeaderSize + *n;
  return r;
}

std::vector<uint8_t> EncodePayload(const HelloRequest& m) {
  std::vector<uint8_t> b;
  PutU32(b, m.version);
  return b;
}

std::vector<uint8_t> EncodePayload(const ReadRequest& m) {
  std::vector<uint8_t> b;
  PutU64(b, m.gpa);
  PutU32(b, m.size);
  return b;
}

std::vector<uint8_t> EncodePayload(const WriteRequest& m) {
  std::vector<uint8_t> b;
  b.reserve(8 + m.bytes.size());
  PutU64(b, m.gpa);
  b.insert(b.end(), m.bytes.begin(), m.bytes.end());
  return b;
}

namespace {
void PutRegs(std::vector<uint8_t>& b, const RegisterSet& r) {
  PutU64(b, r.rax);
  PutU64(b, r.rcx);
  PutU64(b, r.rdx);
  PutU64(b, r.r8);
  PutU64(b, r.r9);
}
bool GetRegs(Reader& rd, RegisterSet* r) {
  return rd.U64(&r->rax) && rd.U64(&r->rcx) && rd.U64(&r->rdx) && rd.U64(&r->r8) && rd.U64(&r->r9);
}
}  // namespace

std::vector<uint8_t> EncodePayload(const CallRequest& m) {
  std::vector<uint8_t> b;
  PutU32(b, m.vcpu);
  PutRegs(b, m.regs);
  return b;
}

std::vector<uint8_t> EncodePayload(const CallReply& m) {
  std::vector<uint8_t> b;
  PutU32(b, static_cast<uint32_t>(m.outcome));
  PutRegs(b, m.regs);
  PutU8(b, m.call_pending_after);
  return b;
}

std::vector<uint8_t> EncodePayload(const CallWithPendingRequest& m) {
  std::vector<uint8_t> b;
  PutU32(b, m.vcpu);
  PutU8(b, m.call_pending);
  PutRegs(b, m.regs);
  return b;
}

std::vector<uint8_t> EncodePayload(const PageStateRequest& m) {
  std::vector<uint8_t> b;
  PutU64(b, m.gpa);
  return b;
}

std::vector<uint8_t> EncodePayload(const PageStateReply& m) {
  std::vector<uint8_t> b;
  PutU8(b, m.validated ? 1 : 0);
  PutU8(b, m.validated_2m ? 1 : 0);
  PutU8(b, m.vmsa ? 1 : 0);
  for (uint8_t p : m.perms) PutU8(b, p);
  return b;
}

std::vector<uint8_t> EncodePayload(const SetRunningRequest& m) {
  std::vector<uint8_t> b;
  PutU32(b, m.vcpu);
  PutU8(b, m.running ? 1 : 0);
  return b;
}

std::vector<uint8_t> EncodePayload(const InjectRequest& m) {
  std::vector<uint8_t> b;
  PutU32(b, static_cast<uint32_t>(m.kind));
  if (m.kind == Injection::Kind::kPvalidateResult) {
    PutU32(b, m.skip);
    PutU32(b, m.eax);
  } else {
    PutU64(b, m.gpa);
    b.insert(b.end(), m.bytes.begin(), m.bytes.end());
  }
  return b;
}

std::vector<uint8_t> EncodePayload(const ErrorReply& m) {
  // Sized up front: GCC 12 at -O3 reports a false -Wstringop-overflow for push_back then
  // insert here.
  std::vector<uint8_t> b(4 + m.message.size());
  for (size_t i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(m.code >> (8 * i));
  std::copy(m.message.begin(), m.message.end(), b.begin() + 4);
  return b;
}

bool ParsePayload(std::span<const uint8_t> p, HelloRequest* out, std::string* error) {
  if (!ExpectSize(p, 4, "HELLO", error)) return false;
  Reader rd(p);
  return rd.U32(&out->version);
}

bool ParsePayload(std::span<const uint8_t> p, ReadRequest* out, std::string* error) {
  if (!ExpectSize(p, 12, "READ", error)) return false;
  Reader rd(p);
  rd.U64(&out->gpa);
  rd.U32(&out->size);
  if (out->size > kMaxTransfer) {
    return Fail(error, "READ size " + std::to_string(out->size) + " exceeds the limit of " +
                           std::to_string(kMaxTransfer));
  }
  return true;
}

bool ParsePayload(std::span<const uint8_t> p, WriteRequest* out, std::string* error) {
  if (p.size() < 8) {
    return Fail(error,
                "WRITE payload is " + std::to_string(p.size()) + " bytes, at least 8 needed");
  }
  if (p.size() - 8 > kMaxTransfer) {
    return Fail(error, "WRITE of " + std::to_string(p.size() - 8) + " bytes exceeds the limit of " +
                           std::to_string(kMaxTransfer));
  }
  Reader rd(p);
  rd.U64(&out->gpa);
  const auto rest = rd.Rest();
  out->bytes.assign(rest.begin(), rest.end());
  return true;
}

bool ParsePayload(std::span<const uint8_t> p, CallRequest* out, std::string* error) {
  if (!ExpectSize(p, 44, "CALL", error)) return false;
  Reader rd(p);
  return rd.U32(&out->vcpu) && GetRegs(rd, &out->regs);
}

bool ParsePayload(std::span<const uint8_t> p, CallWithPendingRequest* out, std::string* error) {
  if (!ExpectSize(p, 45, "CALL_WITH_PENDING", error)) return false;
  Reader rd(p);
  return rd.U32(&out->vcpu) && rd.U8(&out->call_pending) && GetRegs(rd, &out->regs);
}

bool ParsePayload(std::span<const uint8_t> p, CallReply* out, std::string* error) {
  if (!ExpectSize(p, 45, "CALL_OK", error)) return false;
  Reader rd(p);
  uint32_t outcome = 0;
  rd.U32(&outcome);
  if (outcome > static_cast<uint32_t>(CallOutcome::kGuestFault)) {
    return Fail(error, "CALL_OK outcome " + std::to_string(outcome) + " is not 0-3");
  }
  out->outcome = static_cast<CallOutcome>(outcome);
  return GetRegs(rd, &out->regs) && rd.U8(&out->call_pending_after);
}

bool ParsePayload(std::span<const uint8_t> p, PageStateRequest* out, std::string* error) {
  if (!ExpectSize(p, 8, "PAGE_STATE", error)) return false;
  Reader rd(p);
  return rd.U64(&out->gpa);
}

bool ParsePayload(std::span<const uint8_t> p, PageStateReply* out, std::string* error) {
  if (!ExpectSize(p, 6, "PAGE_STATE_OK", error)) return false;
  if (!ParseBool(p[0], &out->validated, "PAGE_STATE_OK validated", error) ||
      !ParseBool(p[1], &out->validated_2m, "PAGE_STATE_OK validated-2M", error) ||
      !ParseBool(p[2], &out->vmsa, "PAGE_STATE_OK VMSA", error)) {
    return false;
  }
  for (int i = 0; i < 3; ++i) {
    // Only read, write, user and supervisor execute are defined.
    if ((p[3 + i] & ~0x0F) != 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "PAGE_STATE_OK VMPL%d permissions 0x%02x set bits past 0x0f",
                    i + 1, p[3 + i]);
      return Fail(error, buf);
    }
    out->perms[i] = p[3 + i];
  }
  return true;
}

bool ParsePayload(std::span<const uint8_t> p, SetRunningRequest* out, std::string* error) {
  if (!ExpectSize(p, 5, "SET_RUNNING", error)) return false;
  Reader rd(p);
  rd.U32(&out->vcpu);
  return ParseBool(p[4], &out->running, "SET_RUNNING running", error);
}

bool ParsePayload(std::span<const uint8_t> p, InjectRequest* out, std::string* error) {
  if (p.size() < 4) {
    return Fail(error, "INJECT payload is " + std::to_string(p.size()) + " bytes, at least 4 needed");
  }
  Reader rd(p);
  uint32_t kind = 0;
  rd.U32(&kind);
  *out = InjectRequest{};
  switch (kind) {
    case static_cast<uint32_t>(Injection::Kind::kPvalidateResult):
      out->kind = Injection::Kind::kPvalidateResult;
      if (!ExpectSize(p, 12, "INJECT pvalidate-result", error)) return false;
      return rd.U32(&out->skip) && rd.U32(&out->eax);
    case static_cast<uint32_t>(Injection::Kind::kRacingWrite): {
      out->kind = Injection::Kind::kRacingWrite;
      if (p.size() < 13 || p.size() - 12 > kMaxRacingWrite) {
        return Fail(error, "INJECT racing-write payload is " + std::to_string(p.size()) +
                               " bytes; 13 to " + std::to_string(12 + kMaxRacingWrite) +
                               " (1 to 4096 bytes to write) allowed");
      }
      rd.U64(&out->gpa);
      const auto rest = rd.Rest();
      // Inside one 4 KiB page (which also rules out gpa + size wrapping).
      if ((out->gpa & 0xFFF) + rest.size() > 0x1000) {
        return Fail(error, "INJECT racing-write of " + std::to_string(rest.size()) +
                               " bytes at " + svsm_spec::codec::HexU64(out->gpa) + " crosses a 4 KiB page");
      }
      out->bytes.assign(rest.begin(), rest.end());
      return true;
    }
    default:
      return Fail(error, "INJECT kind " + std::to_string(kind) + " is not 1 or 2");
  }
}

bool ParsePayload(std::span<const uint8_t> p, ErrorReply* out, std::string* error) {
  if (p.size() < 4) {
    return Fail(error,
                "ERROR payload is " + std::to_string(p.size()) + " bytes, at least 4 needed");
  }
  Reader rd(p);
  rd.U32(&out->code);
  const auto rest = rd.Rest();
  out->message.assign(rest.begin(), rest.end());
  if (!IsValidUtf8(out->message)) return Fail(error, "ERROR message is not UTF-8");
  return true;
}

bool ParseEmptyPayload(std::span<const uint8_t> p, std::string* error) {
  return ExpectSize(p, 0, "empty", error);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string TruncateUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t end = max_bytes;
  // Back up over continuation bytes to the start of the sequence that would be cut.
  while (end > 0 && (static_cast<uint8_t>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

ssize_t WriteNoSigpipe(int fd, std::span<const uint8_t> bytes) {
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
    return send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // A pipe has no MSG_NOSIGNAL: block SIGPIPE in this thread for the write, and consume the
  // SIGPIPE our write raised (only if it was not already pending) before unblocking.
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigemptyset(&pending);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  const ssize_t n = write(fd, bytes.data(), bytes.size());
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending) {
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return n;
}

}  // namespace svsm_conform::wire
