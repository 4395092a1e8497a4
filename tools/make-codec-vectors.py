#!/usr/bin/env python3
"""Writes the codec test vectors vectors/codec/*.json (format svsm-spec-codec-vectors/1).

The expected bytes and register values are computed here with struct.pack from offsets,
sizes and bit positions typed by hand from shared/reference/svsm-protocol-facts.md (the
section is named next to each layout). Nothing is read from spec/*.yaml or from the
generated code, so the vectors are an independent cross-check of the C header, the Rust
module and the C++ codecs. Only the names of fields, bitfields and calls follow the spec.

Usage: make-codec-vectors.py [--out DIR]      write the files (default: vectors/codec)
       make-codec-vectors.py --check [--out DIR]   exit 1 when a committed file differs
Python 3 standard library only.
"""

import argparse
import json
import os
import struct
import sys
import uuid

FORMAT = "svsm-spec-codec-vectors/1"
SPEC_REVISION = "0.1.0"
PAGE = 0x1000
CAA = 0x7F000000  # an example Calling Area gPA (4 KiB aligned)

NOTES = {
    "boundary": "A limit value: a maximum count, all-ones in every settable bit, the last entry of a page.",
    "all-ones": "Every field that may hold any value is all-ones (mbz fields stay zero).",
    "max-count": "The largest element count the layout allows at the given place.",
    "page-end": "The structure ends exactly at the end of a 4 KiB page.",
    "crosses-page": "The structure would cross a 4 KiB page boundary at the given address.",
    "mbz": "A must-be-zero field or bit is set; mbz_check names what the C _MBZ_MASK / Rust mbz_ok() test.",
    "enum": "A field holds a value outside its enumeration.",
    "alignment": "A register or field is not aligned as required.",
    "min-count": "An element count below the minimum.",
    "unmapped": "Guest memory the request points to is not accessible.",
    "draft": "The element is from a draft (not published) revision.",
    "proposed": "The element is from an open proposal.",
}

# ---------------------------------------------------------------------------------------
# Layouts (facts section in the comment). Field kinds:
#   ("u8"|"u16"|"u32"|"u64")                 little-endian integer
#   ("bytes", n)                             n raw bytes
#   ("guid",)                                16 bytes, mixed-endian (facts §6)
#   ("bf", name)                             bitfield, width from BITFIELDS
#   ("struct", name)                         nested structure
#   ("array", elem, count_field)             variable array after the header; elem is a kind
#   ("varbytes", size_field)                 variable bytes after the header

BITFIELDS = {
    # facts §7 (EFER bit 12 = SVME); other bits opaque.
    "vmsa_efer": (64, [("other_low", 11, 0), ("svme", 12, 12), ("other_high", 63, 13)], []),
    # facts §6.1 (signer info at 0x048).
    "snp_report_signer_info": (32, [("author_key_en", 0, 0), ("mask_chip_key", 1, 1),
                                    ("signing_key", 4, 2), ("reserved", 31, 5)], ["reserved"]),
    # facts §6.1 (POLICY bit 17 must be 1; bits 63:21 MBZ).
    "snp_report_policy": (64, [("other_low", 16, 0), ("reserved_one", 17, 17),
                               ("other_mid", 20, 18), ("reserved", 63, 21)], ["reserved"]),
    # facts §3.4 (CONFIGURE_VECTOR RCX).
    "apic_configure_vector": (64, [("vector", 7, 0), ("enable", 8, 8), ("all_vectors", 9, 9),
                                   ("reserved", 63, 10)], ["reserved"]),
    # facts §3.1.2 (entry u64).
    "pvalidate_entry": (64, [("page_size", 1, 0), ("action", 2, 2), ("ignore_cf", 3, 3),
                             ("reserved", 11, 4), ("pfn", 63, 12)], ["reserved"]),
    # facts §3.1.5 (DEPOSIT_MEM entry).
    "deposit_mem_entry": (64, [("page_size", 1, 0), ("reserved", 11, 2), ("pfn", 63, 12)], []),
    # facts §3.1.7.
    "query_protocol_request": (64, [("version", 31, 0), ("protocol", 63, 32)], []),
    "query_protocol_response": (64, [("min_version", 31, 0), ("max_version", 63, 32)], []),
    # facts §3.1.8 (Table 9).
    "configure_vtom_query_in": (64, [("query", 0, 0), ("reserved", 63, 1)], ["reserved"]),
    "configure_vtom_configure_in": (64, [("query", 0, 0), ("enable", 1, 1), ("set_cr3", 2, 2),
                                         ("set_rip", 3, 3), ("set_rsp", 4, 4),
                                         ("reserved", 11, 5), ("vtom", 63, 12)], ["reserved"]),
    "configure_vtom_query_out": (64, [("reserved0", 0, 0), ("supported", 1, 1),
                                      ("reserved1", 11, 2), ("alignment", 19, 12),
                                      ("reserved2", 63, 20)], []),
    # facts §4.3 (OCP RCX layouts, source flags bit 0).
    "ocp_list_sources_selector": (64, [("first_source", 31, 0), ("object", 63, 32)], []),
    "ocp_source_selector": (64, [("source", 31, 0), ("object", 63, 32)], []),
    "ocp_source_flags": (32, [("writable", 0, 0), ("reserved", 31, 1)], []),
    # facts §6 (UEFI MM manifest flags).
    "uefimm_service_manifest_flags": (32, [("nv_persisted", 0, 0), ("secure_boot_enabled", 1, 1),
                                           ("secure_boot_db_updatable", 2, 2),
                                           ("reserved", 31, 3)], []),
    # facts §3.3 (bit N = MSSIM platform command N).
    "vtpm_query_commands": (64, [(n, b, b) for n, b in [
        ("signal_power_on", 1), ("signal_power_off", 2), ("signal_phys_pres_on", 3),
        ("signal_phys_pres_off", 4), ("signal_hash_start", 5), ("signal_hash_data", 6),
        ("signal_hash_end", 7), ("send_command", 8), ("signal_cancel_on", 9),
        ("signal_cancel_off", 10), ("signal_nv_on", 11), ("signal_nv_off", 12),
        ("signal_key_cache_on", 13), ("signal_key_cache_off", 14), ("remote_handshake", 15),
        ("set_alternative_result", 16), ("signal_reset", 17), ("signal_restart", 18),
        ("session_end", 20), ("stop", 21), ("get_command_response_sizes", 25),
        ("act_get_signaled", 26), ("test_failure_mode", 30), ("set_fw_hash", 35),
        ("set_fw_svn", 36)]], []),
    # facts §1.3 (RAX = protocol << 32 | call id).
    "svsm_call_rax": (64, [("call_id", 31, 0), ("protocol", 63, 32)], []),
}

