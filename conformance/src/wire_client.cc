#include "svsm_conform/wire_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace svsm_conform {
namespace {

using Clock = std::chrono::steady_clock;

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

bool SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string Errno(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Milliseconds left until `deadline` for poll(): at least 0, rounded up so a poll never
// returns just before the deadline and spins.
int MsLeft(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

TargetError Unsent(std::string message) {
  return TargetError{TargetError::kMalformed, std::move(message)};
}

}  // namespace

std::string TargetSpec::ToString() const {
  switch (kind) {
    case Kind::kExec:
      return "exec:" + command;
    case Kind::kTcp:
      return "tcp:" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
             std::to_string(port);
    case Kind::kUnix:
      return "unix:" + path;
  }
  return {};
}

std::optional<TargetSpec> ParseTargetSpec(std::string_view spec, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<TargetSpec> {
    if (error != nullptr) *error = "target '" + std::string(spec) + "': " + message;
    return std::nullopt;
  };
  TargetSpec t;
  if (spec.starts_with("exec:")) {
    t.kind = TargetSpec::Kind::kExec;
    t.command = spec.substr(5);
    if (t.command.empty()) return fail("exec: needs a command");
    return t;
  }
  if (spec.starts_with("unix:")) {
    t.kind = TargetSpec::Kind::kUnix;
    t.path = spec.substr(5);
    if (t.path.empty()) return fail("unix: needs a socket path");
    if (t.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return fail("socket path is longer than " +
                  std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
    }
    return t;
  }
  if (spec.starts_with("tcp:")) {
    t.kind = TargetSpec::Kind::kTcp;
    const std::string_view rest = spec.substr(4);
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return fail("tcp: needs HOST:PORT");
    std::string_view host = rest.substr(0, colon);
    const std::string_view port = rest.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) return fail("tcp: needs a host");
    uint32_t p = 0;
    if (port.empty() || port.size() > 5) return fail("port must be 1-65535");
    for (char c : port) {
      if (c < '0' || c > '9') return fail("port must be 1-65535");
      p = p * 10 + static_cast<uint32_t>(c - '0');
    }
    if (p == 0 || p > 65535) return fail("port must be 1-65535");
    t.host = host;
    t.port = static_cast<uint16_t>(p);
    return t;
  }
  return fail("expected exec:CMD, tcp:HOST:PORT or unix:PATH");
}

WireTarget::WireTarget(Transport transport, TargetSpec spec, const WireOptions& options)
    : transport_(transport), spec_(std::move(spec)), options_(options) {}

std::unique_ptr<WireTarget> WireTarget::Open(const TargetSpec& spec, const WireOptions& options,
                                             std::string* error) {
  Transport t = Transport::kExec;
  if (spec.kind == TargetSpec::Kind::kTcp) t = Transport::kTcp;
  if (spec.kind == TargetSpec::Kind::kUnix) t = Transport::kUnix;
  std::unique_ptr<WireTarget> target(new WireTarget(t, spec, options));
  std::string why;
  if (!target->Connect(&why)) {
    if (error != nullptr) *error = spec.ToString() + ": " + why;
    return nullptr;
  }
  return target;
}

std::unique_ptr<WireTarget> WireTarget::Exec(const std::string& command, const WireOptions& options,
                                             std::string* error) {
  TargetSpec spec;
  spec.kind = TargetSpec::Kind::kExec;
  spec.command = command;
  return Open(spec, options, error);
}

std::unique_ptr<WireTarget> WireTarget::Tcp(const std::string& host, uint16_t port,
                                            const WireOptions& options, std::string* error) {
  TargetSpec spec;
  spec.kind = TargetSpec::Kind::kTcp;
  spec.host = host;
  spec.port = port;
  return Open(spec, options, error);
}

std::unique_ptr<WireTarget> WireTarget::Unix(const std::string& path, const WireOptions& options,
                                             std::string* error) {
  TargetSpec spec;
  spec.kind = TargetSpec::Kind::kUnix;
  spec.path = path;
  return Open(spec, options, error);
}

std::unique_ptr<WireTarget> WireTarget::FromFds(int read_fd, int write_fd,
                                                const WireOptions& options) {
  std::unique_ptr<WireTarget> target(new WireTarget(Transport::kFds, TargetSpec{}, options));
  target->in_fd_ = read_fd;
  target->out_fd_ = write_fd;
  SetNonBlocking(read_fd);
  if (write_fd != read_fd) SetNonBlocking(write_fd);
  return target;
}

std::string WireTarget::Describe() const {
  return transport_ == Transport::kFds ? std::string("fds") : spec_.ToString();
}

bool WireTarget::Connect(std::string* error) {
  switch (transport_) {
    case Transport::kFds:
      *error = "a target over given file descriptors cannot be reopened";
      return false;
    case Transport::kExec: {
      // Close-on-exec everywhere, so no other target's descriptors leak into this child;
      // posix_spawn's dup2 clears the flag on the child's 0, 1 and 2.
      int to_child[2], from_child[2], err_pipe[2];
      if (pipe2(to_child, O_CLOEXEC) != 0) {
        *error = Errno("pipe");
        return false;
      }
      if (pipe2(from_child, O_CLOEXEC) != 0) {
        *error = Errno("pipe");
        close(to_child[0]);
        close(to_child[1]);
        return false;
      }
      if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        *error = Errno("pipe");
        for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
        return false;
      }
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
      posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
      posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
      posix_spawnattr_t attr;
      posix_spawnattr_init(&attr);
      // Its own process group, so a kill reaches whatever the shell started; default signal
      // handling and an empty mask, whatever this process (e.g. SIGPIPE ignored) has.
      sigset_t all, none;
      sigfillset(&all);
      sigemptyset(&none);
      posix_spawnattr_setpgroup(&attr, 0);
      posix_spawnattr_setsigdefault(&attr, &all);
      posix_spawnattr_setsigmask(&attr, &none);
      posix_spawnattr_setflags(
          &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
      std::string sh = "/bin/sh", dash_c = "-c", cmd = spec_.command;
      char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
      pid_t pid = -1;
      const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attr);
      close(to_child[0]);
      close(from_child[1]);
      close(err_pipe[1]);
      if (rc != 0) {
        *error = std::string("posix_spawn /bin/sh: ") + std::strerror(rc);
        close(to_child[1]);
        close(from_child[0]);
        close(err_pipe[0]);
        return false;
      }
      pid_ = pid;
      out_fd_ = to_child[1];
      in_fd_ = from_child[0];
      err_fd_ = err_pipe[0];
      SetNonBlocking(out_fd_);
      SetNonBlocking(in_fd_);
      SetNonBlocking(err_fd_);
      return true;
    }
    case Transport::kUnix: {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      if (spec_.path.size() >= sizeof addr.sun_path) {
        *error = "socket path too long";
        return false;
      }
      std::memcpy(addr.sun_path, spec_.path.data(), spec_.path.size());
      const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        *error = Errno("socket");
        return false;
      }
      // A local connect completes or fails at once; blocking here is not a hang risk.
      if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        *error = Errno("connect");
        close(fd);
        return false;
      }
      SetNonBlocking(fd);
      in_fd_ = out_fd_ = fd;
      return true;
    }
    case Transport::kTcp: {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      const std::string port = std::to_string(spec_.port);
      const int gai = getaddrinfo(spec_.host.c_str(), port.c_str(), &hints, &res);
      if (gai != 0) {
        *error = "resolving " + spec_.host + ": " + gai_strerror(gai);
        return false;
      }
      const auto deadline = Clock::now() + options_.timeout;
      std::string last = "no address";
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        const int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
          last = Errno("socket");
          continue;
        }
        // The connect gets the same timeout as a response: a bridge that never accepts is a
        // hang like any other.
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
          pollfd p{fd, POLLOUT, 0};
          rc = poll(&p, 1, MsLeft(deadline));
          int soerr = 0;
          socklen_t len = sizeof soerr;
          if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0) {
            rc = 0;
          } else {
            errno = rc == 0 ? ETIMEDOUT : soerr;
            rc = -1;
          }
        }
        if (rc != 0) {
          last = Errno("connect");
          close(fd);
          continue;
        }
        // Small request/response frames: Nagle plus delayed ACK would add tens of
        // milliseconds to every exchange.
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        in_fd_ = out_fd_ = fd;
        freeaddrinfo(res);
        return true;
      }
      freeaddrinfo(res);
      *error = last;
      return false;
    }
  }
  return false;
}

