/*
 * svsm_agent: the target side of the conformance wire protocol in freestanding C. See
 * svsm_agent.h for the contract and docs/wire-protocol.md for the protocol.
 */
#include "svsm_agent.h"

/* ---- Little-endian helpers ------------------------------------------------------------- */

static uint32_t load_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t load_u64(const uint8_t* p) {
  return (uint64_t)load_u32(p) | ((uint64_t)load_u32(p + 4) << 32);
}

static void store_u32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void store_u64(uint8_t* p, uint64_t v) {
  store_u32(p, (uint32_t)v);
  store_u32(p + 4, (uint32_t)(v >> 32));
}

/* Field by field, so that no compiler turns a struct copy into a memcpy call. */
static void copy_regs(struct svsm_agent_regs* to, const struct svsm_agent_regs* from) {
  to->rax = from->rax;
  to->rcx = from->rcx;
  to->rdx = from->rdx;
  to->r8 = from->r8;
  to->r9 = from->r9;
}

/* ---- Bounded text writer (HELLO JSON, ERROR messages) ---------------------------------- */

struct text {
  uint8_t* p;
  size_t cap;
  size_t len;
  int overflow;
};

static void put_char(struct text* t, char c) {
  if (t->len < t->cap) {
    t->p[t->len++] = (uint8_t)c;
  } else {
    t->overflow = 1;
  }
}

static void put_str(struct text* t, const char* s) {
  while (*s != '\0') put_char(t, *s++);
}

static void put_dec(struct text* t, uint32_t v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0u);
  while (n > 0) put_char(t, digits[--n]);
}

/* "0x..." in lower case without leading zeros, quoted (64-bit JSON values are strings). */
static void put_hex_string(struct text* t, uint64_t v) {
  static const char kHex[] = "0123456789abcdef";
  int shift = 60;
  put_str(t, "\"0x");
  while (shift > 0 && ((v >> shift) & 0xFu) == 0u) shift -= 4;
  for (; shift >= 0; shift -= 4) put_char(t, kHex[(v >> shift) & 0xFu]);
  put_char(t, '"');
}

/* A JSON string: quotes, backslashes and control characters escaped; other bytes (UTF-8)
 * copied. */
static void put_json_string(struct text* t, const char* s) {
  static const char kHex[] = "0123456789abcdef";
  put_char(t, '"');
  for (; s != NULL && *s != '\0'; ++s) {
    const unsigned char c = (unsigned char)*s;
    switch (c) {
      case '"':
        put_str(t, "\\\"");
        break;
      case '\\':
        put_str(t, "\\\\");
        break;
      case '\n':
        put_str(t, "\\n");
        break;
      case '\r':
        put_str(t, "\\r");
        break;
      case '\t':
        put_str(t, "\\t");
        break;
      case '\b':
        put_str(t, "\\b");
        break;
      case '\f':
        put_str(t, "\\f");
        break;
      default:
        if (c < 0x20u || c == 0x7Fu) {
          put_str(t, "\\u00");
          put_char(t, kHex[c >> 4]);
          put_char(t, kHex[c & 0xFu]);
        } else {
          put_char(t, (char)c);
        }
    }
  }
  put_char(t, '"');
}

static void put_key(struct text* t, const char* key) {
  put_char(t, '"');
  put_str(t, key);
  put_str(t, "\":");
}

static void put_ranges(struct text* t, const char* key, const struct svsm_agent_range* ranges,
                       size_t count, int with_validated) {
  size_t i;
  put_str(t, ",");
  put_key(t, key);
  put_char(t, '[');
  for (i = 0; i < count; ++i) {
    if (i != 0) put_char(t, ',');
    put_str(t, "{\"base\":");
    put_hex_string(t, ranges[i].base);
    put_str(t, ",\"size\":");
    put_hex_string(t, ranges[i].size);
    if (with_validated)
      put_str(t, ranges[i].validated ? ",\"validated\":true" : ",\"validated\":false");
    put_char(t, '}');
  }
  put_char(t, ']');
}