SEG = ("bytes", 16)
STRUCTS = {
    # facts §7 (Linux struct sev_es_save_area), 0x670 bytes.
    "vmsa": (0x670, [
        ("es", 0x000, SEG), ("cs", 0x010, SEG), ("ss", 0x020, SEG), ("ds", 0x030, SEG),
        ("fs", 0x040, SEG), ("gs", 0x050, SEG), ("gdtr", 0x060, SEG), ("ldtr", 0x070, SEG),
        ("idtr", 0x080, SEG), ("tr", 0x090, SEG), ("vmpl", 0x0CA, ("u8",)),
        ("cpl", 0x0CB, ("u8",)), ("efer", 0x0D0, ("bf", "vmsa_efer")),
        ("cr4", 0x148, ("u64",)), ("cr3", 0x150, ("u64",)), ("cr0", 0x158, ("u64",)),
        ("rflags", 0x170, ("u64",)), ("rip", 0x178, ("u64",)), ("rsp", 0x1D8, ("u64",)),
        ("rax", 0x1F8, ("u64",)), ("rcx", 0x308, ("u64",)), ("rdx", 0x310, ("u64",)),
        ("r8", 0x340, ("u64",)), ("r9", 0x348, ("u64",)),
        ("guest_exit_info_1", 0x390, ("u64",)), ("guest_exit_info_2", 0x398, ("u64",)),
        ("sev_features", 0x3B0, ("u64",)), ("guest_exit_code", 0x3C0, ("u64",)),
        ("virtual_tom", 0x3C8, ("u64",))]),
    # facts §6.1 (signature at 0x2A0: R 72, S 72, rest reserved).
    "snp_report_signature": (0x200, [
        ("r", 0x00, ("bytes", 72)), ("s", 0x48, ("bytes", 72)),
        ("reserved", 0x90, ("bytes", 368))]),
    # facts §6.1, 0x4A0 bytes.
    "snp_attestation_report": (0x4A0, [
        ("version", 0x000, ("u32",)), ("guest_svn", 0x004, ("u32",)),
        ("policy", 0x008, ("bf", "snp_report_policy")), ("family_id", 0x010, ("bytes", 16)),
        ("image_id", 0x020, ("bytes", 16)), ("vmpl", 0x030, ("u32",)),
        ("signature_algo", 0x034, ("u32",)),
        ("signer_info", 0x048, ("bf", "snp_report_signer_info")),
        ("report_data", 0x050, ("bytes", 64)), ("measurement", 0x090, ("bytes", 48)),
        ("host_data", 0x0C0, ("bytes", 32)), ("id_key_digest", 0x0E0, ("bytes", 48)),
        ("author_key_digest", 0x110, ("bytes", 48)), ("report_id", 0x140, ("bytes", 32)),
        ("report_id_ma", 0x160, ("bytes", 32)), ("chip_id", 0x1A0, ("bytes", 64)),
        ("signature", 0x2A0, ("struct", "snp_report_signature"))]),
    # facts §3.2 (MSG_REPORT_REQ: user_data @0, vmpl @0x40, flags @0x44, reserved[24] @0x48).
    "snp_msg_report_req": (0x60, [
        ("user_data", 0x00, ("bytes", 64)), ("vmpl", 0x40, ("u32",)), ("flags", 0x44, ("u32",)),
        ("reserved", 0x48, ("bytes", 24))]),
    # facts §3.2 (Spec Table 11).
    "attest_services_op": (0x40, [
        ("report_gpa", 0x00, ("u64",)), ("report_size", 0x08, ("u32",)),
        ("reserved_0c", 0x0C, ("bytes", 4)), ("nonce_gpa", 0x10, ("u64",)),
        ("nonce_size", 0x18, ("u16",)), ("reserved_1a", 0x1A, ("bytes", 6)),
        ("manifest_gpa", 0x20, ("u64",)), ("manifest_size", 0x28, ("u32",)),
        ("reserved_2c", 0x2C, ("bytes", 4)), ("certs_gpa", 0x30, ("u64",)),
        ("certs_size", 0x38, ("u32",)), ("reserved_3c", 0x3C, ("bytes", 4))]),
    # facts §3.2 (Spec Table 13).
    "attest_single_service_op": (0x58, [
        ("services_op", 0x00, ("struct", "attest_services_op")),
        ("service_guid", 0x40, ("guid",)), ("manifest_version", 0x50, ("u32",)),
        ("reserved_54", 0x54, ("bytes", 4))]),
    # facts §4.4 (proposal).
    "attest_single_service_ex_op": (0x68, [
        ("single_service_op", 0x00, ("struct", "attest_single_service_op")),
        ("selector_gpa", 0x58, ("u64",)), ("selector_size", 0x60, ("u32",)),
        ("reserved_64", 0x64, ("bytes", 4))]),
    "attest_ex_selector_context": (0x18, [
        ("magic", 0x00, ("u32",)), ("service_guid", 0x04, ("guid",)),
        ("manifest_version", 0x14, ("u32",))]),
    "attest_ex_vtpm_selector": (0x8, [("kind", 0x0, ("u64",))]),
    # facts §6 (Spec Table 12).
    "attest_services_manifest_entry": (0x18, [
        ("service_guid", 0x00, ("guid",)), ("data_offset", 0x10, ("u32",)),
        ("data_size", 0x14, ("u32",))]),
    "attest_services_manifest": (0x18, [
        ("header_guid", 0x00, ("guid",)), ("total_length", 0x10, ("u32",)),
        ("entry_count", 0x14, ("u32",)),
        ("entries", 0x18, ("array", ("struct", "attest_services_manifest_entry"), "entry_count"))]),
    # facts §3.1.2 (Spec Table 6).
    "pvalidate_list": (0x8, [
        ("entries", 0x0, ("u16",)), ("next", 0x2, ("u16",)), ("reserved", 0x4, ("bytes", 4)),
        ("entry", 0x8, ("array", ("bf", "pvalidate_entry"), "entries"))]),
    # facts §3.1.5 (Spec Table 7).
    "deposit_mem_list": (0x8, [
        ("entries", 0x0, ("u16",)), ("next", 0x2, ("u16",)), ("reserved", 0x4, ("bytes", 4)),
        ("entry", 0x8, ("array", ("bf", "deposit_mem_entry"), "entries"))]),
    # facts §3.1.6 (Spec Table 8).
    "withdraw_mem_area": (0x8, [
        ("count", 0x0, ("u16",)), ("unused", 0x2, ("bytes", 6)),
        ("page", 0x8, ("array", ("u64",), "count"))]),
    # facts §4.3.
    "ocp_object_details": (0xC, [
        ("object_index", 0x0, ("u32",)), ("category", 0x4, ("u32",)),
        ("source_count", 0x8, ("u32",))]),
    "ocp_source_details": (0x80, [
        ("object_index", 0x00, ("u32",)), ("source_index", 0x04, ("u32",)),
        ("type", 0x08, ("u32",)), ("flags", 0x0C, ("bf", "ocp_source_flags")),
        ("name", 0x10, ("bytes", 112))]),
    # facts §4.2 / §6.
    "reboot_service_manifest": (0x8, [("version", 0x0, ("u32",)), ("flags", 0x4, ("u32",))]),
    # facts §3.5 (EFI_MM_COMMUNICATE_HEADER: GUID, u64 length, data).
    "uefimm_communicate_header": (0x18, [
        ("header_guid", 0x00, ("guid",)), ("message_length", 0x10, ("u64",)),
        ("data", 0x18, ("varbytes", "message_length"))]),
    # facts §6.
    "uefimm_service_manifest": (0x8, [
        ("version", 0x0, ("u32",)), ("flags", 0x4, ("bf", "uefimm_service_manifest_flags"))]),
    # facts §3.3 (Spec Tables 15-17).
    "vtpm_cmd_request_header": (0x4, [("command", 0x0, ("u32",))]),
    "vtpm_cmd_response_header": (0x4, [("response_size", 0x0, ("u32",))]),
    "vtpm_send_command_req": (0x9, [
        ("command", 0x0, ("u32",)), ("locality", 0x4, ("u8",)), ("command_size", 0x5, ("u32",)),
        ("tpm_command", 0x9, ("varbytes", "command_size"))]),
    "vtpm_send_command_resp": (0x4, [
        ("response_size", 0x0, ("u32",)), ("tpm_response", 0x4, ("varbytes", "response_size"))]),
    # facts §1.2.
    "svsm_caa": (0x1000, [
        ("call_pending", 0x000, ("u8",)), ("mem_available", 0x001, ("u8",)),
        ("reserved", 0x002, ("bytes", 6)), ("buffer", 0x008, ("bytes", 4088))]),
    # facts §1.1 (Spec Table 1).
    "snp_secrets_page_svsm": (0x1000, [
        ("svsm_base", 0x140, ("u64",)), ("svsm_size", 0x148, ("u64",)),
        ("svsm_caa", 0x150, ("u64",)), ("svsm_max_version", 0x158, ("u32",)),
        ("svsm_guest_vmpl", 0x15C, ("u8",)), ("reserved", 0x15D, ("bytes", 3))]),
}

INT_FMT = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q"}

# Calls: (protocol number, call id, request registers, response registers). A register
# entry is (register, field, kind); kind "bf:<name>" for a bitfield, else an integer.
# facts §3.1-§3.5, §4.2, §4.3. RAX out is the 32-bit result (field "result").
CALLS = {
    "core.remap-ca": (0, 0, [("rcx", "new_caa", "u64")], []),
    "core.pvalidate": (0, 1, [("rcx", "list", "u64")], []),
    "core.create-vcpu": (0, 2, [("rcx", "vmsa", "u64"), ("rdx", "caa", "u64"),
                                ("r8", "apic_id", "u32")], []),
    "core.delete-vcpu": (0, 3, [("rcx", "vmsa", "u64")], []),
    "core.deposit-mem": (0, 4, [("rcx", "list", "u64")], []),
    "core.withdraw-mem": (0, 5, [("rcx", "area", "u64")], []),
    "core.query-protocol": (0, 6, [("rcx", "request", "bf:query_protocol_request")],
                            [("rcx", "response", "bf:query_protocol_response")]),
    "core.configure-vtom/query": (0, 7, [("rcx", "request", "bf:configure_vtom_query_in")],
                                  [("rcx", "capabilities", "bf:configure_vtom_query_out"),
                                   ("rdx", "min_vtom", "u64"), ("r8", "max_vtom", "u64")]),
    "core.configure-vtom/configure": (0, 7, [("rcx", "request", "bf:configure_vtom_configure_in"),
                                             ("rdx", "new_cr3", "u64"), ("r8", "new_rip", "u64"),
                                             ("r9", "new_rsp", "u64")], []),
    "attest.services": (1, 0, [("rcx", "op_gpa", "u64")],
                        [("rcx", "manifest_size", "u64"), ("rdx", "certs_size", "u64"),
                         ("r8", "report_size", "u64")]),
    "attest.single-service": (1, 1, [("rcx", "op_gpa", "u64")],
                              [("rcx", "manifest_size", "u64"), ("rdx", "certs_size", "u64"),
                               ("r8", "report_size", "u64")]),
    "attest.single-service-ex": (1, 2, [("rcx", "op_gpa", "u64")],
                                 [("rcx", "manifest_size", "u64"), ("rdx", "certs_size", "u64"),
                                  ("r8", "report_size", "u64")]),
    "vtpm.query": (2, 0, [], [("rcx", "commands", "bf:vtpm_query_commands"),
                              ("rdx", "features", "u64")]),
    "vtpm.cmd": (2, 1, [("rcx", "buffer_gpa", "u64")], []),
    "apic.query-features": (3, 0, [], [("rcx", "features", "u64")]),
    "apic.configure": (3, 1, [("rcx", "action", "u64")], []),
    "apic.read-register": (3, 2, [("rcx", "msr", "u64")], [("rdx", "value", "u64")]),
    "apic.write-register": (3, 3, [("rcx", "msr", "u64"), ("rdx", "value", "u64")], []),
    "apic.configure-vector": (3, 4, [("rcx", "config", "bf:apic_configure_vector")], []),
    "uefimm.request": (4, 1, [("rcx", "buffer", "u64"), ("rdx", "size", "u64")], []),
    "ocp.list-objects": (5, 0, [("rcx", "first_object", "u64"), ("rdx", "buffer", "u64"),
                                ("r8", "size", "u64")], [("rcx", "bytes_written", "u64")]),
    "ocp.list-object-sources": (5, 1, [("rcx", "selector", "bf:ocp_list_sources_selector"),
                                       ("rdx", "buffer", "u64"), ("r8", "size", "u64")],
                                [("rcx", "bytes_written", "u64")]),
    "ocp.read": (5, 2, [("rcx", "selector", "bf:ocp_source_selector"), ("rdx", "buffer", "u64"),
                        ("r8", "size", "u64"), ("r9", "offset", "u64")],
                 [("r8", "bytes_read", "u64")]),
    "ocp.write": (5, 3, [("rcx", "selector", "bf:ocp_source_selector"), ("rdx", "buffer", "u64"),
                         ("r8", "size", "u64"), ("r9", "offset", "u64")],
                  [("r8", "bytes_written", "u64")]),
    "reboot.execute": (5, 0, [("rcx", "flags", "u64")], []),
}

