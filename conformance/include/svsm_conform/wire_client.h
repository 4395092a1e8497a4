// The runner side of the target wire protocol (docs/wire-protocol.md): a Target that
// speaks it over a subprocess's standard input and output, a TCP socket or a Unix socket.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "svsm_conform/target.h"
#include "svsm_conform/wire.h"

namespace svsm_conform {

struct WireOptions {
  // Longest wait for a whole request/response exchange (--timeout).
  std::chrono::milliseconds timeout{10000};
  // Bytes of a subprocess's standard error kept for RecentLog().
  size_t log_capacity = 64 * 1024;
};

// A --target value other than `ref` (which the CLI handles in-process).
struct TargetSpec {
  enum class Kind { kExec, kTcp, kUnix };
  Kind kind = Kind::kExec;
  std::string command;           // kExec: run with /bin/sh -c
  std::string host;              // kTcp (brackets of "[::1]" removed)
  uint16_t port = 0;             // kTcp
  std::string path;              // kUnix
  std::string ToString() const;  // back in "exec:CMD" / "tcp:HOST:PORT" / "unix:PATH" form
};

// "exec:CMD", "tcp:HOST:PORT" (HOST may be "[v6 address]") or "unix:PATH"; nullopt with
// the reason otherwise.
std::optional<TargetSpec> ParseTargetSpec(std::string_view spec, std::string* error);

// A Target behind the wire. A resource: owns its process or connection, not copyable.
//
// Every request waits at most options.timeout for its response. A timeout, end of stream,
// a frame the protocol forbids, an unparsable payload or a response of the wrong type
// answers TargetError{kBroken, reason} and marks the target broken: later requests fail
// fast with the same reason until Restart(). ERROR responses are ordinary TargetErrors and
// leave the target usable. Requests the protocol cannot carry (READ or WRITE of more than
// 1 MiB) fail with kMalformed without being sent.
//
// SIGPIPE never reaches the process from here (writes use MSG_NOSIGNAL or block it), so a
// target that dies mid-request is a kBroken answer, not a dead runner.
class WireTarget final : public Target {
 public:
  // Starts `command` with /bin/sh -c in its own process group; frames go to its standard
  // input and come from its standard output; its standard error feeds RecentLog().
  static std::unique_ptr<WireTarget> Exec(const std::string& command, const WireOptions& options,
                                          std::string* error);
  static std::unique_ptr<WireTarget> Tcp(const std::string& host, uint16_t port,
                                         const WireOptions& options, std::string* error);
  static std::unique_ptr<WireTarget> Unix(const std::string& path, const WireOptions& options,
                                          std::string* error);
  static std::unique_ptr<WireTarget> Open(const TargetSpec& spec, const WireOptions& options,
                                          std::string* error);
  // Over descriptors set up elsewhere (a socketpair in tests): takes ownership of both
  // (they may be the same fd) and makes them non-blocking. Restart() cannot reopen them.
  static std::unique_ptr<WireTarget> FromFds(int read_fd, int write_fd, const WireOptions& options);

  // Says BYE (best effort, briefly), closes the stream and reaps a subprocess (killing its
  // process group if it does not exit on its own).
  ~WireTarget() override;
  WireTarget(const WireTarget&) = delete;
  WireTarget& operator=(const WireTarget&) = delete;

  TargetResult<TargetInfo> Hello() override;
  TargetResult<Empty> Reset() override;
  TargetResult<std::vector<uint8_t>> Read(uint64_t gpa, uint32_t size) override;
  TargetResult<Empty> Write(uint64_t gpa, std::span<const uint8_t> bytes) override;
  TargetResult<CallReply> Call(uint32_t vcpu, const RegisterSet& regs) override;
  TargetResult<CallReply> CallWithPending(uint32_t vcpu, uint8_t call_pending,
                                          const RegisterSet& regs) override;
  TargetResult<PageStateReply> PageState(uint64_t gpa) override;
  TargetResult<Empty> SetRunning(uint32_t vcpu, bool running) override;
  TargetResult<Empty> Inject(const Injection& injection) override;
  // Subprocess: SIGKILL its process group, reap it and start the command again. Sockets:
  // reconnect. Does not send HELLO (the runner does).
  bool Restart(std::string* error) override;
  // The tail of the subprocess's standard error, starting at a line boundary when cut.
  std::string RecentLog() const override;

  bool broken() const { return broken_; }
  const std::string& broken_reason() const { return broken_reason_; }
  void set_timeout(std::chrono::milliseconds timeout) { options_.timeout = timeout; }
  // The subprocess's pid while it runs, else -1 (tests kill it to simulate a crash).
  pid_t pid() const { return pid_; }
  std::string Describe() const;

 private:
  enum class Transport { kExec, kTcp, kUnix, kFds };
  WireTarget(Transport transport, TargetSpec spec, const WireOptions& options);

  bool Connect(std::string* error);
  void CloseConnection();
  void StopChild(bool graceful);
  // One request/response exchange; the response's payload on success (the expected *_OK
  // type), else the error (an ERROR reply, or kBroken after Break()).
  TargetResult<std::vector<uint8_t>> Transact(uint8_t type, std::span<const uint8_t> payload);
  TargetError Break(std::string reason);
  TargetResult<Empty> EmptyReply(TargetResult<std::vector<uint8_t>> r, const char* name);
  // Standard error bytes available now, into the log; false once it is closed.
  void DrainStderr() const;
  std::string ExitNote();

  Transport transport_;
  TargetSpec spec_;
  WireOptions options_;
  int in_fd_ = -1;   // responses come from here
  int out_fd_ = -1;  // requests go here (may equal in_fd_)
  mutable int err_fd_ = -1;
  pid_t pid_ = -1;
  bool broken_ = false;
  std::string broken_reason_;
  mutable std::string log_;
  mutable bool log_cut_ = false;
};

}  // namespace svsm_conform