static void put_hello_json(struct text* t, const struct svsm_agent* agent,
                           const struct svsm_agent_hello* h) {
  size_t i;
  int first_capability = 1;

  put_str(t, "{\"wire_version\":");
  put_dec(t, SVSM_AGENT_WIRE_VERSION);
  put_str(t, ",\"target\":");
  put_json_string(t, h->target != NULL ? h->target : "");
  put_str(t, ",\"spec_revision\":");
  put_json_string(t, h->spec_revision != NULL ? h->spec_revision : SVSM_SPEC_REVISION);
  put_str(t, ",\"guest_vmpl\":");
  put_dec(t, h->guest_vmpl);

  put_str(t, ",\"protocols\":[");
  for (i = 0; i < h->protocol_count; ++i) {
    if (i != 0) put_char(t, ',');
    put_str(t, "{\"number\":");
    put_dec(t, h->protocols[i].number);
    put_str(t, ",\"min_version\":");
    put_dec(t, h->protocols[i].min_version);
    put_str(t, ",\"max_version\":");
    put_dec(t, h->protocols[i].max_version);
    put_char(t, '}');
  }
  put_char(t, ']');

  put_str(t, ",\"vcpus\":[");
  for (i = 0; i < h->vcpu_count; ++i) {
    if (i != 0) put_char(t, ',');
    put_str(t, "{\"index\":");
    put_dec(t, (uint32_t)i);
    put_str(t, ",\"apic_id\":");
    put_hex_string(t, h->vcpus[i].apic_id);
    if (h->vcpus[i].can_call) {
      put_str(t, ",\"caa\":");
      put_hex_string(t, h->vcpus[i].caa);
      put_str(t, ",\"vmsa\":");
      put_hex_string(t, h->vcpus[i].vmsa);
    }
    put_char(t, '}');
  }
  put_char(t, ']');

  put_str(t, ",\"svsm_region\":{\"base\":");
  put_hex_string(t, h->svsm_region.base);
  put_str(t, ",\"size\":");
  put_hex_string(t, h->svsm_region.size);
  put_str(t, "},\"startup_vmsa\":");
  put_hex_string(t, h->startup_vmsa);
  put_ranges(t, "test_memory", h->test_memory, h->test_memory_count, 1);
  if (h->shared_memory_count != 0) {
    put_ranges(t, "shared_memory", h->shared_memory, h->shared_memory_count, 0);
  }
  put_str(t, ",\"unmapped\":");
  put_hex_string(t, h->unmapped);

  put_str(t, ",\"capabilities\":[");
  if (agent->reset != NULL) {
    put_str(t, "\"reset\"");
    first_capability = 0;
  }
  if (agent->page_state != NULL) {
    if (!first_capability) put_char(t, ',');
    put_str(t, "\"page-state\"");
    first_capability = 0;
  }
  if (agent->set_running != NULL) {
    if (!first_capability) put_char(t, ',');
    put_str(t, "\"vcpu-control\"");
    first_capability = 0;
  }
  if (agent->inject_pvalidate_result != NULL) {
    if (!first_capability) put_char(t, ',');
    put_str(t, "\"inject-pvalidate-result\"");
    first_capability = 0;
  }
  if (agent->inject_racing_write != NULL) {
    if (!first_capability) put_char(t, ',');
    put_str(t, "\"inject-racing-write\"");
    first_capability = 0;
  }
  if (agent->call_with_pending != NULL) {
    if (!first_capability) put_char(t, ',');
    put_str(t, "\"call-pending-value\"");
  }
  put_char(t, ']');

  if (h->report_public_key != NULL) {
    put_str(t, ",\"report_public_key\":");
    put_json_string(t, h->report_public_key);
  }
  put_char(t, '}');
}

/* ---- Responses ------------------------------------------------------------------------- */

/* Header bytes of a frame: length prefix and type. */
#define FRAME_HEADER 5u

