// Feeds arbitrary bytes to every reader of the target wire protocol (docs/wire-protocol.md):
// the frame decoder, each payload parser and the HELLO JSON reader. A refusal must say why;
// anything accepted must encode back to exactly the bytes it came from (the parsers are
// exact by contract), and an accepted HELLO must survive its JSON round trip unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "svsm_conform/target.h"
#include "svsm_conform/wire.h"

namespace {

using namespace svsm_conform;

template <class T>
void CheckPayload(std::span<const uint8_t> bytes) {
  T parsed{};
  std::string error;
  if (!wire::ParsePayload(bytes, &parsed, &error)) {
    if (error.empty()) __builtin_trap();
    return;
  }
  const std::vector<uint8_t> again = wire::EncodePayload(parsed);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) __builtin_trap();
}

void CheckAllPayloads(std::span<const uint8_t> bytes) {
  CheckPayload<wire::HelloRequest>(bytes);
  CheckPayload<wire::ReadRequest>(bytes);
  CheckPayload<wire::WriteRequest>(bytes);
  CheckPayload<wire::CallRequest>(bytes);
  CheckPayload<wire::CallWithPendingRequest>(bytes);
  CheckPayload<CallReply>(bytes);
  CheckPayload<wire::PageStateRequest>(bytes);
  CheckPayload<PageStateReply>(bytes);
  CheckPayload<wire::SetRunningRequest>(bytes);
  CheckPayload<wire::InjectRequest>(bytes);
  CheckPayload<wire::ErrorReply>(bytes);
  std::string error;
  if (!wire::ParseEmptyPayload(bytes, &error) && error.empty()) __builtin_trap();
}

void CheckHello(std::string_view text) {
  std::string error;
  const std::optional<TargetInfo> info = TargetInfoFromJson(text, &error);
  if (!info) {
    if (error.empty()) __builtin_trap();
    return;
  }
  const std::string json = TargetInfoToJson(*info);
  const std::optional<TargetInfo> again = TargetInfoFromJson(json, &error);
  if (!again || TargetInfoToJson(*again) != json) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const wire::FrameParse frame = wire::DecodeFrame(bytes);
  switch (frame.status) {
    case wire::FrameStatus::kBroken:
      if (frame.error.empty()) __builtin_trap();
      break;
    case wire::FrameStatus::kIncomplete:
      break;
    case wire::FrameStatus::kComplete: {
      const std::optional<std::vector<uint8_t>> again =
          wire::EncodeFrame(frame.frame.type, frame.frame.payload);
      if (!again || frame.consumed > size ||
          !std::equal(again->begin(), again->end(), data, data + frame.consumed)) {
        __builtin_trap();
      }
      // The frame's own payload, so the mutator reaches the parsers through real frames too.
      CheckAllPayloads(frame.frame.payload);
      if (frame.frame.type == wire::ResponseType(wire::kHello)) {
        CheckHello(std::string_view(reinterpret_cast<const char*>(frame.frame.payload.data()),
                                    frame.frame.payload.size()));
      }
      break;
    }
  }
  CheckAllPayloads(bytes);
  CheckHello(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