# ---------------------------------------------------------------------------------------
# Encoding


def guid_bytes(text):
    return uuid.UUID(text).bytes_le


def pack_bitfield(name, values):
    width, fields, _ = BITFIELDS[name]
    raw = 0
    for fname, msb, lsb in fields:
        v = values.get(fname, 0)
        mask = (1 << (msb - lsb + 1)) - 1
        assert 0 <= v <= mask, (name, fname, v)
        raw |= v << lsb
    assert raw < (1 << width)
    return raw


def unpack_bitfield(name, raw):
    _, fields, _ = BITFIELDS[name]
    return {f: (raw >> lsb) & ((1 << (msb - lsb + 1)) - 1) for f, msb, lsb in fields}


def kind_size(kind):
    k = kind[0]
    if k in INT_FMT:
        return struct.calcsize(INT_FMT[k])
    if k == "bytes":
        return kind[1]
    if k == "guid":
        return 16
    if k == "bf":
        return BITFIELDS[kind[1]][0] // 8
    if k == "struct":
        return STRUCTS[kind[1]][0]
    raise ValueError(kind)


def encode_kind(kind, value):
    k = kind[0]
    if k in INT_FMT:
        return struct.pack(INT_FMT[k], value)
    if k == "bytes":
        assert len(value) == kind[1], (kind, len(value))
        return bytes(value)
    if k == "guid":
        return guid_bytes(value)
    if k == "bf":
        width = BITFIELDS[kind[1]][0]
        raw = value if isinstance(value, int) else pack_bitfield(kind[1], value)
        return struct.pack("<Q" if width == 64 else "<I", raw)
    if k == "struct":
        return encode_struct(kind[1], value)
    raise ValueError(kind)


def encode_struct(name, values):
    size, fields = STRUCTS[name]
    known = {f[0] for f in fields}
    assert set(values) <= known, (name, set(values) - known)
    buf = bytearray(size)  # bytes the facts do not describe stay zero
    tail = b""
    for fname, off, kind in fields:
        if kind[0] == "array":
            elems = values.get(fname, [])
            tail = b"".join(encode_kind(kind[1], e) for e in elems)
        elif kind[0] == "varbytes":
            tail = bytes(values.get(fname, b""))
        else:
            v = values.get(fname, default_value(kind))
            enc = encode_kind(kind, v)
            buf[off:off + len(enc)] = enc
    return bytes(buf) + tail


def default_value(kind):
    k = kind[0]
    if k in INT_FMT:
        return 0
    if k == "bytes":
        return bytes(kind[1])
    if k == "guid":
        return "00000000-0000-0000-0000-000000000000"
    if k == "bf":
        return {}
    if k == "struct":
        return {}
    raise ValueError(kind)


def complete_struct(name, values):
    """All fields of the structure, defaults filled in (for the JSON 'fields')."""
    _, fields = STRUCTS[name]
    out = {}
    for fname, _off, kind in fields:
        if kind[0] == "array":
            out[fname] = [complete_kind(kind[1], e) for e in values.get(fname, [])]
        elif kind[0] == "varbytes":
            out[fname] = bytes(values.get(fname, b""))
        else:
            out[fname] = complete_kind(kind, values.get(fname, default_value(kind)))
    return out


def complete_kind(kind, v):
    if kind[0] == "bf":
        raw = v if isinstance(v, int) else pack_bitfield(kind[1], v)
        return unpack_bitfield(kind[1], raw)
    if kind[0] == "struct":
        return complete_struct(kind[1], v)
    return v


def to_json(v):
    """Integers as "0x.." strings, byte strings as hex, the rest recursively."""
    if isinstance(v, bool):
        raise TypeError("bool")
    if isinstance(v, int):
        return "0x%x" % v
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    return v


# ---------------------------------------------------------------------------------------
# Case builders


class Cases:
    def __init__(self):
        self.files = {}
        self.ids = set()

    def add(self, file, case):
        assert case["id"] not in self.ids, case["id"]
        assert case["id"].startswith(file + "."), (file, case["id"])
        self.ids.add(case["id"])
        self.files.setdefault(file, []).append(case)

    def structure(self, file, cid, name, values, comment, flags=(), **extra):
        self.add(file, dict({
            "id": cid, "comment": comment, "kind": "structure", "structure": name,
            "flags": list(flags), "valid": True,
            "fields": to_json(complete_struct(name, values)),
            "bytes": encode_struct(name, values).hex()}, **extra))

    def bad_structure(self, file, cid, name, data, rule, call, comment, flags=(), mbz=None):
        c = {"id": cid, "comment": comment, "kind": "structure", "structure": name,
             "flags": list(flags), "valid": False, "bytes": bytes(data).hex(), "rule": rule,
             "decoded_by": call}
        if mbz:
            c["mbz_check"] = mbz
        self.add(file, c)

    def bitfield(self, file, cid, name, values, comment, flags=()):
        raw = values if isinstance(values, int) else pack_bitfield(name, values)
        self.add(file, {
            "id": cid, "comment": comment, "kind": "bitfield", "bitfield": name,
            "flags": list(flags), "valid": True,
            "fields": to_json(unpack_bitfield(name, raw)), "value": "0x%x" % raw})

    def registers(self, file, cid, call, direction, values, comment, flags=(), memory=None,
                  valid=True, rule=None, regs_override=None, mbz=None):
        key, form = (call.split("/") + [None])[:2]
        proto, call_id, reg_in, reg_out = CALLS[call]
        regs = {r: 0 for r in ("rax", "rcx", "rdx", "r8", "r9")}
        fields = {}
        if direction == "request":
            regs["rax"] = (proto << 32) | call_id
            layout = reg_in
        else:
            regs["rax"] = values.get("result", 0)
            fields["result"] = values.get("result", 0)
            layout = reg_out
        for reg, fname, kind in layout:
            v = values.get(fname, 0)
            if kind.startswith("bf:"):
                bf = kind[3:]
                raw = v if isinstance(v, int) else pack_bitfield(bf, v)
                fields[fname] = unpack_bitfield(bf, raw)
                regs[reg] = raw
            else:
                limit = 1 << (32 if kind == "u32" else 64)
                assert 0 <= v < limit, (call, fname, v)
                fields[fname] = v
                regs[reg] = v
        if regs_override:
            regs.update(regs_override)
        c = {"id": cid, "comment": comment, "kind": "registers", "call": key}
        if form:
            c["form"] = form
        c.update({"direction": direction, "flags": list(flags), "valid": valid})
        if valid:
            c["fields"] = to_json(fields)
        c["registers"] = to_json(regs)
        if memory:
            c["memory"] = [{"gpa": "0x%x" % gpa, "structure": s, "bytes": b.hex()}
                           for gpa, s, b in memory]
        if not valid:
            c["rule"] = rule
            c["decoded_by"] = key
            if mbz:
                c["mbz_check"] = mbz
        self.add(file, c)


def pv_entry(pfn, size=0, action=1, ignore_cf=0, reserved=0):
    return {"page_size": size, "action": action, "ignore_cf": ignore_cf, "reserved": reserved,
            "pfn": pfn}


def pv_list(entries, next_=0, count=None):
    return {"entries": len(entries) if count is None else count, "next": next_,
            "entry": entries}


def raw_list(count, entry_raws, next_=0):
    return struct.pack("<HH4x", count, next_) + b"".join(struct.pack("<Q", e) for e in entry_raws)


ONES64 = (1 << 64) - 1
ONES32 = (1 << 32) - 1
VTPM_GUID = "c476f1eb-0123-45a5-9641-b4e7dde5bfe3"
UEFIMM_GUID = "a4453a59-9e1b-4787-a033-1986d6adbe55"
REBOOT_GUID = "0cc20f93-afaa-4013-9fb6-9d16fc42ceae"
MANIFEST_GUID = "63849ebb-3d92-4670-a1ff-58f9c94b87bb"


def pattern(n, seed):
    return bytes((seed + 7 * i) & 0xFF for i in range(n))