size_t svsm_agent_error_frame(uint8_t* buf, size_t buf_size, uint32_t code, const char* message) {
  struct text t;
  if (buf == NULL || buf_size < FRAME_HEADER + 4u) return 0;
  t.p = buf + FRAME_HEADER + 4u;
  t.cap = buf_size - (FRAME_HEADER + 4u);
  t.len = 0;
  t.overflow = 0;
  if (message != NULL) {
    /* Truncate at a character boundary: never leave half of a UTF-8 sequence. */
    while (*message != '\0') {
      const unsigned char c = (unsigned char)*message;
      size_t n = 1;
      if (c >= 0xC0u) n = c >= 0xF0u ? 4u : c >= 0xE0u ? 3u : 2u;
      if (t.len + n > t.cap) break;
      while (n-- > 0 && *message != '\0') put_char(&t, *message++);
    }
  }
  store_u32(buf, (uint32_t)(1u + 4u + t.len));
  buf[4] = SVSM_AGENT_MSG_ERROR;
  store_u32(buf + FRAME_HEADER, code);
  return FRAME_HEADER + 4u + t.len;
}

/* An empty *_OK frame. */
static size_t ok_frame(uint8_t* buf, uint8_t type, size_t payload_len) {
  store_u32(buf, (uint32_t)(1u + payload_len));
  buf[4] = (uint8_t)(type | SVSM_AGENT_MSG_RESPONSE);
  return FRAME_HEADER + payload_len;
}

/* ERROR for a hook result other than SVSM_AGENT_OK. */
static size_t hook_error(uint8_t* buf, size_t buf_size, int rc, const char* what) {
  struct text t;
  uint8_t message[96];
  uint32_t code = SVSM_AGENT_ERROR_INTERNAL;
  const char* reason = ": internal target error";
  switch (rc) {
    case SVSM_AGENT_FAULT:
      code = SVSM_AGENT_ERROR_FAULT;
      reason = ": guest access fault";
      break;
    case SVSM_AGENT_INVALID:
      code = SVSM_AGENT_ERROR_MALFORMED;
      reason = ": invalid argument";
      break;
    case SVSM_AGENT_UNSUPPORTED:
      code = SVSM_AGENT_ERROR_UNSUPPORTED;
      reason = ": unsupported by the target";
      break;
    default:
      break;
  }
  t.p = message;
  t.cap = sizeof(message) - 1u;
  t.len = 0;
  t.overflow = 0;
  put_str(&t, what);
  put_str(&t, reason);
  message[t.len] = 0;
  return svsm_agent_error_frame(buf, buf_size, code, (const char*)message);
}

/* ---- Request handlers: payload at buf + 5, payload_len bytes; answer in place ---------- */

static size_t malformed(uint8_t* buf, size_t buf_size, const char* message) {
  return svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_MALFORMED, message);
}

static size_t unsupported(uint8_t* buf, size_t buf_size, const char* message) {
  return svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_UNSUPPORTED, message);
}

static size_t do_hello(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                       size_t payload_len) {
  const struct svsm_agent_hello* h;
  struct text t;
  if (payload_len != 4u)
    return malformed(buf, buf_size, "HELLO: payload must be a u32 wire version");
  if (load_u32(buf + FRAME_HEADER) < SVSM_AGENT_WIRE_VERSION) {
    return unsupported(buf, buf_size, "HELLO: the agent speaks wire version 1 only");
  }
  h = agent->get_hello != NULL ? agent->get_hello(agent->ctx) : agent->hello;
  if (h == NULL) {
    return svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_INTERNAL,
                                  "HELLO: no target facts");
  }
  t.p = buf + FRAME_HEADER;
  t.cap = buf_size - FRAME_HEADER;
  t.len = 0;
  t.overflow = 0;
  put_hello_json(&t, agent, h);
  if (t.overflow) {
    return svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_INTERNAL,
                                  "HELLO: the answer does not fit the agent's frame buffer");
  }
  return ok_frame(buf, SVSM_AGENT_MSG_HELLO, t.len);
}

