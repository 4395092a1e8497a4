// Hand-written runtime of the generated C++ codecs (svsm_spec_codecs.h, made by
// GenerateCppCodecs / `svsm-spec gen --lang cpp`). Used by the reference SVSM and the
// conformance runner.
//
// Two layers:
//   * The RAW layer never validates. A bitfield's Pack() and a structure's Encode() write
//     whatever the members hold: reserved and must-be-zero bits, out-of-range enum values,
//     a count field that disagrees with the length of the variable part. Tests and test
//     vectors use it to build deliberately invalid encodings. Unpack() keeps every bit.
//   * The CHECKED layer (Decode, and a request's Decode from registers plus guest memory)
//     validates lengths and every decode-time constraint of the spec (mbz fields and bits,
//     enum membership, array counts, field alignment, page crossing, address wrap) and
//     names, in CodecError::rule_id, the rule whose `enforces` covers the failed check.
//     Reserved-but-not-mbz bytes and bits are kept verbatim, so for a successful decode
//     Encode(Decode(x)) == x byte for byte.
//
// Nothing here throws (FromJson catches JSON exceptions) and no decoder has undefined
// behaviour on any input: every length, shift and address computation is checked.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <compare>
#include <exception>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace svsm_spec::codec {

// Why a decode failed. `rule_id` is the id of the rule whose `enforces` covers the failed
// check in the context the decoder ran in (empty when no rule does: a length problem, or a
// constraint no rule enforces there). `field` is a path such as
// "pvalidate_list.entry[3].reserved", "rcx" or "rcx.reserved" ("*" names the bits of a
// bitfield that no field covers).
struct CodecError {
  std::string rule_id;
  std::string field;
  std::string message;

  std::string ToString() const {
    std::string s = field.empty() ? message : field + ": " + message;
    if (!rule_id.empty()) s += " [" + rule_id + "]";
    return s;
  }
};

// A value or a CodecError. No exceptions: value() on an error (or error() on a value)
// aborts, so check ok() first.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}           // NOLINT: implicit
  Result(CodecError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    if (!ok()) std::abort();
    return *std::get_if<0>(&v_);
  }
  T& value() & {
    if (!ok()) std::abort();
    return *std::get_if<0>(&v_);
  }
  T&& value() && {
    if (!ok()) std::abort();
    return std::move(*std::get_if<0>(&v_));
  }
  const CodecError& error() const {
    if (ok()) std::abort();
    return *std::get_if<1>(&v_);
  }

 private:
  std::variant<T, CodecError> v_;
};

// The guest registers of one SVSM call (RAX in: protocol << 32 | call id; out: result).
struct RegisterSet {
  uint64_t rax = 0, rcx = 0, rdx = 0, r8 = 0, r9 = 0;
  bool operator==(const RegisterSet&) const = default;
};

// Guest memory as seen by a decoder. Read fills `out` from guest physical address `gpa`
// and returns false when any byte of the range is not accessible. `gpa + out.size()` never
// wraps (callers check).
class GuestMemory {
 public:
  virtual ~GuestMemory() = default;
  virtual bool Read(uint64_t gpa, std::span<uint8_t> out) const = 0;
};

// Bytes a request places in guest memory (the structure a register points to).
struct MemoryImage {
  uint64_t gpa = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const MemoryImage&) const = default;
};

// Upper bound on what a request decoder reads through one pointer when the spec gives
// neither a max_size nor within_page for the structure.
inline constexpr uint64_t kMaxGuestRead = 1u << 20;
inline constexpr uint64_t kPageSize = 4096;

// ---------------------------------------------------------------------------------------
// Checked arithmetic

// a + b, or false when it wraps.
inline bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) {
  if (a > std::numeric_limits<uint64_t>::max() - b) return false;
  *out = a + b;
  return true;
}

// a * b, or false when it wraps.
inline bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

// The `size` bytes starting at `address` do not wrap around the address space
// (address + size - 1 <= 2^64 - 1). Size 0 never wraps.
inline bool RangeFits(uint64_t address, uint64_t size) {
  return size == 0 || address <= std::numeric_limits<uint64_t>::max() - (size - 1);
}