def build():
    c = Cases()

    # ---- general: CAA, secrets page, RAX --------------------------------------------
    c.structure("general", "general.svsm_caa.zeroed", "svsm_caa", {},
                "An all-zero Calling Area: no call pending.")
    c.structure("general", "general.svsm_caa.call-pending", "svsm_caa",
                {"call_pending": 1, "buffer": pattern(4088, 1)},
                "CALL_PENDING = 1 with a patterned argument buffer at CAA+8.")
    c.structure("general", "general.svsm_caa.all-ones", "svsm_caa",
                {"call_pending": 0xFF, "mem_available": 0xFF, "reserved": b"\xff" * 6,
                 "buffer": b"\xff" * 4088},
                "Every byte 0xff (reserved bytes are not must-be-zero).", ["boundary", "all-ones"])
    c.structure("general", "general.snp_secrets_page_svsm.coconut", "snp_secrets_page_svsm",
                {"svsm_base": 0x8000000000, "svsm_size": 0x1000000, "svsm_caa": CAA,
                 "svsm_max_version": 1, "svsm_guest_vmpl": 2},
                "COCONUT-like values: max version 1, guest at VMPL2.")
    c.structure("general", "general.snp_secrets_page_svsm.all-ones", "snp_secrets_page_svsm",
                {"svsm_base": 0xFFFFFFFFFFFFF000, "svsm_size": 0xFFFFFFFFFFFFF000,
                 "svsm_caa": 0xFFFFFFFFFFFFF000, "svsm_max_version": ONES32,
                 "svsm_guest_vmpl": 0xFF, "reserved": b"\xff" * 3},
                "Largest 4 KiB-aligned gPAs and sizes, all-ones version, VMPL and reserved bytes.",
                ["boundary", "all-ones"])
    c.bitfield("general", "general.svsm_call_rax.core-pvalidate", "svsm_call_rax",
               {"protocol": 0, "call_id": 1}, "RAX for SVSM_CORE_PVALIDATE.")
    c.bitfield("general", "general.svsm_call_rax.attest-single-service", "svsm_call_rax",
               {"protocol": 1, "call_id": 1}, "RAX for SVSM_ATTEST_SINGLE_SERVICE.")
    c.bitfield("general", "general.svsm_call_rax.all-ones", "svsm_call_rax", ONES64,
               "All-ones RAX (protocol and call id 0xffffffff).", ["boundary", "all-ones"])

    # ---- core -----------------------------------------------------------------------
    core = "core"
    one = [pv_entry(0x12345, action=1)]
    c.structure(core, "core.pvalidate_list.one-4k-validate", "pvalidate_list", pv_list(one),
                "One entry: validate the 4 KiB page at gPA 0x12345000.")
    c.structure(core, "core.pvalidate_list.mixed", "pvalidate_list",
                pv_list([pv_entry(0x200, size=1, action=1), pv_entry(0x80000, action=0, ignore_cf=1),
                         pv_entry(0xABCDE, action=1, ignore_cf=1)], next_=1),
                "A 2 MiB validate, a 4 KiB rescind with ignore_cf, next = 1.")
    c.structure(core, "core.pvalidate_list.max-at-caa-plus-8", "pvalidate_list",
                pv_list([pv_entry(0x100000 + i, action=i & 1) for i in range(510)], next_=509),
                "510 entries: the most that fit at CAA+8 (Linux SVSM_PVALIDATE_MAX_COUNT); next "
                "is the last index.", ["boundary", "max-count"])
    c.structure(core, "core.pvalidate_list.max-at-page-offset-0", "pvalidate_list",
                pv_list([pv_entry(0xFFFFFFFFFFFFF - i, ignore_cf=1) for i in range(511)]),
                "511 entries: the most that fit in a list at page offset 0 (8 + 511*8 = 4096).",
                ["boundary", "max-count", "page-end"])
    c.structure(core, "core.pvalidate_list.all-ones", "pvalidate_list",
                {"entries": 1, "next": 0, "reserved": b"\xff" * 4,
                 "entry": [pv_entry(0xFFFFFFFFFFFFF, size=1, action=1, ignore_cf=1)]},
                "Every settable bit set: reserved header bytes (not must-be-zero), 2 MiB, validate, "
                "ignore_cf, pfn all-ones.", ["boundary", "all-ones"])
    c.bitfield(core, "core.pvalidate_entry.validate-4k", "pvalidate_entry",
               pv_entry(0x12345), "Validate the 4 KiB page at 0x12345000.")
    c.bitfield(core, "core.pvalidate_entry.all-ones", "pvalidate_entry",
               pv_entry(0xFFFFFFFFFFFFF, size=1, action=1, ignore_cf=1),
               "All settable bits set (page_size 1: values 2 and 3 are invalid).",
               ["boundary", "all-ones"])
    c.structure(core, "core.deposit_mem_list.two-entries", "deposit_mem_list",
                {"entries": 2, "next": 0, "entry": [
                    {"page_size": 0, "pfn": 0x4000}, {"page_size": 1, "pfn": 0x8000}]},
                "One 4 KiB and one 2 MiB page.")
    c.structure(core, "core.deposit_mem_list.max-at-page-offset-0", "deposit_mem_list",
                {"entries": 511, "next": 0, "entry": [
                    {"page_size": 0, "reserved": i & 0x3FF, "pfn": 0x1000 + i}
                    for i in range(511)]},
                "511 entries; reserved bits 11:2 are not must-be-zero for DEPOSIT_MEM.",
                ["boundary", "max-count", "page-end"])
    c.bitfield(core, "core.deposit_mem_entry.all-ones", "deposit_mem_entry",
               {"page_size": 1, "reserved": 0x3FF, "pfn": 0xFFFFFFFFFFFFF},
               "All bits set except page_size bit 1.", ["boundary", "all-ones"])
    c.structure(core, "core.withdraw_mem_area.empty", "withdraw_mem_area", {"count": 0},
                "Nothing returned.")
    c.structure(core, "core.withdraw_mem_area.max-at-page-offset-0", "withdraw_mem_area",
                {"count": 511, "unused": b"\xff" * 6,
                 "page": [0xFFFFFFFFFFFFF000 - i * PAGE for i in range(511)]},
                "511 gPAs (the whole page), unused bytes 0xff (not checked).",
                ["boundary", "max-count", "page-end"])
    c.bitfield(core, "core.query_protocol_request.attest-v1", "query_protocol_request",
               {"protocol": 1, "version": 1}, "Is attestation version 1 available?")
    c.bitfield(core, "core.query_protocol_request.all-ones", "query_protocol_request", ONES64,
               "All-ones.", ["boundary", "all-ones"])
    c.bitfield(core, "core.query_protocol_response.v1-1", "query_protocol_response",
               {"min_version": 1, "max_version": 1}, "Versions 1..1.")
    c.bitfield(core, "core.query_protocol_response.all-ones", "query_protocol_response", ONES64,
               "All-ones.", ["boundary", "all-ones"])
    c.bitfield(core, "core.configure_vtom_query_in.query", "configure_vtom_query_in",
               {"query": 1}, "The query form: RCX = 1.")
    c.bitfield(core, "core.configure_vtom_configure_in.enable", "configure_vtom_configure_in",
               {"enable": 1, "set_cr3": 1, "set_rip": 1, "set_rsp": 1, "vtom": 0x100000},
               "Enable vTOM at 4 GiB and set CR3, RIP, RSP.")
    c.bitfield(core, "core.configure_vtom_configure_in.all-ones", "configure_vtom_configure_in",
               {"enable": 1, "set_cr3": 1, "set_rip": 1, "set_rsp": 1, "vtom": 0xFFFFFFFFFFFFF},
               "All settable bits (query 0, reserved 11:5 zero).", ["boundary", "all-ones"])
    c.bitfield(core, "core.configure_vtom_query_out.supported", "configure_vtom_query_out",
               {"supported": 1, "alignment": 20}, "Supported, 1 MiB alignment.")
    c.bitfield(core, "core.configure_vtom_query_out.all-ones", "configure_vtom_query_out",
               ONES64, "All-ones (the reserved fields are not must-be-zero on output).",
               ["boundary", "all-ones"])

    # core registers
    caa_img = encode_struct("svsm_caa", {})
    c.registers(core, "core.remap-ca.request", "core.remap-ca", "request", {"new_caa": CAA},
                "RCX = new CAA gPA.", memory=[(CAA, "svsm_caa", caa_img)])
    c.registers(core, "core.remap-ca.response", "core.remap-ca", "response", {"result": 0},
                "SVSM_SUCCESS.")
    list_at = CAA + 8
    c.registers(core, "core.pvalidate.request-caa-plus-8", "core.pvalidate", "request",
                {"list": list_at}, "RCX = CAA+8 with a one-entry list there.",
                memory=[(list_at, "pvalidate_list", encode_struct("pvalidate_list", pv_list(one)))])
    c.registers(core, "core.pvalidate.request-510-at-caa-plus-8", "core.pvalidate", "request",
                {"list": list_at}, "510 entries at CAA+8 end exactly at the page end.",
                ["boundary", "max-count", "page-end"],
                memory=[(list_at, "pvalidate_list", encode_struct(
                    "pvalidate_list", pv_list([pv_entry(0x100 + i) for i in range(510)])))])
    c.registers(core, "core.pvalidate.request-511-at-page-offset-0", "core.pvalidate", "request",
                {"list": 0x7E000000}, "511 entries at page offset 0 fill the page.",
                ["boundary", "max-count", "page-end"],
                memory=[(0x7E000000, "pvalidate_list", encode_struct(
                    "pvalidate_list", pv_list([pv_entry(0x100 + i) for i in range(511)])))])
    c.registers(core, "core.pvalidate.request-last-entry-of-page", "core.pvalidate", "request",
                {"list": 0x7E000FF0}, "A one-entry list whose entry is the last 8 bytes of a page.",
                ["boundary", "page-end"],
                memory=[(0x7E000FF0, "pvalidate_list", encode_struct("pvalidate_list", pv_list(one)))])
    c.registers(core, "core.pvalidate.response-fail-input", "core.pvalidate", "response",
                {"result": 0x80001001}, "SVSM_ERR_PVALIDATE_FAIL_INPUT.")
    c.registers(core, "core.create-vcpu.request", "core.create-vcpu", "request",
                {"vmsa": 0x7D000000, "caa": 0x7D001000, "apic_id": 3},
                "EDK2 style: the CAA is the page after the VMSA.",
                memory=[(0x7D001000, "svsm_caa", caa_img)])
    c.registers(core, "core.create-vcpu.request-max-apic-id", "core.create-vcpu", "request",
                {"vmsa": 0xFFFFFFFFFFFFE000, "caa": 0xFFFFFFFFFFFFF000, "apic_id": ONES32},
                "Highest 4 KiB-aligned gPAs and APIC ID 0xffffffff.", ["boundary", "all-ones"],
                memory=[(0xFFFFFFFFFFFFF000, "svsm_caa", caa_img)])
    c.registers(core, "core.create-vcpu.response", "core.create-vcpu", "response",
                {"result": 0x80000005}, "SVSM_ERR_INVALID_PARAMETER.")
    c.registers(core, "core.delete-vcpu.request", "core.delete-vcpu", "request",
                {"vmsa": 0x7D000000}, "RCX = VMSA gPA.")
    c.registers(core, "core.delete-vcpu.response", "core.delete-vcpu", "response",
                {"result": 0x80001003}, "FAIL_INUSE.")
    dep = {"entries": 1, "next": 0, "entry": [{"page_size": 0, "pfn": 0x4000}]}
    c.registers(core, "core.deposit-mem.request", "core.deposit-mem", "request",
                {"list": list_at}, "RCX = CAA+8.",
                memory=[(list_at, "deposit_mem_list", encode_struct("deposit_mem_list", dep))])
    c.registers(core, "core.deposit-mem.response", "core.deposit-mem", "response",
                {"result": 0x80000002}, "SVSM_ERR_UNSUPPORTED_CALL (COCONUT).")
    c.registers(core, "core.withdraw-mem.request", "core.withdraw-mem", "request",
                {"area": list_at}, "RCX = CAA+8.")
    c.registers(core, "core.withdraw-mem.response", "core.withdraw-mem", "response",
                {"result": 0}, "SVSM_SUCCESS.")
    c.registers(core, "core.query-protocol.request", "core.query-protocol", "request",
                {"request": {"protocol": 2, "version": 1}}, "vTPM version 1?")
    c.registers(core, "core.query-protocol.request-all-ones", "core.query-protocol", "request",
                {"request": ONES64}, "All-ones RCX.", ["boundary", "all-ones"])
    c.registers(core, "core.query-protocol.response", "core.query-protocol", "response",
                {"result": 0, "response": {"min_version": 1, "max_version": 1}},
                "RCX = 1 << 32 | 1.")
    c.registers(core, "core.query-protocol.response-unavailable", "core.query-protocol",
                "response", {"result": 0, "response": 0}, "RCX = 0: not available.")
    c.registers(core, "core.configure-vtom.query-request", "core.configure-vtom/query", "request",
                {"request": {"query": 1}}, "RCX = 1.")
    c.registers(core, "core.configure-vtom.query-response", "core.configure-vtom/query",
                "response", {"result": 0, "capabilities": {"supported": 1, "alignment": 20},
                             "min_vtom": 0x100000000, "max_vtom": ONES64},
                "Supported with 1 MiB alignment; min and max vTOM.")
    c.registers(core, "core.configure-vtom.configure-request", "core.configure-vtom/configure",
                "request", {"request": {"enable": 1, "set_cr3": 1, "set_rip": 1, "set_rsp": 1,
                                        "vtom": 0x100000},
                            "new_cr3": 0x1000, "new_rip": 0xFFFFFFF0, "new_rsp": ONES64},
                "Enable with CR3/RIP/RSP in RDX/R8/R9.")
    c.registers(core, "core.configure-vtom.configure-response", "core.configure-vtom/configure",
                "response", {"result": 0x80000006}, "SVSM_ERR_INVALID_REQUEST (COCONUT).")

    # core invalid: structures (decoded with the call's rules)
    e_ok = pack_bitfield("pvalidate_entry", pv_entry(0x12345))
    c.bad_structure(core, "core.pvalidate_list.entries-zero", "pvalidate_list", raw_list(0, []),
                    "core.pvalidate.entries-zero", "core.pvalidate", "entries = 0.", ["min-count"])
    c.bad_structure(core, "core.pvalidate_list.entries-512", "pvalidate_list",
                    raw_list(512, [e_ok] * 512), "core.pvalidate.list-crosses-page",
                    "core.pvalidate", "512 entries cannot fit in one page at any offset.",
                    ["boundary", "max-count", "crosses-page"])
    for size in (2, 3):
        c.bad_structure(core, "core.pvalidate_list.entry-page-size-%d" % size, "pvalidate_list",
                        raw_list(2, [e_ok, e_ok | size]), "core.pvalidate.entry-page-size",
                        "core.pvalidate", "Entry 1 has page_size %d." % size, ["enum"])
    for bit in (4, 11):
        raw = e_ok | (1 << bit)
        c.bad_structure(core, "core.pvalidate_list.entry-reserved-bit-%d" % bit, "pvalidate_list",
                        raw_list(1, [raw]), "core.pvalidate.entry-reserved-bits", "core.pvalidate",
                        "Entry 0 has reserved bit %d set." % bit, ["mbz"],
                        mbz={"bitfield": "pvalidate_entry", "value": "0x%x" % raw})
    c.bad_structure(core, "core.pvalidate_list.last-entry-reserved-bits", "pvalidate_list",
                    raw_list(510, [e_ok] * 509 + [e_ok | 0xFF0]), "core.pvalidate.entry-reserved-bits",
                    "core.pvalidate", "510 entries; the last one has all reserved bits set.",
                    ["mbz", "boundary"],
                    mbz={"bitfield": "pvalidate_entry", "value": "0x%x" % (e_ok | 0xFF0)})
    c.bad_structure(core, "core.deposit_mem_list.entries-zero", "deposit_mem_list",
                    raw_list(0, []), "core.deposit-mem.entries-zero", "core.deposit-mem",
                    "entries = 0.", ["min-count"])
    c.bad_structure(core, "core.deposit_mem_list.entries-512", "deposit_mem_list",
                    raw_list(512, [0x4000000] * 512), "core.deposit-mem.list-crosses-page",
                    "core.deposit-mem", "512 entries cannot fit in one page.",
                    ["boundary", "max-count", "crosses-page"])
    c.bad_structure(core, "core.deposit_mem_list.entry-page-size-2", "deposit_mem_list",
                    raw_list(1, [0x4000002]), "core.deposit-mem.entry-page-size",
                    "core.deposit-mem", "page_size 2.", ["enum"])
    c.bad_structure(core, "core.withdraw_mem_area.count-512", "withdraw_mem_area",
                    struct.pack("<H6x", 512) + bytes(512 * 8), "core.withdraw-mem.pages-returned",
                    "core.withdraw-mem", "512 gPAs cannot fit in one page.",
                    ["boundary", "max-count", "crosses-page"])

    # core invalid: registers
    def bad_regs(cid, call, values, rule, comment, flags, memory=None, override=None, mbz=None):
        c.registers(core if call.startswith("core") else call.split(".")[0], cid, call, "request",
                    values, comment, flags, memory=memory, valid=False, rule=rule,
                    regs_override=override, mbz=mbz)

    bad_regs("core.remap-ca.rcx-misaligned", "core.remap-ca", {"new_caa": CAA + 8},
             "core.remap-ca.alignment", "RCX = CAA+8 is not 4 KiB aligned.", ["alignment"])
    bad_regs("core.pvalidate.rcx-misaligned", "core.pvalidate", {"list": CAA + 4},
             "core.pvalidate.alignment", "RCX not 8-byte aligned.", ["alignment"])
    bad_regs("core.pvalidate.511-at-caa-plus-8", "core.pvalidate", {"list": list_at},
             "core.pvalidate.list-crosses-page",
             "511 entries at CAA+8 end 8 bytes into the next page.",
             ["boundary", "max-count", "crosses-page"],
             memory=[(list_at, "pvalidate_list", raw_list(511, [e_ok] * 511))])
    bad_regs("core.pvalidate.two-entries-at-page-offset-ff0", "core.pvalidate",
             {"list": 0x7E000FF0}, "core.pvalidate.list-crosses-page",
             "Two entries at page offset 0xff0: the second entry is past the page end.",
             ["boundary", "crosses-page"],
             memory=[(0x7E000FF0, "pvalidate_list", raw_list(2, [e_ok] * 2))])
    bad_regs("core.pvalidate.header-crosses-page", "core.pvalidate", {"list": 0x7E000FF8},
             "core.pvalidate.list-crosses-page",
             "RCX at page offset 0xff8: the 8-byte header fills the page, no room for an entry.",
             ["boundary", "crosses-page"],
             memory=[(0x7E000FF8, "pvalidate_list", raw_list(1, [e_ok]))])
    bad_regs("core.create-vcpu.rcx-misaligned", "core.create-vcpu",
             {"vmsa": 0x7D000800, "caa": 0x7D001000, "apic_id": 1}, "core.create-vcpu.alignment",
             "VMSA gPA not 4 KiB aligned.", ["alignment"],
             memory=[(0x7D001000, "svsm_caa", caa_img)])
    bad_regs("core.create-vcpu.rdx-misaligned", "core.create-vcpu",
             {"vmsa": 0x7D000000, "caa": 0x7D001008, "apic_id": 1}, "core.create-vcpu.alignment",
             "CAA gPA not 4 KiB aligned.", ["alignment"])
    bad_regs("core.create-vcpu.caa-unmapped", "core.create-vcpu",
             {"vmsa": 0x7D000000, "caa": 0x7D001000, "apic_id": 1},
             "core.create-vcpu.not-guest-memory", "The CAA page is not guest memory.",
             ["unmapped"])
    bad_regs("core.delete-vcpu.rcx-misaligned", "core.delete-vcpu", {"vmsa": 0x7D000010},
             "core.delete-vcpu.alignment", "VMSA gPA not 4 KiB aligned.", ["alignment"])
    bad_regs("core.deposit-mem.rcx-misaligned", "core.deposit-mem", {"list": CAA + 2},
             "core.deposit-mem.alignment", "RCX not 8-byte aligned.", ["alignment"])
    bad_regs("core.deposit-mem.511-at-caa-plus-8", "core.deposit-mem", {"list": list_at},
             "core.deposit-mem.list-crosses-page", "511 entries at CAA+8 cross the page end.",
             ["boundary", "max-count", "crosses-page"],
             memory=[(list_at, "deposit_mem_list", raw_list(511, [0x4000000] * 511))])
    bad_regs("core.withdraw-mem.rcx-misaligned", "core.withdraw-mem", {"area": CAA + 1},
             "core.withdraw-mem.alignment", "RCX not 8-byte aligned.", ["alignment"])
    bad_regs("core.configure-vtom.query-reserved-bit-1", "core.configure-vtom/query",
             {"request": 0x3}, "core.configure-vtom.query-reserved-bits",
             "Query form (bit 0 = 1) with reserved bit 1 set.", ["mbz"],
             mbz={"bitfield": "configure_vtom_query_in", "value": "0x3"})
    bad_regs("core.configure-vtom.query-reserved-bit-63", "core.configure-vtom/query",
             {"request": 0x8000000000000001}, "core.configure-vtom.query-reserved-bits",
             "Query form with reserved bit 63 set.", ["mbz", "boundary"],
             mbz={"bitfield": "configure_vtom_query_in", "value": "0x8000000000000001"})
    bad_regs("core.configure-vtom.configure-reserved-bit-5", "core.configure-vtom/configure",
             {"request": 0x100022}, "core.configure-vtom.configure-reserved-bits",
             "Configure form with reserved bit 5 set.", ["mbz"],
             mbz={"bitfield": "configure_vtom_configure_in", "value": "0x100022"})
    bad_regs("core.configure-vtom.configure-reserved-bit-11", "core.configure-vtom/configure",
             {"request": 0x800}, "core.configure-vtom.configure-reserved-bits",
             "Configure form with reserved bit 11 set.", ["mbz", "boundary"],
             mbz={"bitfield": "configure_vtom_configure_in", "value": "0x800"})

    # ---- attestation ----------------------------------------------------------------
    at = "attest"
    sop = {"report_gpa": 0x7C000000, "report_size": 0x1000, "nonce_gpa": CAA + 0x60,
           "nonce_size": 64, "manifest_gpa": 0x7C001000, "manifest_size": 0x1000,
           "certs_gpa": 0x7C002000, "certs_size": 0x4000}
    sop_ones = {"report_gpa": 0xFFFFFFFFFFFFF000, "report_size": ONES32, "nonce_gpa": ONES64,
                "nonce_size": 0xFFFF, "manifest_gpa": 0xFFFFFFFFFFFFF000,
                "manifest_size": ONES32, "certs_gpa": 0xFFFFFFFFFFFFF000, "certs_size": ONES32}
    ssop = {"services_op": sop, "service_guid": VTPM_GUID, "manifest_version": 0}
    c.structure(at, "attest.attest_services_op.linux", "attest_services_op", sop,
                "Linux-like buffers: report 4 KiB, manifest 4 KiB, certificates 16 KiB, "
                "64-byte nonce.")
    c.structure(at, "attest.attest_services_op.no-certs", "attest_services_op",
                dict(sop, certs_gpa=0, certs_size=0), "No certificates requested.")
    c.structure(at, "attest.attest_services_op.all-ones", "attest_services_op", sop_ones,
                "All-ones sizes, highest aligned gPAs (reserved bytes stay zero).",
                ["boundary", "all-ones"])
    c.structure(at, "attest.attest_single_service_op.vtpm", "attest_single_service_op", ssop,
                "vTPM service, manifest version 0.")
    c.structure(at, "attest.attest_single_service_op.all-ones", "attest_single_service_op",
                {"services_op": sop_ones, "service_guid": "ffffffff-ffff-ffff-ffff-ffffffffffff",
                 "manifest_version": ONES32}, "All-ones.", ["boundary", "all-ones"])
    c.structure(at, "attest.attest_single_service_ex_op.selector", "attest_single_service_ex_op",
                {"single_service_op": dict(ssop, manifest_version=1), "selector_gpa": CAA + 0x100,
                 "selector_size": 0x200}, "Proposal: vTPM with a 512-byte selector.", ["proposed"])
    c.structure(at, "attest.attest_ex_selector_context.vtpm", "attest_ex_selector_context",
                {"magic": 0x324D5353, "service_guid": VTPM_GUID, "manifest_version": 1},
                "Proposal: 'SSM2' context header.", ["proposed"])
    c.structure(at, "attest.attest_ex_vtpm_selector.template", "attest_ex_vtpm_selector",
                {"kind": 1}, "Proposal: TPMT_PUBLIC template selector.", ["proposed"])
    c.structure(at, "attest.attest_services_manifest_entry.uefimm",
                "attest_services_manifest_entry",
                {"service_guid": UEFIMM_GUID, "data_offset": 0x30, "data_size": 8},
                "UEFI MM entry.")
    c.structure(at, "attest.attest_services_manifest.empty", "attest_services_manifest",
                {"header_guid": MANIFEST_GUID, "total_length": 0x18, "entry_count": 0},
                "No services: the 24-byte header only.")
    c.structure(at, "attest.attest_services_manifest.vtpm-uefimm", "attest_services_manifest",
                {"header_guid": MANIFEST_GUID, "total_length": 0x48 + 314 + 8, "entry_count": 2,
                 "entries": [{"service_guid": VTPM_GUID, "data_offset": 0x48, "data_size": 314},
                             {"service_guid": UEFIMM_GUID, "data_offset": 0x48 + 314,
                              "data_size": 8}]},
                "COCONUT order: vTPM then UEFI MM (the blobs themselves are not part of the "
                "structure).")
    c.structure("platform", "platform.snp_msg_report_req.svsm", "snp_msg_report_req",
                {"user_data": pattern(64, 0x40)}, "REPORT_DATA = a hash, VMPL 0, flags 0.")
    c.structure("platform", "platform.snp_msg_report_req.all-ones", "snp_msg_report_req",
                {"user_data": b"\xff" * 64, "vmpl": ONES32, "flags": ONES32,
                 "reserved": b"\xff" * 24}, "All-ones.", ["boundary", "all-ones"])

    c.registers(at, "attest.services.request", "attest.services", "request",
                {"op_gpa": list_at}, "Operation at CAA+8.",
                memory=[(list_at, "attest_services_op", encode_struct("attest_services_op", sop))])
    c.registers(at, "attest.services.request-page-end", "attest.services", "request",
                {"op_gpa": 0x7B000FC0}, "The 0x40-byte operation ends at the page end.",
                ["boundary", "page-end"],
                memory=[(0x7B000FC0, "attest_services_op",
                         encode_struct("attest_services_op", sop))])
    c.registers(at, "attest.services.response", "attest.services", "response",
                {"result": 0, "manifest_size": 0x18, "certs_size": 0x4000, "report_size": 0x4A0},
                "Empty manifest, 16 KiB of certificates, 1184-byte report.")
    c.registers(at, "attest.services.response-all-ones", "attest.services", "response",
                {"result": 0xFFFFFFFF, "manifest_size": ONES64, "certs_size": ONES64,
                 "report_size": ONES64}, "All-ones.", ["boundary", "all-ones"])
    c.registers(at, "attest.single-service.request", "attest.single-service", "request",
                {"op_gpa": list_at}, "Operation at CAA+8.",
                memory=[(list_at, "attest_single_service_op",
                         encode_struct("attest_single_service_op", ssop))])
    c.registers(at, "attest.single-service.response", "attest.single-service", "response",
                {"result": 0x80000005, "manifest_size": 314, "certs_size": 0, "report_size": 0x4A0},
                "INVALID_PARAMETER with the required sizes.")
    exop = {"single_service_op": ssop, "selector_gpa": 0, "selector_size": 0}
    c.registers(at, "attest.single-service-ex.request", "attest.single-service-ex", "request",
                {"op_gpa": list_at}, "Proposal: selector size 0.", ["proposed"],
                memory=[(list_at, "attest_single_service_ex_op",
                         encode_struct("attest_single_service_ex_op", exop))])
    c.registers(at, "attest.single-service-ex.response", "attest.single-service-ex", "response",
                {"result": 0x80001001, "manifest_size": 0, "certs_size": 0, "report_size": 0},
                "Proposal: selector invalid.", ["proposed"])

    sop_b = encode_struct("attest_services_op", sop)
    ssop_b = encode_struct("attest_single_service_op", ssop)
    for fname, off, n in (("reserved_0c", 0x0C, 4), ("reserved_1a", 0x1A, 6),
                          ("reserved_2c", 0x2C, 4), ("reserved_3c", 0x3C, 4)):
        for which, last in (("first", 0), ("last", n - 1)):
            if n == 4 and which == "last" and fname != "reserved_1a":
                continue
            b = bytearray(sop_b)
            b[off + last] = 0x01
            c.bad_structure(at, "attest.attest_services_op.%s-%s-byte" % (fname, which),
                            "attest_services_op", b, "attest.services.reserved-nonzero",
                            "attest.services", "%s byte %d is 1." % (fname, last), ["mbz"],
                            mbz={"structure": "attest_services_op"})
            b2 = bytearray(ssop_b)
            b2[off + last] = 0x80
            c.bad_structure(at, "attest.attest_single_service_op.%s-%s-byte" % (fname, which),
                            "attest_single_service_op", b2,
                            "attest.single-service.reserved-nonzero", "attest.single-service",
                            "services_op.%s byte %d is 0x80." % (fname, last), ["mbz"],
                            mbz={"structure": "attest_single_service_op"})
    b = bytearray(ssop_b)
    b[0x57] = 0xFF
    c.bad_structure(at, "attest.attest_single_service_op.reserved_54", "attest_single_service_op",
                    b, "attest.single-service.reserved-nonzero", "attest.single-service",
                    "reserved_54 last byte 0xff.", ["mbz"],
                    mbz={"structure": "attest_single_service_op"})
    for fname, off in (("report_gpa", 0x00), ("manifest_gpa", 0x20), ("certs_gpa", 0x30)):
        for val in (0x7C000008, 0xFFFFFFFFFFFFFFFF):
            tag = "8" if val == 0x7C000008 else "all-ones"
            b = bytearray(sop_b)
            b[off:off + 8] = struct.pack("<Q", val)
            c.bad_structure(at, "attest.attest_services_op.%s-misaligned-%s" % (fname, tag),
                            "attest_services_op", b, "attest.services.buffer-misaligned",
                            "attest.services", "%s = 0x%x is not 4 KiB aligned." % (fname, val),
                            ["alignment"] + (["boundary"] if tag == "all-ones" else []))
            b2 = bytearray(ssop_b)
            b2[off:off + 8] = struct.pack("<Q", val)
            c.bad_structure(at, "attest.attest_single_service_op.%s-misaligned-%s" % (fname, tag),
                            "attest_single_service_op", b2,
                            "attest.single-service.buffer-misaligned", "attest.single-service",
                            "services_op.%s = 0x%x is not 4 KiB aligned." % (fname, val),
                            ["alignment"] + (["boundary"] if tag == "all-ones" else []))
    exop_b = bytearray(encode_struct("attest_single_service_ex_op", exop))
    exop_b[0x64] = 1
    c.bad_structure(at, "attest.attest_single_service_ex_op.reserved_64", "attest_single_service_ex_op",
                    exop_b, "attest.single-service-ex.reserved-nonzero", "attest.single-service-ex",
                    "Proposal: reserved_64 non-zero.", ["mbz", "proposed"],
                    mbz={"structure": "attest_single_service_ex_op"})

    for call, rule_prefix, sname, img in (
            ("attest.services", "attest.services", "attest_services_op", sop_b),
            ("attest.single-service", "attest.single-service", "attest_single_service_op", ssop_b)):
        short = call.split(".")[1]
        bad_regs("attest.%s.rcx-misaligned" % short, call, {"op_gpa": list_at + 4},
                 rule_prefix + ".op-misaligned", "RCX not 8-byte aligned.", ["alignment"],
                 memory=[(list_at + 4, sname, img)])
        gpa = 0x7B001000 - len(img) + 8
        bad_regs("attest.%s.op-crosses-page" % short, call, {"op_gpa": gpa},
                 rule_prefix + ".op-crosses-page",
                 "The operation starts 0x%x bytes before the page end." % (len(img) - 8),
                 ["boundary", "crosses-page"], memory=[(gpa, sname, img)])
        bad_regs("attest.%s.op-unmapped" % short, call, {"op_gpa": 0x7A000000},
                 "general.faulting-address", "Nothing is mapped at RCX.", ["unmapped"])
    bad_regs("attest.single-service-ex.rcx-misaligned", "attest.single-service-ex",
             {"op_gpa": list_at + 4}, "attest.single-service-ex.op-misaligned",
             "Proposal: RCX not 8-byte aligned.", ["alignment", "proposed"])

    # ---- platform (SNP structures) ----------------------------------------------------
    pf = "platform"
    vm = {"cs": bytes.fromhex("00f09b00ffff0000000000ffff000000"), "vmpl": 2,
          "efer": {"svme": 1}, "cr0": 0x60000010, "rflags": 0x2, "rip": 0xFFF0,
          "rax": 0x1, "rcx": CAA + 8, "sev_features": 0x1, "guest_exit_code": 0x403}
    c.structure(pf, "platform.vmsa.create-vcpu", "vmsa", vm,
                "A VMSA CREATE_VCPU accepts in COCONUT: VMPL 2, EFER.SVME = 1; exit code VMGEXIT.")
    c.structure(pf, "platform.vmsa.all-ones", "vmsa",
                {f: (b"\xff" * 16 if k == SEG else (0xFF if k == ("u8",) else
                     (ONES64 if k == ("u64",) else 0xFFFFFFFFFFFFFFFF)))
                 for f, _o, k in STRUCTS["vmsa"][1]},
                "Every described field all-ones (the undescribed bytes stay zero).",
                ["boundary", "all-ones"])
    c.bitfield(pf, "platform.vmsa_efer.svme", "vmsa_efer", {"svme": 1, "other_low": 0xD01 & 0xFFF},
               "SVME with LME/LMA/SCE-like low bits.")
    c.bitfield(pf, "platform.vmsa_efer.all-ones", "vmsa_efer", ONES64, "All-ones.",
               ["boundary", "all-ones"])
    rep = {"version": 2, "guest_svn": 1, "policy": {"reserved_one": 1, "other_low": 0x30000 & 0x1FFFF},
           "family_id": pattern(16, 3), "image_id": pattern(16, 5), "vmpl": 0,
           "signature_algo": 1, "signer_info": {"signing_key": 1, "mask_chip_key": 0,
                                                "author_key_en": 1},
           "report_data": pattern(64, 9), "measurement": pattern(48, 11),
           "host_data": pattern(32, 13), "id_key_digest": pattern(48, 15),
           "author_key_digest": pattern(48, 17), "report_id": pattern(32, 19),
           "report_id_ma": pattern(32, 21), "chip_id": pattern(64, 23),
           "signature": {"r": pattern(72, 25), "s": pattern(72, 27)}}
    c.structure(pf, "platform.snp_attestation_report.vlek", "snp_attestation_report", rep,
                "A version 2 report for VMPL 0 signed with the VLEK.")
    c.structure(pf, "platform.snp_attestation_report.max-valid", "snp_attestation_report",
                dict(rep, version=ONES32, guest_svn=ONES32, vmpl=ONES32,
                     policy={"other_low": 0x1FFFF, "reserved_one": 1, "other_mid": 7},
                     signer_info={"author_key_en": 1, "mask_chip_key": 1, "signing_key": 7},
                     signature={"r": b"\xff" * 72, "s": b"\xff" * 72, "reserved": b"\xff" * 368}),
                "All settable policy and signer-info bits, no signing key (7), all-ones "
                "signature.", ["boundary", "all-ones"])
    c.structure(pf, "platform.snp_report_signature.zero-reserved", "snp_report_signature",
                {"r": pattern(72, 1), "s": pattern(72, 2)}, "R and S, reserved zero.")
    c.bitfield(pf, "platform.snp_report_policy.typical", "snp_report_policy",
               {"reserved_one": 1, "other_low": 0x10000 & 0x1FFFF}, "Bit 17 set plus SMT-like bit 16.")
    c.bitfield(pf, "platform.snp_report_policy.max-valid", "snp_report_policy", 0x1FFFFF,
               "Bits 20:0 all set; 63:21 must be zero.", ["boundary", "all-ones"])
    c.bitfield(pf, "platform.snp_report_signer_info.vcek", "snp_report_signer_info",
               {"signing_key": 0}, "VCEK, no author key.")
    c.bitfield(pf, "platform.snp_report_signer_info.max-valid", "snp_report_signer_info", 0x1F,
               "Bits 4:0 all set (signing key 7 = none).", ["boundary", "all-ones"])

    # ---- vTPM --------------------------------------------------------------------------
    vt = "vtpm"
    tpm_cmd = bytes.fromhex("80010000000c00000144" "0000")  # TPM2_Startup(CLEAR)
    c.structure(vt, "vtpm.vtpm_send_command_req.startup", "vtpm_send_command_req",
                {"command": 8, "locality": 0, "command_size": len(tpm_cmd), "tpm_command": tpm_cmd},
                "TPM_SEND_COMMAND with TPM2_Startup(SU_CLEAR).")
    c.structure(vt, "vtpm.vtpm_send_command_req.max-size", "vtpm_send_command_req",
                {"command": 8, "locality": 0, "command_size": 4087, "tpm_command": pattern(4087, 4)},
                "A 4087-byte TPM command fills the 4096-byte buffer.", ["boundary", "page-end"])
    tpm_rsp = bytes.fromhex("80010000000a00000000")
    c.structure(vt, "vtpm.vtpm_send_command_resp.success", "vtpm_send_command_resp",
                {"response_size": len(tpm_rsp), "tpm_response": tpm_rsp}, "TPM_RC_SUCCESS.")
    c.structure(vt, "vtpm.vtpm_send_command_resp.max-size", "vtpm_send_command_resp",
                {"response_size": 4092, "tpm_response": pattern(4092, 6)},
                "A 4092-byte response fills the buffer.", ["boundary", "page-end"])
    c.structure(vt, "vtpm.vtpm_cmd_request_header.send-command", "vtpm_cmd_request_header",
                {"command": 8}, "Platform command 8.")
    c.structure(vt, "vtpm.vtpm_cmd_response_header.all-ones", "vtpm_cmd_response_header",
                {"response_size": ONES32}, "All-ones.", ["boundary", "all-ones"])
    c.bitfield(vt, "vtpm.vtpm_query_commands.send-command", "vtpm_query_commands",
               {"send_command": 1}, "COCONUT: 0x100.")
    c.bitfield(vt, "vtpm.vtpm_query_commands.all-defined", "vtpm_query_commands",
               {f: 1 for f, _m, _l in BITFIELDS["vtpm_query_commands"][1]},
               "Every defined MSSIM command bit.", ["boundary", "all-ones"])
    c.registers(vt, "vtpm.query.request", "vtpm.query", "request", {}, "No arguments.")
    c.registers(vt, "vtpm.query.response", "vtpm.query", "response",
                {"result": 0, "commands": {"send_command": 1}, "features": 0},
                "RCX = 0x100, RDX = 0.")
    c.registers(vt, "vtpm.cmd.request", "vtpm.cmd", "request", {"buffer_gpa": 0x7A000000},
                "Buffer page with TPM2_Startup.",
                memory=[(0x7A000000, "vtpm_send_command_req", encode_struct(
                    "vtpm_send_command_req", {"command": 8, "command_size": len(tpm_cmd),
                                              "tpm_command": tpm_cmd}))])
    c.registers(vt, "vtpm.cmd.response", "vtpm.cmd", "response", {"result": 0x80000006},
                "INVALID_REQUEST (vTPM not powered on).")

    # ---- APIC ----------------------------------------------------------------------------
    ap = "apic"
    c.bitfield(ap, "apic.apic_configure_vector.enable-vector-0x30", "apic_configure_vector",
               {"vector": 0x30, "enable": 1}, "Allow host delivery of vector 0x30.", ["draft"])
    c.bitfield(ap, "apic.apic_configure_vector.all-ones", "apic_configure_vector", 0x3FF,
               "Bits 9:0 set (all vectors, enable, vector 0xff).", ["boundary", "all-ones", "draft"])
    c.registers(ap, "apic.query-features.request", "apic.query-features", "request", {},
                "No arguments.", ["draft"])
    c.registers(ap, "apic.query-features.response", "apic.query-features", "response",
                {"result": 0, "features": 0}, "COCONUT: no features.", ["draft"])
    c.registers(ap, "apic.configure.request", "apic.configure", "request", {"action": 2},
                "Register.", ["draft"])
    c.registers(ap, "apic.configure.response", "apic.configure", "response",
                {"result": 0x80001000}, "SVSM_ERR_APIC_CANNOT_REGISTER.", ["draft"])
    c.registers(ap, "apic.read-register.request", "apic.read-register", "request",
                {"msr": 0x802}, "Read APIC_ID.", ["draft"])
    c.registers(ap, "apic.read-register.response", "apic.read-register", "response",
                {"result": 0, "value": 0x3}, "APIC ID 3.", ["draft"])
    c.registers(ap, "apic.write-register.request", "apic.write-register", "request",
                {"msr": 0x808, "value": 0x20}, "Write TPR.", ["draft"])
    c.registers(ap, "apic.write-register.response", "apic.write-register", "response",
                {"result": 0}, "Success.", ["draft"])
    c.registers(ap, "apic.configure-vector.request", "apic.configure-vector", "request",
                {"config": {"all_vectors": 1, "enable": 1}}, "Enable all vectors.", ["draft"])
    c.registers(ap, "apic.configure-vector.response", "apic.configure-vector", "response",
                {"result": 0}, "Success.", ["draft"])
    c.registers(ap, "apic.configure-vector.reserved-bit-10", "apic.configure-vector", "request",
                {"config": 0x530}, "Reserved bit 10 set.", ["mbz", "draft"], valid=False,
                rule="apic.configure-vector.reserved-bits",
                mbz={"bitfield": "apic_configure_vector", "value": "0x530"})

    # ---- UEFI MM ---------------------------------------------------------------------
    um = "uefimm"
    c.structure(um, "uefimm.uefimm_communicate_header.variable", "uefimm_communicate_header",
                {"header_guid": "ed32d533-99e6-4209-9cc0-2d72cdd998a7", "message_length": 16,
                 "data": pattern(16, 8)}, "A 16-byte message to the variable MM handler.", ["draft"])
    c.structure(um, "uefimm.uefimm_communicate_header.empty", "uefimm_communicate_header",
                {"header_guid": "ffffffff-ffff-ffff-ffff-ffffffffffff", "message_length": 0},
                "Header only (24 bytes).", ["boundary", "draft"])
    c.structure(um, "uefimm.uefimm_service_manifest.coconut", "uefimm_service_manifest",
                {"version": 0, "flags": {"secure_boot_enabled": 1}}, "Secure boot enabled.",
                ["draft"])
    c.bitfield(um, "uefimm.uefimm_service_manifest_flags.all-ones",
               "uefimm_service_manifest_flags", ONES32,
               "All-ones (reserved bits 31:3 are not must-be-zero).", ["boundary", "all-ones", "draft"])
    c.registers(um, "uefimm.request.request", "uefimm.request", "request",
                {"buffer": 0x7A000000, "size": 0x1000}, "One-page buffer.", ["draft"],
                memory=[(0x7A000000, "uefimm_communicate_header", encode_struct(
                    "uefimm_communicate_header", {"header_guid": UEFIMM_GUID, "message_length": 8,
                                                  "data": pattern(8, 1)}))])
    c.registers(um, "uefimm.request.response", "uefimm.request", "response", {"result": 0},
                "Success.", ["draft"])
    c.registers(um, "uefimm.request.rcx-misaligned", "uefimm.request", "request",
                {"buffer": 0x7A000800, "size": 0x1000}, "Buffer not page aligned.",
                ["alignment", "draft"], valid=False, rule="uefimm.request.buffer-not-page-aligned")
    c.registers(um, "uefimm.request.rcx-zero", "uefimm.request", "request",
                {"buffer": 0, "size": 0x1000}, "RCX = 0.", ["draft"], valid=False,
                rule="uefimm.request.rcx-zero")

    # ---- OCP ---------------------------------------------------------------------------
    oc = "ocp"
    c.structure(oc, "ocp.ocp_object_details.svsm", "ocp_object_details",
                {"object_index": 0, "category": 0, "source_count": 3}, "The SVSM object.",
                ["proposed"])
    name = b"svsm.version".ljust(112, b"\0")
    c.structure(oc, "ocp.ocp_source_details.writable-string", "ocp_source_details",
                {"object_index": 0, "source_index": 2, "type": 2, "flags": {"writable": 1},
                 "name": name}, "A writable string source.", ["proposed"])
    c.bitfield(oc, "ocp.ocp_source_flags.all-ones", "ocp_source_flags", ONES32, "All-ones.",
               ["boundary", "all-ones", "proposed"])
    c.bitfield(oc, "ocp.ocp_list_sources_selector.object-1", "ocp_list_sources_selector",
               {"object": 1, "first_source": 4}, "Object 1 from source 4.", ["proposed"])
    c.bitfield(oc, "ocp.ocp_source_selector.all-ones", "ocp_source_selector", ONES64,
               "All-ones.", ["boundary", "all-ones", "proposed"])
    c.registers(oc, "ocp.list-objects.request", "ocp.list-objects", "request",
                {"first_object": 0, "buffer": 0x7A000000, "size": 4092}, "341 records.",
                ["proposed"])
    c.registers(oc, "ocp.list-objects.response", "ocp.list-objects", "response",
                {"result": 0, "bytes_written": 12}, "One record.", ["proposed"])
    c.registers(oc, "ocp.list-object-sources.request", "ocp.list-object-sources", "request",
                {"selector": {"object": 0, "first_source": 0}, "buffer": 0x7A000000,
                 "size": 4096}, "32 records.", ["proposed"])
    c.registers(oc, "ocp.list-object-sources.response", "ocp.list-object-sources", "response",
                {"result": 0, "bytes_written": 384}, "Three records.", ["proposed"])
    c.registers(oc, "ocp.read.request", "ocp.read", "request",
                {"selector": {"object": 0, "source": 1}, "buffer": 0x7A000000, "size": 64,
                 "offset": 0}, "Read 64 bytes.", ["proposed"])
    c.registers(oc, "ocp.read.response", "ocp.read", "response",
                {"result": 0, "bytes_read": 8}, "Eight bytes read.", ["proposed"])
    c.registers(oc, "ocp.write.request", "ocp.write", "request",
                {"selector": {"object": 0, "source": 2}, "buffer": 0x7A000000, "size": 4,
                 "offset": 0}, "Write 4 bytes.", ["proposed"])
    c.registers(oc, "ocp.write.response", "ocp.write", "response",
                {"result": 0x80000002, "bytes_written": 0}, "UNSUPPORTED_CALL.", ["proposed"])
    c.registers(oc, "ocp.list-objects.rdx-misaligned", "ocp.list-objects", "request",
                {"first_object": 0, "buffer": 0x7A000004, "size": 12}, "Buffer not 8-byte aligned.",
                ["alignment", "proposed"], valid=False, rule="ocp.list-objects.buffer-alignment")

    # ---- reboot ------------------------------------------------------------------------
    rb = "reboot"
    c.structure(rb, "reboot.reboot_service_manifest.v0", "reboot_service_manifest", {},
                "Version 0, flags 0.", ["proposed"])
    c.registers(rb, "reboot.execute.request", "reboot.execute", "request", {"flags": 0},
                "RCX = 0.", ["proposed"])
    c.registers(rb, "reboot.execute.response", "reboot.execute", "response",
                {"result": 0x80000005}, "INVALID_PARAMETER.", ["proposed"])

    return c.files


def render(cases):
    doc = {"format": FORMAT, "spec_revision": SPEC_REVISION, "notes": NOTES, "cases": cases}
    return json.dumps(doc, indent=1) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "vectors", "codec"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = build()
    stale = []
    for name, cases in sorted(files.items()):
        path = os.path.join(args.out, name + ".json")
        text = render(cases)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(path)
            except OSError:
                stale.append(path)
        else:
            os.makedirs(args.out, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if args.check:
        extra = sorted(set(f for f in os.listdir(args.out) if f.endswith(".json")) -
                       set(n + ".json" for n in files))
        stale += [os.path.join(args.out, f) for f in extra]
        for p in stale:
            print("out of date: %s (run tools/make-codec-vectors.py)" % p, file=sys.stderr)
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