static size_t do_reset(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                       size_t payload_len) {
  int rc;
  if (payload_len != 0u) return malformed(buf, buf_size, "RESET: payload must be empty");
  if (agent->reset == NULL) return unsupported(buf, buf_size, "RESET: no capability reset");
  rc = agent->reset(agent->ctx);
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, "RESET");
  return ok_frame(buf, SVSM_AGENT_MSG_RESET, 0);
}

static size_t do_read(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                      size_t payload_len) {
  uint64_t gpa;
  uint32_t size;
  int rc;
  if (payload_len != 12u)
    return malformed(buf, buf_size, "READ: payload must be u64 gPA, u32 size");
  gpa = load_u64(buf + FRAME_HEADER);
  size = load_u32(buf + FRAME_HEADER + 8u);
  if (size > SVSM_AGENT_ACCESS_MAX) return malformed(buf, buf_size, "READ: size above 1 MiB");
  if ((size_t)size > buf_size - FRAME_HEADER) {
    return svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_INTERNAL,
                                  "READ: size above the agent's frame buffer");
  }
  if (agent->mem_read == NULL) return unsupported(buf, buf_size, "READ: no memory access hook");
  rc = agent->mem_read(agent->ctx, gpa, buf + FRAME_HEADER, size);
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, "READ");
  return ok_frame(buf, SVSM_AGENT_MSG_READ, size);
}

static size_t do_write(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                       size_t payload_len) {
  uint64_t gpa;
  size_t size;
  int rc;
  if (payload_len < 8u)
    return malformed(buf, buf_size, "WRITE: payload must be u64 gPA, then bytes");
  size = payload_len - 8u;
  if (size > SVSM_AGENT_ACCESS_MAX) return malformed(buf, buf_size, "WRITE: more than 1 MiB");
  gpa = load_u64(buf + FRAME_HEADER);
  if (agent->mem_write == NULL) return unsupported(buf, buf_size, "WRITE: no memory access hook");
  rc = agent->mem_write(agent->ctx, gpa, buf + FRAME_HEADER + 8u, (uint32_t)size);
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, "WRITE");
  return ok_frame(buf, SVSM_AGENT_MSG_WRITE, 0);
}

/* CALL (with_pending 0) and CALL_WITH_PENDING (with_pending 1: a u8 CALL_PENDING value
 * after the vCPU index); both answer the same reply. */
static size_t do_call(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                      size_t payload_len, int with_pending) {
  const uint8_t* p = buf + FRAME_HEADER;
  uint8_t* out = buf + FRAME_HEADER;
  const uint8_t message = with_pending ? SVSM_AGENT_MSG_CALL_WITH_PENDING : SVSM_AGENT_MSG_CALL;
  struct svsm_agent_regs in;
  struct svsm_agent_call_result result;
  uint32_t vcpu;
  uint8_t call_pending = 1;
  int rc;
  if (payload_len != (with_pending ? 45u : 44u)) {
    return malformed(buf, buf_size,
                     with_pending ? "CALL_WITH_PENDING: payload must be u32 vCPU, u8 CALL_PENDING, "
                                    "u64 RAX, RCX, RDX, R8, R9"
                                  : "CALL: payload must be u32 vCPU, u64 RAX, RCX, RDX, R8, R9");
  }
  vcpu = load_u32(p);
  if (with_pending) {
    call_pending = p[4];
    p += 1;
  }
  in.rax = load_u64(p + 4);
  in.rcx = load_u64(p + 12);
  in.rdx = load_u64(p + 20);
  in.r8 = load_u64(p + 28);
  in.r9 = load_u64(p + 36);
  if (!with_pending && agent->call == NULL) return unsupported(buf, buf_size, "CALL: no call hook");
  if (with_pending && agent->call_with_pending == NULL) {
    return unsupported(buf, buf_size, "CALL_WITH_PENDING: no capability call-pending-value");
  }
  result.outcome = SVSM_AGENT_CALL_COMPLETED;
  copy_regs(&result.regs, &in);
  result.call_pending_after = 0;
  rc = with_pending ? agent->call_with_pending(agent->ctx, vcpu, call_pending, &in, &result)
                    : agent->call(agent->ctx, vcpu, &in, &result);
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, with_pending ? "CALL_WITH_PENDING" : "CALL");
  if (result.outcome > SVSM_AGENT_CALL_GUEST_FAULT) {
    return svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_INTERNAL,
                                  "CALL: the call hook returned an unknown outcome");
  }
  if (result.outcome != SVSM_AGENT_CALL_COMPLETED) {
    /* The call did not complete: the guest's registers are still its inputs. */
    copy_regs(&result.regs, &in);
    result.call_pending_after = 0;
  }
  store_u32(out, result.outcome);
  store_u64(out + 4, result.regs.rax);
  store_u64(out + 12, result.regs.rcx);
  store_u64(out + 20, result.regs.rdx);
  store_u64(out + 28, result.regs.r8);
  store_u64(out + 36, result.regs.r9);
  out[44] = result.call_pending_after;
  return ok_frame(buf, message, 45u);
}