// `size` bytes at `address` stay inside one 4 KiB page.
inline bool WithinPage(uint64_t address, uint64_t size) {
  return size <= kPageSize && (address & (kPageSize - 1)) + size <= kPageSize;
}

// value << shift, or false when bits would be lost.
inline bool CheckedShl(uint64_t value, unsigned shift, uint64_t* out) {
  if (shift >= 64) {
    if (value != 0) return false;
    *out = 0;
    return true;
  }
  if (shift != 0 && (value >> (64 - shift)) != 0) return false;
  *out = value << shift;
  return true;
}

// The mask of the low `bits` bits (bits may be 0..64).
constexpr uint64_t LowMask(unsigned bits) {
  return bits >= 64 ? ~uint64_t{0} : ((uint64_t{1} << bits) - 1);
}

// ---------------------------------------------------------------------------------------
// Loads and stores. Callers have checked that [offset, offset + n) lies inside the span;
// n is 1..8.

// The widths 2, 4 and 8 (constants at every generated call site) are one memcpy on a
// little-endian host, which compilers turn into a single unaligned load or store; the byte
// loops below are what GCC otherwise keeps as byte loads, shifts and ors.
template <class U>
inline U LoadNative(std::span<const uint8_t> b, size_t offset) {
  U v;
  std::memcpy(&v, b.data() + offset, sizeof v);
  return v;
}

template <class U>
inline void StoreNative(std::span<uint8_t> b, size_t offset, U v) {
  std::memcpy(b.data() + offset, &v, sizeof v);
}

inline uint64_t LoadLe(std::span<const uint8_t> b, size_t offset, size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    if (n == 8) return LoadNative<uint64_t>(b, offset);
    if (n == 4) return LoadNative<uint32_t>(b, offset);
    if (n == 2) return LoadNative<uint16_t>(b, offset);
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{b[offset + i]} << (8 * i);
  return v;
}

inline uint64_t LoadBe(std::span<const uint8_t> b, size_t offset, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | uint64_t{b[offset + i]};
  return v;
}

