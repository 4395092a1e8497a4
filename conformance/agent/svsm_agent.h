/*
 * svsm_agent: the target side of the conformance wire protocol (docs/wire-protocol.md) in
 * freestanding C (C99/C11; only <stddef.h> and <stdint.h>; no libc calls, no allocation).
 *
 * Link it into a guest kernel or a bare-metal test image and let the conformance runner drive
 * the SVSM through it: the embedder supplies a byte channel (serial port, vsock, a pipe), the
 * guest's SVSM calling sequence, guest memory access at the guest VMPL, and the HELLO facts;
 * the agent decodes the runner's frames, calls those hooks and encodes the answers.
 *
 *   static uint8_t frame[SVSM_AGENT_FRAME_BUFFER_SIZE];
 *   static const struct svsm_agent agent = {
 *       .channel = {&uart, uart_read, uart_write},
 *       .frame_buf = frame, .frame_buf_size = sizeof(frame),
 *       .hello = &my_hello, .call = my_call, .mem_read = my_read, .mem_write = my_write};
 *   svsm_agent_serve(&agent);
 *
 * The frame buffer holds one request and then, in place, its response; the biggest messages
 * are a 1 MiB READ answer and a 1 MiB WRITE request, so SVSM_AGENT_FRAME_BUFFER_SIZE bytes
 * serve every request. A smaller buffer (at least SVSM_AGENT_MIN_BUFFER_SIZE) works for
 * smaller accesses: longer frames are drained and answered with ERROR 2, READs whose answer
 * does not fit with ERROR 5.
 *
 * The agent has no global state (one frame buffer per concurrent user). Its object code
 * needs no external symbol, not even memcpy (checked with gcc and clang at -O0 and -O2).
 */
#ifndef SVSM_AGENT_H
#define SVSM_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "svsm_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Wire constants (docs/wire-protocol.md) ------------------------------------------- */

#define SVSM_AGENT_WIRE_VERSION 1u
/* Largest frame length N (type byte + payload) a receiver accepts: 1 MiB + 64. */
#define SVSM_AGENT_FRAME_MAX 0x100040u
/* Largest READ / WRITE data size. */
#define SVSM_AGENT_ACCESS_MAX 0x100000u
/* A frame buffer that holds every request and response: length prefix + largest frame. */
#define SVSM_AGENT_FRAME_BUFFER_SIZE (4u + SVSM_AGENT_FRAME_MAX)
/* The smallest frame buffer the agent works with (ERROR answers and short requests). */
#define SVSM_AGENT_MIN_BUFFER_SIZE 256u

#define SVSM_AGENT_MSG_HELLO 0x01u
#define SVSM_AGENT_MSG_RESET 0x02u
#define SVSM_AGENT_MSG_READ 0x03u
#define SVSM_AGENT_MSG_WRITE 0x04u
#define SVSM_AGENT_MSG_CALL 0x05u
#define SVSM_AGENT_MSG_PAGE_STATE 0x06u
#define SVSM_AGENT_MSG_SET_RUNNING 0x07u
#define SVSM_AGENT_MSG_BYE 0x08u
#define SVSM_AGENT_MSG_INJECT 0x09u
#define SVSM_AGENT_MSG_CALL_WITH_PENDING 0x0Au
#define SVSM_AGENT_MSG_ERROR 0x7Fu
#define SVSM_AGENT_MSG_RESPONSE 0x80u /* response type = request type | 0x80 */

/* ERROR codes. */
#define SVSM_AGENT_ERROR_UNKNOWN_MESSAGE 1u
#define SVSM_AGENT_ERROR_MALFORMED 2u
#define SVSM_AGENT_ERROR_FAULT 3u
#define SVSM_AGENT_ERROR_UNSUPPORTED 4u
#define SVSM_AGENT_ERROR_INTERNAL 5u

/* INJECT kinds. */
#define SVSM_AGENT_INJECT_PVALIDATE_RESULT 1u
#define SVSM_AGENT_INJECT_RACING_WRITE 2u

/* CALL outcomes. */
#define SVSM_AGENT_CALL_COMPLETED 0u   /* registers and CALL_PENDING are those after the call */
#define SVSM_AGENT_CALL_NO_RETURN 1u   /* the call never returned (vCPU deleted its VMSA) */
#define SVSM_AGENT_CALL_CANNOT_CALL 2u /* the vCPU has no VMSA or is not started */
#define SVSM_AGENT_CALL_GUEST_FAULT 3u /* writing CALL_PENDING in the Calling Area faulted */

/* ---- Hook results ---------------------------------------------------------------------- */

/* What the memory, page-state, set-running and reset hooks return. Any other value
 * (negative ones included) is an internal target error: ERROR 5. */