static size_t do_page_state(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                            size_t payload_len) {
  struct svsm_agent_page_state state;
  uint8_t* out = buf + FRAME_HEADER;
  int rc;
  if (payload_len != 8u) return malformed(buf, buf_size, "PAGE_STATE: payload must be u64 gPA");
  if (agent->page_state == NULL) {
    return unsupported(buf, buf_size, "PAGE_STATE: no capability page-state");
  }
  state.validated = 0;
  state.validated_2m = 0;
  state.vmsa = 0;
  state.perms[0] = state.perms[1] = state.perms[2] = 0;
  rc = agent->page_state(agent->ctx, load_u64(buf + FRAME_HEADER), &state);
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, "PAGE_STATE");
  out[0] = state.validated;
  out[1] = state.validated_2m;
  out[2] = state.vmsa;
  out[3] = state.perms[0];
  out[4] = state.perms[1];
  out[5] = state.perms[2];
  return ok_frame(buf, SVSM_AGENT_MSG_PAGE_STATE, 6u);
}

static size_t do_set_running(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                             size_t payload_len) {
  uint8_t running;
  int rc;
  if (payload_len != 5u) {
    return malformed(buf, buf_size, "SET_RUNNING: payload must be u32 vCPU, u8 running");
  }
  running = buf[FRAME_HEADER + 4u];
  if (running > 1u) return malformed(buf, buf_size, "SET_RUNNING: running must be 0 or 1");
  if (agent->set_running == NULL) {
    return unsupported(buf, buf_size, "SET_RUNNING: no capability vcpu-control");
  }
  rc = agent->set_running(agent->ctx, load_u32(buf + FRAME_HEADER), running);
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, "SET_RUNNING");
  return ok_frame(buf, SVSM_AGENT_MSG_SET_RUNNING, 0);
}