inline void StoreLe(std::span<uint8_t> b, size_t offset, size_t n, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    if (n == 8) return StoreNative<uint64_t>(b, offset, v);
    if (n == 4) return StoreNative<uint32_t>(b, offset, static_cast<uint32_t>(v));
    if (n == 2) return StoreNative<uint16_t>(b, offset, static_cast<uint16_t>(v));
  }
  for (size_t i = 0; i < n; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void StoreBe(std::span<uint8_t> b, size_t offset, size_t n, uint64_t v) {
  for (size_t i = 0; i < n; ++i) b[offset + n - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
}

template <size_t N>
std::array<uint8_t, N> LoadArray(std::span<const uint8_t> b, size_t offset) {
  std::array<uint8_t, N> a{};
  if constexpr (N != 0) std::memcpy(a.data(), b.data() + offset, N);
  return a;
}

// As LoadArray, into an existing array.
template <size_t N>
void LoadArrayInto(std::array<uint8_t, N>& a, std::span<const uint8_t> b, size_t offset) {
  if constexpr (N != 0) std::memcpy(a.data(), b.data() + offset, N);
}

template <size_t N>
void StoreArray(std::span<uint8_t> b, size_t offset, const std::array<uint8_t, N>& a) {
  if constexpr (N != 0) std::memcpy(b.data() + offset, a.data(), N);
}

// Whether the N bytes at `p` are all zero: OR of 8-byte (then 4, 2, 1) word loads, not a
// byte loop (GCC keeps the byte loop as N compares and branches).
template <size_t N>
inline bool AllZeroBytes(const uint8_t* p) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= N; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  if constexpr (N % 8 >= 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    acc |= w;
    i += 4;
  }
  if constexpr (N % 4 >= 2) {
    uint16_t w;
    std::memcpy(&w, p + i, 2);
    acc |= w;
    i += 2;
  }
  if constexpr (N % 2 == 1) acc |= p[i];
  return acc == 0;
}

// A byte array of at most 16 bytes held in two words. The fast path of a generated decode
// reads every small input field into locals before it writes any output member: a store
// to the output may alias the input (both are bytes), so a load after it cannot be moved
// ahead of it or merged with an earlier one, and an interleaved store/load pair whose
// addresses agree in their low 12 bits stalls the load (4K aliasing) on x86.
template <size_t N>
struct HeldBytes {
  static_assert(N <= 16, "HeldBytes holds at most two words");
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool IsZero() const { return (lo | hi) == 0; }
};

namespace detail {
// The N <= 8 bytes at `p` as one word: pieces of 8, else 4, 2 and 1 bytes. StoreWord
// writes them back with the same pieces, so the byte order inside the word does not matter.
template <size_t N>
inline uint64_t LoadWord(const uint8_t* p) {
  static_assert(N <= 8);
  uint64_t v = 0;
  if constexpr (N == 8) {
    std::memcpy(&v, p, 8);
  } else {
    size_t i = 0;
    if constexpr (N >= 4) {
      uint32_t w;
      std::memcpy(&w, p, 4);
      v = w;
      i = 4;
    }
    if constexpr (N % 4 >= 2) {
      uint16_t w;
      std::memcpy(&w, p + i, 2);
      v |= uint64_t{w} << (8 * i);
      i += 2;
    }
    if constexpr (N % 2 == 1) v |= uint64_t{p[i]} << (8 * i);
  }
  return v;
}

template <size_t N>
inline void StoreWord(uint8_t* p, uint64_t v) {
  static_assert(N <= 8);
  if constexpr (N == 8) {
    std::memcpy(p, &v, 8);
  } else {
    size_t i = 0;
    if constexpr (N >= 4) {
      const uint32_t w = static_cast<uint32_t>(v);
      std::memcpy(p, &w, 4);
      i = 4;
    }
    if constexpr (N % 4 >= 2) {
      const uint16_t w = static_cast<uint16_t>(v >> (8 * i));
      std::memcpy(p + i, &w, 2);
      i += 2;
    }
    if constexpr (N % 2 == 1) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
}  // namespace detail

template <size_t N>
inline HeldBytes<N> LoadHeldBytes(std::span<const uint8_t> b, size_t offset) {
  HeldBytes<N> h;
  const uint8_t* p = b.data() + offset;
  if constexpr (N <= 8) {
    h.lo = detail::LoadWord<N>(p);
  } else {
    h.lo = detail::LoadWord<8>(p);
    h.hi = detail::LoadWord<N - 8>(p + 8);
  }
  return h;
}

template <size_t N>
inline void StoreHeldBytes(std::array<uint8_t, N>& a, const HeldBytes<N>& h) {
  if constexpr (N == 0) {
    return;
  } else if constexpr (N <= 8) {
    detail::StoreWord<N>(a.data(), h.lo);
  } else {
    detail::StoreWord<8>(a.data(), h.lo);
    detail::StoreWord<N - 8>(a.data() + 8, h.hi);
  }
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& a) {
  if constexpr (N == 0) {
    return true;
  } else {
    return AllZeroBytes<N>(a.data());
  }
}

// Fills `out` with the n values make(0) .. make(n - 1): one allocation (none when the
// capacity suffices), no zero-fill and no per-element capacity check, unlike a
// reserve + push_back loop (whose stores may alias the vector's own pointers, so they are
// reloaded per element) or resize (which zero-fills what is then overwritten). The fast
// paths of the generated decoders fill variable arrays with it after validating them.
template <class T, class F>
class GeneratingIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using pointer = const T*;
  using reference = T;

  GeneratingIterator() = default;
  GeneratingIterator(const F* make, size_t i) : make_(make), i_(i) {}

  T operator*() const { return (*make_)(i_); }
  T operator[](difference_type d) const { return (*make_)(i_ + static_cast<size_t>(d)); }
  GeneratingIterator& operator++() {
    ++i_;
    return *this;
  }
  GeneratingIterator operator++(int) {
    GeneratingIterator t = *this;
    ++i_;
    return t;
  }
  GeneratingIterator& operator--() {
    --i_;
    return *this;
  }
  GeneratingIterator operator--(int) {
    GeneratingIterator t = *this;
    --i_;
    return t;
  }
  GeneratingIterator& operator+=(difference_type d) {
    i_ += static_cast<size_t>(d);
    return *this;
  }
  GeneratingIterator& operator-=(difference_type d) {
    i_ -= static_cast<size_t>(d);
    return *this;
  }
  friend GeneratingIterator operator+(GeneratingIterator a, difference_type d) { return a += d; }
  friend GeneratingIterator operator+(difference_type d, GeneratingIterator a) { return a += d; }
  friend GeneratingIterator operator-(GeneratingIterator a, difference_type d) { return a -= d; }
  friend difference_type operator-(const GeneratingIterator& a, const GeneratingIterator& b) {
    return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
  }
  friend bool operator==(const GeneratingIterator& a, const GeneratingIterator& b) {
    return a.i_ == b.i_;
  }
  friend auto operator<=>(const GeneratingIterator& a, const GeneratingIterator& b) {
    return a.i_ <=> b.i_;
  }

 private:
  const F* make_ = nullptr;
  size_t i_ = 0;
};

template <class T, class F>
void AssignGenerated(std::vector<T>& out, size_t n, const F& make) {
  out.assign(GeneratingIterator<T, F>(&make, 0), GeneratingIterator<T, F>(&make, n));
}

// Reads `size` bytes of guest memory at `gpa` (false when the range wraps, exceeds
// kMaxGuestRead, or is not accessible).
inline bool ReadGuest(const GuestMemory& memory, uint64_t gpa, uint64_t size,
                      std::vector<uint8_t>* out) {
  if (!RangeFits(gpa, size) || size > kMaxGuestRead) return false;
  out->assign(static_cast<size_t>(size), 0);
  if (size == 0) return true;
  return memory.Read(gpa, std::span<uint8_t>(out->data(), out->size()));
}

// As ReadGuest, into the caller's buffer `out` (all of it), with no allocation.
inline bool ReadGuest(const GuestMemory& memory, uint64_t gpa, std::span<uint8_t> out) {
  const uint64_t size = out.size();
  if (!RangeFits(gpa, size) || size > kMaxGuestRead) return false;
  if (size == 0) return true;
  return memory.Read(gpa, out);
}

// ---------------------------------------------------------------------------------------
// Errors

// Both are called only on the error path; `cold` keeps the paths that build errors out of
// the decoders' straight-line code.
[[gnu::cold]] inline CodecError MakeError(const char* rule_id, std::string field,
                                          std::string message) {
  return CodecError{rule_id ? rule_id : "", std::move(field), std::move(message)};
}

// Runs `make` (which returns the CodecError of a failed check) in a cold function of its
// own: the generated request decoders, inlined into both DecodeInto and Decode, return
// their errors through it so that the building of error messages stays out of line.
template <class F>
[[gnu::cold, gnu::noinline]] std::optional<CodecError> ColdError(F&& make) {
  return make();
}

// Prepends `prefix` to the error's field path ("entry[3]" + "reserved").
[[gnu::cold]] inline CodecError Prefixed(CodecError e, const std::string& prefix) {
  if (e.field.empty()) {
    e.field = prefix;
  } else if (!prefix.empty()) {
    e.field = prefix + (e.field[0] == '[' ? "" : ".") + e.field;
  }
  return e;
}

inline std::string HexU64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---------------------------------------------------------------------------------------
// JSON helpers (never throw). Integers of up to 32 bits are JSON numbers, 64-bit values
// "0x..." hex strings; FromJson accepts either form for any integer. Byte arrays are
// lower-case hex strings without a prefix; GUIDs their canonical text form.

using Json = nlohmann::ordered_json;

inline Json U64Json(uint64_t v) {
  return Json(HexU64(v));
}

inline bool ParseHexDigit(char c, unsigned* out) {
  if (c >= '0' && c <= '9') {
    *out = static_cast<unsigned>(c - '0');
  } else if (c >= 'a' && c <= 'f') {
    *out = static_cast<unsigned>(c - 'a' + 10);
  } else if (c >= 'A' && c <= 'F') {
    *out = static_cast<unsigned>(c - 'A' + 10);
  } else {
    return false;
  }
  return true;
}

// An unsigned integer from a JSON number or a "0x..." / decimal string, at most `max`.
inline bool JsonToUint(const Json& j, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  if (j.is_number_unsigned()) {
    v = j.get<uint64_t>();
  } else if (j.is_number_integer()) {
    const int64_t s = j.get<int64_t>();
    if (s < 0) return false;
    v = static_cast<uint64_t>(s);
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      if (s.size() > 18) return false;
      for (size_t i = 2; i < s.size(); ++i) {
        unsigned d = 0;
        if (!ParseHexDigit(s[i], &d)) return false;
        v = (v << 4) | d;
      }
    } else {
      if (s.empty() || s.size() > 20) return false;
      for (char c : s) {
        if (c < '0' || c > '9') return false;
        const uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
        v = v * 10 + d;
      }
    }
  } else {
    return false;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

inline std::string HexBytes(std::span<const uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xf];
  }
  return s;
}

inline bool ParseHexBytes(std::string_view s, std::vector<uint8_t>* out) {
  if (s.size() % 2 != 0) return false;
  out->clear();
  out->reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    unsigned hi = 0, lo = 0;
    if (!ParseHexDigit(s[i], &hi) || !ParseHexDigit(s[i + 1], &lo)) return false;
    out->push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

inline bool JsonToBytes(const Json& j, std::vector<uint8_t>* out) {
  return j.is_string() && ParseHexBytes(j.get_ref<const std::string&>(), out);
}

template <size_t N>
bool JsonToArray(const Json& j, std::array<uint8_t, N>* out) {
  std::vector<uint8_t> v;
  if (!JsonToBytes(j, &v) || v.size() != N) return false;
  for (size_t i = 0; i < N; ++i) (*out)[i] = v[i];
  return true;
}

// The 16 wire bytes of a GUID (mixed-endian, EFI order) as canonical text.
inline std::string GuidToString(const std::array<uint8_t, 16>& g) {
  static const int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += HexBytes(std::span<const uint8_t>(&g[kOrder[i]], 1));
  }
  return s;
}

inline bool GuidFromString(std::string_view s, std::array<uint8_t, 16>* out) {
  static const int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  std::string hex;
  for (char c : s) {
    if (c != '-') hex += c;
  }
  std::vector<uint8_t> text;
  if (hex.size() != 32 || !ParseHexBytes(hex, &text)) return false;
  for (int i = 0; i < 16; ++i) (*out)[kOrder[i]] = text[i];
  return true;
}

inline bool JsonToGuid(const Json& j, std::array<uint8_t, 16>* out) {
  return j.is_string() && GuidFromString(j.get_ref<const std::string&>(), out);
}

inline CodecError JsonError(const std::string& field, const std::string& message) {
  return CodecError{"", field, message};
}

// The member `key` of object `j`, or null when it is absent.
inline const Json* JsonMember(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// ---------------------------------------------------------------------------------------
// Generic entry points over the generated types (which carry the real implementations as
// members): ToJson(x), FromJson<T>(j), DecodeRequest<T>(regs, memory),
// DecodeResponse<T>(regs).

template <class T>
auto ToJson(const T& value) -> decltype(value.ToJson()) {
  return value.ToJson();
}

template <class T>
Result<T> FromJson(const Json& j) {
  return T::FromJson(j);
}

template <class T>
Result<T> DecodeRequest(const RegisterSet& regs, const GuestMemory& memory) {
  return T::Decode(regs, memory);
}

template <class T>
T DecodeResponse(const RegisterSet& regs) {
  return T::Decode(regs);
}

}  // namespace svsm_spec::codec