#define SVSM_AGENT_OK 0
#define SVSM_AGENT_FAULT 1       /* the guest access faulted: ERROR 3 */
#define SVSM_AGENT_INVALID 2     /* the request names something that does not exist: ERROR 2 */
#define SVSM_AGENT_UNSUPPORTED 3 /* the target cannot do this (now): ERROR 4 */

/* ---- Embedder-supplied data and hooks -------------------------------------------------- */

/* The byte stream to the runner. read: up to `len` bytes into `buf`; returns the count
 * (> 0), 0 at end of stream, < 0 on error. write: writes up to `len` bytes; returns the
 * count (> 0) or <= 0 on error. Short reads and writes are continued by the agent. */
struct svsm_agent_channel {
  void* ctx;
  ptrdiff_t (*read)(void* ctx, void* buf, size_t len);
  ptrdiff_t (*write)(void* ctx, const void* buf, size_t len);
};

struct svsm_agent_regs {
  uint64_t rax, rcx, rdx, r8, r9;
};

struct svsm_agent_call_result {
  uint32_t outcome;            /* SVSM_AGENT_CALL_* */
  struct svsm_agent_regs regs; /* after the call (outcome COMPLETED) */
  uint8_t call_pending_after;  /* the value the guest's exchange with 0 read back */
};

/* PAGE_STATE answer. perms: VMPL1, VMPL2, VMPL3; bits 1 read, 2 write, 4 user execute,
 * 8 supervisor execute. */
struct svsm_agent_page_state {
  uint8_t validated;
  uint8_t validated_2m;
  uint8_t vmsa;
  uint8_t perms[3];
};

struct svsm_agent_protocol {
  uint32_t number;
  uint32_t min_version;
  uint32_t max_version;
};

/* A vCPU; its index is its position in svsm_agent_hello.vcpus. caa and vmsa are reported
 * only when can_call is non-zero. */
struct svsm_agent_vcpu {
  uint32_t apic_id;
  int can_call;
  uint64_t caa;
  uint64_t vmsa;
};

struct svsm_agent_range {
  uint64_t base;
  uint64_t size;
  int validated; /* test memory only */
};

/* The facts the HELLO answer reports (docs/wire-protocol.md, "HELLO"). Strings are UTF-8
 * and NUL-terminated; the agent escapes them for JSON. The "capabilities" member is derived
 * from the optional hooks present. */
struct svsm_agent_hello {
  const char* target;        /* NULL: "" */
  const char* spec_revision; /* NULL: SVSM_SPEC_REVISION of the generated header */
  uint8_t guest_vmpl;
  const struct svsm_agent_protocol* protocols;
  size_t protocol_count;
  const struct svsm_agent_vcpu* vcpus;
  size_t vcpu_count;
  struct svsm_agent_range svsm_region;
  uint64_t startup_vmsa;
  const struct svsm_agent_range* test_memory;
  size_t test_memory_count;
  const struct svsm_agent_range* shared_memory; /* optional: count 0 omits the member */
  size_t shared_memory_count;
  uint64_t unmapped;
  const char* report_public_key; /* PEM, or NULL to omit the member */
};

struct svsm_agent {
  /* svsm_agent_serve only: the stream and the frame buffer (see the top of this file). */
  struct svsm_agent_channel channel;
  uint8_t* frame_buf;
  size_t frame_buf_size;

  /* HELLO facts: get_hello(ctx) when set (facts that change, e.g. vCPUs), else hello. */
  const struct svsm_agent_hello* hello;
  const struct svsm_agent_hello* (*get_hello)(void* ctx);

  /* Passed to every hook below. */
  void* ctx;

  /* Required. The guest calling sequence on vCPU `vcpu`: set CALL_PENDING = 1 in its
   * current Calling Area, load RAX, RCX, RDX, R8, R9 from `in`, VMGEXIT, save the five
   * registers, exchange CALL_PENDING with 0 (svsm_agent_guest_call() does this for a mapped
   * Calling Area). Fill `out`; return SVSM_AGENT_OK, or another value for ERROR 5. For
   * outcomes other than COMPLETED the agent answers the input registers and
   * CALL_PENDING 0. */
  int (*call)(void* ctx, uint32_t vcpu, const struct svsm_agent_regs* in,
              struct svsm_agent_call_result* out);

  /* Required. Guest memory as software at the guest VMPL accesses it; SVSM_AGENT_FAULT
   * when any byte of the access faults (for writes: then nothing is written). */
  int (*mem_read)(void* ctx, uint64_t gpa, void* buf, uint32_t size);
  int (*mem_write)(void* ctx, uint64_t gpa, const void* buf, uint32_t size);

  /* Optional (NULL: capability absent, ERROR 4). */
  int (*page_state)(void* ctx, uint64_t gpa, struct svsm_agent_page_state* out); /* page-state */
  int (*set_running)(void* ctx, uint32_t vcpu, int running);                     /* vcpu-control */
  int (*reset)(void* ctx);                                                       /* reset */