void WireTarget::CloseConnection() {
  if (out_fd_ != in_fd_) CloseFd(out_fd_);
  out_fd_ = -1;
  CloseFd(in_fd_);
}

void WireTarget::StopChild(bool graceful) {
  if (pid_ <= 0) return;
  int status = 0;
  if (graceful) {
    // Its input is closed and it was told BYE: give it a moment to exit on its own.
    const auto deadline = Clock::now() + std::chrono::milliseconds(1000);
    while (Clock::now() < deadline) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

WireTarget::~WireTarget() {
  if (in_fd_ >= 0 && !broken_) {
    // Best effort and brief: a target that ignores BYE is killed below anyway.
    options_.timeout = std::min(options_.timeout, std::chrono::milliseconds(1000));
    Transact(wire::kBye, {});
  }
  CloseConnection();
  DrainStderr();
  StopChild(/*graceful=*/!broken_);
  CloseFd(err_fd_);
}

bool WireTarget::Restart(std::string* error) {
  if (transport_ == Transport::kFds) {
    if (error != nullptr) *error = "a target over given file descriptors cannot be restarted";
    return false;
  }
  CloseConnection();
  DrainStderr();
  StopChild(/*graceful=*/false);
  CloseFd(err_fd_);
  std::string why;
  if (!Connect(&why)) {
    if (error != nullptr) *error = Describe() + ": " + why;
    broken_ = true;
    broken_reason_ = "restart failed: " + why;
    return false;
  }
  broken_ = false;
  broken_reason_.clear();
  return true;
}

void WireTarget::DrainStderr() const {
  if (err_fd_ < 0) return;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(err_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // End of file (or an error): stop polling it, or poll() would report it forever.
      if (n == 0 || errno != EAGAIN) CloseFd(err_fd_);
      return;
    }
    log_.append(buf, static_cast<size_t>(n));
    if (log_.size() > options_.log_capacity) {
      log_.erase(0, log_.size() - options_.log_capacity);
      log_cut_ = true;
    }
  }
}

std::string WireTarget::RecentLog() const {
  DrainStderr();
  if (!log_cut_) return log_;
  // The head was cut mid-line; start at the first whole line.
  const size_t nl = log_.find('\n');
  return nl == std::string::npos ? log_ : log_.substr(nl + 1);
}

std::string WireTarget::ExitNote() {
  if (pid_ <= 0) return {};
  // The child's output closing usually means it is exiting: wait a little for the status,
  // which is the most useful thing a report can say about a crash.
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(200);
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) return {};
    if (Clock::now() >= deadline) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  pid_ = -1;
  if (WIFEXITED(status))
    return " (target exited with status " + std::to_string(WEXITSTATUS(status)) + ")";
  if (WIFSIGNALED(status)) {
    return " (target killed by signal " + std::to_string(WTERMSIG(status)) + ")";
  }
  return {};
}