static size_t do_inject(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                        size_t payload_len) {
  const uint8_t* p = buf + FRAME_HEADER;
  uint32_t kind;
  int rc;
  if (payload_len < 4u) return malformed(buf, buf_size, "INJECT: payload must start with u32 kind");
  kind = load_u32(p);
  if (kind == SVSM_AGENT_INJECT_PVALIDATE_RESULT) {
    if (payload_len != 12u) {
      return malformed(buf, buf_size, "INJECT pvalidate-result: payload must be u32 kind, skip, eax");
    }
    if (agent->inject_pvalidate_result == NULL) {
      return unsupported(buf, buf_size, "INJECT: no capability inject-pvalidate-result");
    }
    rc = agent->inject_pvalidate_result(agent->ctx, load_u32(p + 4), load_u32(p + 8));
  } else if (kind == SVSM_AGENT_INJECT_RACING_WRITE) {
    uint64_t gpa;
    size_t size;
    if (payload_len < 13u || payload_len - 12u > 4096u) {
      return malformed(buf, buf_size, "INJECT racing-write: payload must be u32 kind, u64 gPA, 1-4096 bytes");
    }
    gpa = load_u64(p + 4);
    size = payload_len - 12u;
    if ((gpa & 0xFFFu) + size > 0x1000u) {
      return malformed(buf, buf_size, "INJECT racing-write: the bytes cross a 4 KiB page");
    }
    if (agent->inject_racing_write == NULL) {
      return unsupported(buf, buf_size, "INJECT: no capability inject-racing-write");
    }
    rc = agent->inject_racing_write(agent->ctx, gpa, p + 12, (uint32_t)size);
  } else {
    return malformed(buf, buf_size, "INJECT: kind must be 1 or 2");
  }
  if (rc != SVSM_AGENT_OK) return hook_error(buf, buf_size, rc, "INJECT");
  return ok_frame(buf, SVSM_AGENT_MSG_INJECT, 0);
}