  /* Optional injected platform behaviour, for rules a guest cannot observe by itself
   * (docs/wire-protocol.md, INJECT); an embedder whose SVSM runs on a simulator or an
   * instrumented host can offer them, a guest on hardware leaves them NULL.
   * inject_pvalidate_result (capability inject-pvalidate-result): the (skip + 1)-th
   * PVALIDATE instruction the SVSM executes from now on returns `eax`, CF = 0, no effect.
   * inject_racing_write (capability inject-racing-write): the next time the SVSM reads
   * guest memory in the 4 KiB page holding `gpa`, right after that read another vCPU at the
   * guest VMPL writes buf[0, size) at `gpa` (1 <= size, inside the page; checked by the
   * agent); the write lands only where the guest may write at that moment. */
  int (*inject_pvalidate_result)(void* ctx, uint32_t skip, uint32_t eax);
  int (*inject_racing_write)(void* ctx, uint64_t gpa, const void* buf, uint32_t size);

  /* Optional (capability call-pending-value): as `call`, but the guest stores
   * `call_pending` instead of 1 in CALL_PENDING before the VMGEXIT (0, or a reserved value
   * 2-255), to see how the SVSM treats it; svsm_agent_guest_call_pending() does this. */
  int (*call_with_pending)(void* ctx, uint32_t vcpu, uint8_t call_pending,
                           const struct svsm_agent_regs* in, struct svsm_agent_call_result* out);
};

/* ---- Entry points ---------------------------------------------------------------------- */

/* svsm_agent_serve results. */
#define SVSM_AGENT_SERVE_BYE 0          /* BYE answered */
#define SVSM_AGENT_SERVE_EOF 1          /* the stream ended between frames */
#define SVSM_AGENT_SERVE_IO_ERROR (-1)  /* read/write failed or the stream ended inside a frame */
#define SVSM_AGENT_SERVE_BAD_FRAME (-2) /* a frame length of 0 or above SVSM_AGENT_FRAME_MAX */
#define SVSM_AGENT_SERVE_BAD_SETUP (-3) /* no channel, or frame buffer missing or too small */

/* Answers requests from agent->channel until BYE (answered), end of stream or an error.
 * Frames longer than the frame buffer allows are drained and answered with ERROR 2. */
int svsm_agent_serve(const struct svsm_agent* agent);

/* svsm_agent_handle_frame results. */
#define SVSM_AGENT_FRAME_CONTINUE 0     /* answered; keep serving */
#define SVSM_AGENT_FRAME_BYE 1          /* BYE answered; close the stream after sending it */
#define SVSM_AGENT_FRAME_BAD_SETUP (-3) /* buf_size < SVSM_AGENT_MIN_BUFFER_SIZE */

/* Handles exactly one frame: buf[0, frame_len) holds a whole frame (4-byte little-endian
 * length N, then N bytes: type and payload); buf has buf_size bytes of room. On return buf
 * holds the whole response frame and *resp_len its size (length prefix included). A frame
 * whose length prefix disagrees with frame_len, or that is shorter than 5 bytes, is
 * answered with ERROR 2. Uses agent's hooks and HELLO facts; not its channel or buffer. */
int svsm_agent_handle_frame(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                            size_t frame_len, size_t* resp_len);

/* Writes into buf[0, buf_size) the ERROR frame for a request the embedder rejected itself
 * (e.g. a frame too long for its buffer); returns its size, 0 if buf_size is too small. The
 * message is truncated to fit. */
size_t svsm_agent_error_frame(uint8_t* buf, size_t buf_size, uint32_t code, const char* message);

/* The guest calling sequence (spec §5) for an embedder whose Calling Area is mapped at
 * `caa`: CALL_PENDING = 1, vmgexit(vmgexit_ctx, regs) (load the registers, VMGEXIT to the
 * SVSM, store the registers back into *regs), then an atomic exchange of CALL_PENDING with
 * 0. Fills out (outcome COMPLETED) from `in` and what the SVSM returned. */
void svsm_agent_guest_call(volatile struct svsm_caa* caa,
                           void (*vmgexit)(void* vmgexit_ctx, struct svsm_agent_regs* regs),
                           void* vmgexit_ctx, const struct svsm_agent_regs* in,
                           struct svsm_agent_call_result* out);

/* As svsm_agent_guest_call, storing `call_pending` in CALL_PENDING instead of 1. */
void svsm_agent_guest_call_pending(volatile struct svsm_caa* caa,
                                   void (*vmgexit)(void* vmgexit_ctx, struct svsm_agent_regs* regs),
                                   void* vmgexit_ctx, uint8_t call_pending,
                                   const struct svsm_agent_regs* in,
                                   struct svsm_agent_call_result* out);

#ifdef __cplusplus
}
#endif

#endif /* SVSM_AGENT_H */