TargetError WireTarget::Break(std::string reason) {
  broken_ = true;
  broken_reason_ = reason;
  return TargetError{TargetError::kBroken, std::move(reason)};
}

TargetResult<std::vector<uint8_t>> WireTarget::Transact(uint8_t type,
                                                        std::span<const uint8_t> payload) {
  using R = TargetResult<std::vector<uint8_t>>;
  const std::string name = wire::MessageName(type);
  if (broken_) {
    return TargetFail<std::vector<uint8_t>>(
        TargetError{TargetError::kBroken, "target is broken (" + broken_reason_ + "); restart it"});
  }
  if (in_fd_ < 0 || out_fd_ < 0)
    return TargetFail<std::vector<uint8_t>>(Break("target is not connected"));
  const std::optional<std::vector<uint8_t>> frame = wire::EncodeFrame(type, payload);
  if (!frame) return TargetFail<std::vector<uint8_t>>(Unsent(name + " request exceeds the frame limit"));

  const auto deadline = Clock::now() + options_.timeout;
  const std::string timeout_text = std::to_string(options_.timeout.count()) + " ms";
  auto broke = [&](std::string why) -> R {
    return TargetFail<std::vector<uint8_t>>(Break(std::move(why)));
  };

  // Waits until `fd` is ready for `events`, reading standard error meanwhile so a chatty
  // child never blocks on it. 1 ready, 0 timed out, -1 error.
  auto wait_for = [&](int fd, short events) -> int {
    for (;;) {
      pollfd fds[2] = {{fd, events, 0}, {err_fd_, POLLIN, 0}};
      const int n = poll(fds, err_fd_ >= 0 ? 2 : 1, MsLeft(deadline));
      if (n < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (n == 0) return 0;
      if (err_fd_ >= 0 && fds[1].revents != 0) DrainStderr();
      if (fds[0].revents != 0) return 1;
    }
  };

  std::span<const uint8_t> out(*frame);
  while (!out.empty()) {
    const ssize_t n = wire::WriteNoSigpipe(out_fd_, out);
    if (n >= 0) {
      out = out.subspan(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      const std::string e = std::strerror(errno);
      DrainStderr();
      return broke("sending " + name + ": " + e + ExitNote());
    }
    const int w = wait_for(out_fd_, POLLOUT);
    if (w == 0) return broke("timed out after " + timeout_text + " sending " + name);
    if (w < 0) return broke(Errno("poll"));
  }

  // Exactly the response's bytes: anything after it would belong to no request.
  auto read_exact = [&](std::span<uint8_t> buf, const char* part) -> std::optional<R> {
    size_t got = 0;
    while (got < buf.size()) {
      const ssize_t n = read(in_fd_, buf.data() + got, buf.size() - got);
      if (n > 0) {
        got += static_cast<size_t>(n);
        continue;
      }
      if (n == 0) {
        DrainStderr();
        const bool before_any = got == 0 && std::string_view(part) == "header";
        return broke(std::string("target closed the stream ") +
                     (before_any ? "instead of answering " : "in the middle of the response to ") +
                     name + ExitNote());
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return broke(Errno((std::string("reading the response to ") + name).c_str()));
      }
      const int w = wait_for(in_fd_, POLLIN);
      if (w == 0) {
        return broke("no complete response to " + name + " within " + timeout_text + " (" +
                     std::to_string(got) + " of " + std::to_string(buf.size()) + " " + part +
                     " bytes)");
      }
      if (w < 0) return broke(Errno("poll"));
    }
    return std::nullopt;
  };

  uint8_t header[wire::kHeaderSize];
  if (auto failed = read_exact(header, "header")) return *failed;
  std::string error;
  const std::optional<uint32_t> len = wire::DecodeFrameLength(header, &error);
  if (!len) return broke("response to " + name + ": " + error);
  std::vector<uint8_t> body(*len);
  if (auto failed = read_exact(body, "frame")) return *failed;
  const uint8_t rtype = body[0];
  std::vector<uint8_t> rpayload(body.begin() + 1, body.end());

  if (rtype == wire::kError) {
    wire::ErrorReply e;
    if (!wire::ParsePayload(rpayload, &e, &error))
      return broke("response to " + name + ": " + error);
    uint32_t code = e.code;
    std::string message = std::move(e.message);
    // kBroken is the runner's own code; any code wire version 1 does not define is the
    // target's internal business.
    if (code < wire::kErrUnknownMessage || code > wire::kErrInternal) {
      message = "error code " + std::to_string(code) + ": " + message;
      code = TargetError::kInternal;
    }
    return TargetFail<std::vector<uint8_t>>(TargetError{code, std::move(message)});
  }
  if (rtype != wire::ResponseType(type)) {
    return broke("expected " + wire::MessageName(wire::ResponseType(type)) + " or ERROR, got " +
                 wire::MessageName(rtype));
  }
  return TargetOk(std::move(rpayload));
}

TargetResult<TargetInfo> WireTarget::Hello() {
  auto r = Transact(wire::kHello, wire::EncodePayload(wire::HelloRequest{wire::kVersion}));
  if (!r.ok()) return TargetFail<TargetInfo>(r.error);
  std::string error;
  const std::string_view json(reinterpret_cast<const char*>(r.value->data()), r.value->size());
  std::optional<TargetInfo> info = TargetInfoFromJson(json, &error);
  if (!info) return TargetFail<TargetInfo>(Break("HELLO_OK: " + error));
  if (info->wire_version != wire::kVersion) {
    return TargetFail<TargetInfo>(Break("target answered wire version " +
                                  std::to_string(info->wire_version) +
                                  "; the runner speaks version 1"));
  }
  return TargetOk(std::move(*info));
}

TargetResult<Empty> WireTarget::EmptyReply(TargetResult<std::vector<uint8_t>> r, const char* name) {
  if (!r.ok()) return TargetFail<Empty>(r.error);
  std::string error;
  // Anything in an empty *_OK payload is a peer speaking another layout.
  if (!wire::ParseEmptyPayload(*r.value, &error)) {
    return TargetFail<Empty>(Break(std::string(name) + ": " + error));
  }
  return TargetOk(Empty{});
}

TargetResult<Empty> WireTarget::Reset() {
  return EmptyReply(Transact(wire::kReset, {}), "RESET_OK");
}

TargetResult<std::vector<uint8_t>> WireTarget::Read(uint64_t gpa, uint32_t size) {
  if (size > wire::kMaxTransfer) {
    return TargetFail<std::vector<uint8_t>>(
        Unsent("READ of " + std::to_string(size) + " bytes exceeds the wire limit of 1 MiB"));
  }
  auto r = Transact(wire::kRead, wire::EncodePayload(wire::ReadRequest{gpa, size}));
  if (!r.ok()) return r;
  if (r.value->size() != size) {
    return TargetFail<std::vector<uint8_t>>(Break("READ_OK carries " + std::to_string(r.value->size()) +
                                            " bytes, " + std::to_string(size) + " requested"));
  }
  return r;
}

TargetResult<Empty> WireTarget::Write(uint64_t gpa, std::span<const uint8_t> bytes) {
  if (bytes.size() > wire::kMaxTransfer) {
    return TargetFail<Empty>(Unsent("WRITE of " + std::to_string(bytes.size()) +
                              " bytes exceeds the wire limit of 1 MiB"));
  }
  wire::WriteRequest req;
  req.gpa = gpa;
  req.bytes.assign(bytes.begin(), bytes.end());
  return EmptyReply(Transact(wire::kWrite, wire::EncodePayload(req)), "WRITE_OK");
}

TargetResult<CallReply> WireTarget::Call(uint32_t vcpu, const RegisterSet& regs) {
  auto r = Transact(wire::kCall, wire::EncodePayload(wire::CallRequest{vcpu, regs}));
  if (!r.ok()) return TargetFail<CallReply>(r.error);
  CallReply reply;
  std::string error;
  if (!wire::ParsePayload(*r.value, &reply, &error)) return TargetFail<CallReply>(Break(error));
  return TargetOk(reply);
}

TargetResult<CallReply> WireTarget::CallWithPending(uint32_t vcpu, uint8_t call_pending,
                                                    const RegisterSet& regs) {
  auto r = Transact(wire::kCallWithPending,
                    wire::EncodePayload(wire::CallWithPendingRequest{vcpu, call_pending, regs}));
  if (!r.ok()) return TargetFail<CallReply>(r.error);
  CallReply reply;
  std::string error;
  if (!wire::ParsePayload(*r.value, &reply, &error)) return TargetFail<CallReply>(Break(error));
  return TargetOk(reply);
}

TargetResult<PageStateReply> WireTarget::PageState(uint64_t gpa) {
  auto r = Transact(wire::kPageState, wire::EncodePayload(wire::PageStateRequest{gpa}));
  if (!r.ok()) return TargetFail<PageStateReply>(r.error);
  PageStateReply reply;
  std::string error;
  if (!wire::ParsePayload(*r.value, &reply, &error)) return TargetFail<PageStateReply>(Break(error));
  return TargetOk(reply);
}

TargetResult<Empty> WireTarget::SetRunning(uint32_t vcpu, bool running) {
  return EmptyReply(
      Transact(wire::kSetRunning, wire::EncodePayload(wire::SetRunningRequest{vcpu, running})),
      "SET_RUNNING_OK");
}

TargetResult<Empty> WireTarget::Inject(const Injection& injection) {
  return EmptyReply(Transact(wire::kInject, wire::EncodePayload(injection)), "INJECT_OK");
}

}  // namespace svsm_conform