int svsm_agent_handle_frame(const struct svsm_agent* agent, uint8_t* buf, size_t buf_size,
                            size_t frame_len, size_t* resp_len) {
  size_t payload_len;
  uint8_t type;
  size_t n;
  if (agent == NULL || buf == NULL || resp_len == NULL || buf_size < SVSM_AGENT_MIN_BUFFER_SIZE ||
      frame_len > buf_size) {
    return SVSM_AGENT_FRAME_BAD_SETUP;
  }
  if (frame_len < FRAME_HEADER || load_u32(buf) != frame_len - 4u ||
      frame_len - 4u > SVSM_AGENT_FRAME_MAX) {
    *resp_len = malformed(buf, buf_size, "frame length prefix disagrees with the frame");
    return SVSM_AGENT_FRAME_CONTINUE;
  }
  type = buf[4];
  payload_len = frame_len - FRAME_HEADER;
  switch (type) {
    case SVSM_AGENT_MSG_HELLO:
      n = do_hello(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_RESET:
      n = do_reset(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_READ:
      n = do_read(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_WRITE:
      n = do_write(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_CALL:
      n = do_call(agent, buf, buf_size, payload_len, 0);
      break;
    case SVSM_AGENT_MSG_CALL_WITH_PENDING:
      n = do_call(agent, buf, buf_size, payload_len, 1);
      break;
    case SVSM_AGENT_MSG_PAGE_STATE:
      n = do_page_state(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_SET_RUNNING:
      n = do_set_running(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_INJECT:
      n = do_inject(agent, buf, buf_size, payload_len);
      break;
    case SVSM_AGENT_MSG_BYE:
      if (payload_len != 0u) {
        n = malformed(buf, buf_size, "BYE: payload must be empty");
        break;
      }
      *resp_len = ok_frame(buf, SVSM_AGENT_MSG_BYE, 0);
      return SVSM_AGENT_FRAME_BYE;
    default:
      n = svsm_agent_error_frame(buf, buf_size, SVSM_AGENT_ERROR_UNKNOWN_MESSAGE,
                                 "unknown message type");
      break;
  }
  *resp_len = n;
  return SVSM_AGENT_FRAME_CONTINUE;
}

/* ---- The request loop ------------------------------------------------------------------ */

/* Reads exactly len bytes. 1: end of stream before any byte; 0: done; -1: error or end of
 * stream after some bytes. */
static int read_exact(const struct svsm_agent_channel* ch, uint8_t* buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    const ptrdiff_t n = ch->read(ch->ctx, buf + got, len - got);
    if (n == 0) return got == 0 ? 1 : -1;
    if (n < 0 || (size_t)n > len - got) return -1;
    got += (size_t)n;
  }
  return 0;
}

static int write_all(const struct svsm_agent_channel* ch, const uint8_t* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    const ptrdiff_t n = ch->write(ch->ctx, buf + done, len - done);
    if (n <= 0 || (size_t)n > len - done) return -1;
    done += (size_t)n;
  }
  return 0;
}

int svsm_agent_serve(const struct svsm_agent* agent) {
  const struct svsm_agent_channel* ch;
  uint8_t* buf;
  size_t buf_size;
  if (agent == NULL || agent->channel.read == NULL || agent->channel.write == NULL ||
      agent->frame_buf == NULL || agent->frame_buf_size < SVSM_AGENT_MIN_BUFFER_SIZE) {
    return SVSM_AGENT_SERVE_BAD_SETUP;
  }
  ch = &agent->channel;
  buf = agent->frame_buf;
  buf_size = agent->frame_buf_size;
  for (;;) {
    uint32_t len;
    size_t resp_len = 0;
    int rc = read_exact(ch, buf, 4u);
    if (rc != 0) return rc > 0 ? SVSM_AGENT_SERVE_EOF : SVSM_AGENT_SERVE_IO_ERROR;
    len = load_u32(buf);
    if (len == 0u || len > SVSM_AGENT_FRAME_MAX) return SVSM_AGENT_SERVE_BAD_FRAME;
    if ((size_t)len > buf_size - 4u) {
      /* Too long for this agent's buffer: drain it and refuse it. */
      size_t left = len;
      while (left != 0u) {
        const size_t chunk = left < buf_size ? left : buf_size;
        if (read_exact(ch, buf, chunk) != 0) return SVSM_AGENT_SERVE_IO_ERROR;
        left -= chunk;
      }
      resp_len = malformed(buf, buf_size, "frame longer than the agent's frame buffer");
    } else {
      if (read_exact(ch, buf + 4u, len) != 0) return SVSM_AGENT_SERVE_IO_ERROR;
      rc = svsm_agent_handle_frame(agent, buf, buf_size, 4u + (size_t)len, &resp_len);
      if (rc < 0) return SVSM_AGENT_SERVE_BAD_SETUP;
      if (rc == SVSM_AGENT_FRAME_BYE) {
        return write_all(ch, buf, resp_len) == 0 ? SVSM_AGENT_SERVE_BYE : SVSM_AGENT_SERVE_IO_ERROR;
      }
    }
    if (write_all(ch, buf, resp_len) != 0) return SVSM_AGENT_SERVE_IO_ERROR;
  }
}

/* ---- Guest calling sequence helper ----------------------------------------------------- */

static uint8_t exchange_call_pending(volatile struct svsm_caa* caa) {
#if defined(__GNUC__) || defined(__clang__)
  return __atomic_exchange_n(&caa->call_pending, (uint8_t)0, __ATOMIC_SEQ_CST);
#else
  /* No atomic exchange available: read then clear (the SVSM runs only during VMGEXIT). */
  const uint8_t old = caa->call_pending;
  caa->call_pending = 0;
  return old;
#endif
}

void svsm_agent_guest_call_pending(volatile struct svsm_caa* caa,
                                   void (*vmgexit)(void* vmgexit_ctx, struct svsm_agent_regs* regs),
                                   void* vmgexit_ctx, uint8_t call_pending,
                                   const struct svsm_agent_regs* in,
                                   struct svsm_agent_call_result* out) {
  out->outcome = SVSM_AGENT_CALL_COMPLETED;
  copy_regs(&out->regs, in);
  caa->call_pending = call_pending;
  vmgexit(vmgexit_ctx, &out->regs);
  out->call_pending_after = exchange_call_pending(caa);
}

void svsm_agent_guest_call(volatile struct svsm_caa* caa,
                           void (*vmgexit)(void* vmgexit_ctx, struct svsm_agent_regs* regs),
                           void* vmgexit_ctx, const struct svsm_agent_regs* in,
                           struct svsm_agent_call_result* out) {
  svsm_agent_guest_call_pending(caa, vmgexit, vmgexit_ctx, 1, in, out);
}
