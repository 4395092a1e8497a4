// The target wire protocol's bytes (docs/wire-protocol.md): frames and every message
// payload, as pure functions over byte spans. Both ends use them (wire_client.h,
// wire_server.h) and the fuzzer drives them directly, so a parser must never read past the
// span it is given and must refuse, with a reason, anything the document does not allow.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "svsm_conform/target.h"

namespace svsm_conform::wire {

inline constexpr uint32_t kVersion = 1;                       // the wire version spoken here
inline constexpr size_t kHeaderSize = 4;                      // LE length of what follows
inline constexpr uint32_t kMaxFrameLength = (1u << 20) + 64;  // type + payload, 1,048,640
inline constexpr uint32_t kMaxTransfer = 1u << 20;            // READ size, WRITE bytes

enum MessageType : uint8_t {
  kHello = 0x01,
  kReset = 0x02,
  kRead = 0x03,
  kWrite = 0x04,
  kCall = 0x05,
  kPageState = 0x06,
  kSetRunning = 0x07,
  kBye = 0x08,
  kInject = 0x09,
  kCallWithPending = 0x0A,
  kError = 0x7F,
};

// ERROR codes; the same numbers as TargetError::Code so a reply maps one to one.
enum ErrorCode : uint32_t {
  kErrUnknownMessage = 1,
  kErrMalformed = 2,
  kErrFault = 3,
  kErrUnsupported = 4,
  kErrInternal = 5,
};

constexpr uint8_t ResponseType(uint8_t request) {
  return static_cast<uint8_t>(request | 0x80);
}
// "HELLO", "HELLO_OK", "ERROR", or "0x42" for a type the protocol does not define.
std::string MessageName(uint8_t type);

struct Frame {
  uint8_t type = 0;
  std::vector<uint8_t> payload;
};

// The whole frame (header, type, payload); nullopt when type + payload exceed
// kMaxFrameLength, which no conforming peer would accept.
std::optional<std::vector<uint8_t>> EncodeFrame(uint8_t type, std::span<const uint8_t> payload);

// The length in a frame header: nullopt (with the reason) for 0 or more than
// kMaxFrameLength, after which the stream cannot be resynchronised.
std::optional<uint32_t> DecodeFrameLength(std::span<const uint8_t, kHeaderSize> header,
                                          std::string* error);

enum class FrameStatus { kComplete, kIncomplete, kBroken };
struct FrameParse {
  FrameStatus status = FrameStatus::kIncomplete;
  Frame frame;          // kComplete only
  size_t consumed = 0;  // bytes of `bytes` the frame took (kComplete only)
  std::string error;    // kBroken only
};
// The first frame at the start of `bytes`; kIncomplete when more bytes are needed.
FrameParse DecodeFrame(std::span<const uint8_t> bytes);

// Payloads. Each Encode/Parse pair is exact: a payload parses only if encoding the result
// gives the same bytes back (no trailing bytes, booleans 0 or 1, reserved bits clear).
struct HelloRequest {
  uint32_t version = kVersion;
};
struct ReadRequest {
  uint64_t gpa = 0;
  uint32_t size = 0;  // at most kMaxTransfer
};
struct WriteRequest {
  uint64_t gpa = 0;
  std::vector<uint8_t> bytes;  // at most kMaxTransfer
};
struct CallRequest {
  uint32_t vcpu = 0;
  RegisterSet regs;
};
// CALL_WITH_PENDING: u32 vCPU, u8 CALL_PENDING value, u64 RAX, RCX, RDX, R8, R9; answered
// like CALL (CALL_WITH_PENDING_OK carries a CallReply).
struct CallWithPendingRequest {
  uint32_t vcpu = 0;
  uint8_t call_pending = 1;
  RegisterSet regs;
};

struct PageStateRequest {
  uint64_t gpa = 0;
};
struct SetRunningRequest {
  uint32_t vcpu = 0;
  bool running = false;
};
// INJECT: u32 kind, then kind 1 (pvalidate-result): u32 skip, u32 eax; kind 2
// (racing-write): u64 gpa, then 1..4096 bytes that stay inside gpa's 4 KiB page.
using InjectRequest = Injection;
inline constexpr uint32_t kMaxRacingWrite = 4096;

struct ErrorReply {
  uint32_t code = kErrInternal;
  std::string message;  // UTF-8
};

std::vector<uint8_t> EncodePayload(const HelloRequest& m);
std::vector<uint8_t> EncodePayload(const ReadRequest& m);
std::vector<uint8_t> EncodePayload(const WriteRequest& m);
std::vector<uint8_t> EncodePayload(const CallRequest& m);
std::vector<uint8_t> EncodePayload(const CallWithPendingRequest& m);
std::vector<uint8_t> EncodePayload(const CallReply& m);
std::vector<uint8_t> EncodePayload(const PageStateRequest& m);
std::vector<uint8_t> EncodePayload(const PageStateReply& m);
std::vector<uint8_t> EncodePayload(const SetRunningRequest& m);
std::vector<uint8_t> EncodePayload(const InjectRequest& m);
std::vector<uint8_t> EncodePayload(const ErrorReply& m);

// false (with the reason in *error) for a malformed payload; *out is then unspecified.
bool ParsePayload(std::span<const uint8_t> p, HelloRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, ReadRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, WriteRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, CallRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, CallWithPendingRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, CallReply* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, PageStateRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, PageStateReply* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, SetRunningRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, InjectRequest* out, std::string* error);
bool ParsePayload(std::span<const uint8_t> p, ErrorReply* out, std::string* error);
// RESET, its reply, WRITE_OK, SET_RUNNING_OK, INJECT_OK, BYE and BYE_OK carry nothing.
bool ParseEmptyPayload(std::span<const uint8_t> p, std::string* error);

// Whether `s` is well-formed UTF-8 (ERROR messages and HELLO JSON must be).
bool IsValidUtf8(std::string_view s);
// `s` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view s, size_t max_bytes);

// One write(2) of `bytes` to `fd` that reports a closed peer as EPIPE instead of raising
// SIGPIPE, for pipes as well as sockets: a runner or a served target must outlive its peer.
// Returns what write(2) returns, with errno set.
ssize_t WriteNoSigpipe(int fd, std::span<const uint8_t> bytes);

}  // namespace svsm_conform::wire
