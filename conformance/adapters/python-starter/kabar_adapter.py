#!/usr/bin/env python3
"""Kabar conformance adapter: STARTER TEMPLATE, not a working client.

It speaks the adapter framing (docs/spec/conformance.md): every message on
stdin and stdout is a 4-byte BIG-endian length followed by one serialized
AdapterRequest (stdin) or AdapterResponse (stdout), as defined in
proto/kabar/conformance/v1/adapter.proto. It answers Describe and Reset and
returns an UNSUPPORTED error for every other operation, so the kit's
handshake works and every rule of a declared profile FAILS until you wire
the operations to your implementation.

Only the Python standard library is used: the few protobuf fields needed are
encoded by hand below. Once you implement real operations, generate
adapter_pb2.py with `protoc` (see README.md) and replace the hand encoding.

Rules this file follows: CONF-ADAPTER-001 (nothing but frames on stdout;
diagnostics on stderr), CONF-ADAPTER-003 (one response per request, same id,
in order), CONF-ADAPTER-005 (Describe), CONF-ADAPTER-006 (UNSUPPORTED instead
of exiting), CONF-ADAPTER-008 (exit when stdin closes).
"""
import struct
import sys

IMPLEMENTATION = "python-starter"
VERSION = "0.0.0"
SPEC_VERSION = "1"
KIND_CLIENT = 1  # AdapterKind.ADAPTER_KIND_CLIENT
PROFILE_CORE = 1  # AdapterProfile.ADAPTER_PROFILE_CORE
CONTRACT_VERSION = 1
MAX_FRAME = 16 * 1024 * 1024  # CONF-ADAPTER-002

# AdapterRequest.op / AdapterResponse.result field numbers (adapter.proto).
OP_DESCRIBE = 2
OP_RESET = 3
OP_NAMES = {
    2: "describe", 3: "reset", 4: "create_account", 5: "link_device", 6: "send_text", 7: "edit_text",
    8: "delete_message", 9: "react", 10: "mark_read", 11: "send_document", 12: "fetch_document",
    13: "sync_now", 14: "go_offline", 15: "go_online", 16: "create_conversation", 17: "change_members",
    18: "get_visible_state", 19: "get_state_digest", 20: "start_server", 21: "restart_server", 22: "decode",
}
RESULT_ERROR = 100
ERROR_UNSUPPORTED = 1  # AdapterErrorKind.ADAPTER_ERROR_KIND_UNSUPPORTED
ERROR_INVALID_REQUEST = 2


def log(text):
    """Diagnostics go to stderr; the kit records them in its transcript."""
    print(f"[{IMPLEMENTATION}] {text}", file=sys.stderr, flush=True)


# --- minimal protobuf wire encoding -------------------------------------

def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data, pos):
    value = 0
    shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, payload):
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def field_string(number, text):
    return field_bytes(number, text.encode("utf-8"))


def parse_request(data):
    """Returns (id, op field number, op payload) of an AdapterRequest."""
    pos = 0
    request_id = 0
    op = None
    payload = b""
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
            if number == 1:
                request_id = value
        elif wire == 2:
            length, pos = read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("length out of bounds")
            if number != 1:
                op, payload = number, data[pos:pos + length]
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"wire type {wire}")
    return request_id, op, payload


def response(request_id, result_number, body):
    return field_varint(1, request_id) + field_bytes(result_number, body)


def error(request_id, kind, message):
    return response(request_id, RESULT_ERROR, field_varint(1, kind) + field_string(2, message))


# --- operations ----------------------------------------------------------

def describe():
    return b"".join([
        field_string(1, IMPLEMENTATION),
        field_string(2, VERSION),
        field_bytes(3, varint(PROFILE_CORE)),  # repeated enum, packed
        field_string(4, SPEC_VERSION),
        field_varint(5, KIND_CLIENT),
        field_varint(6, CONTRACT_VERSION),
    ])


def handle(data):
    try:
        request_id, op, _payload = parse_request(data)
    except ValueError as problem:
        log(f"malformed request: {problem}")
        return error(0, ERROR_INVALID_REQUEST, f"malformed AdapterRequest: {problem}")
    if op == OP_DESCRIBE:
        return response(request_id, OP_DESCRIBE, describe())
    if op == OP_RESET:
        # A real adapter drops every account, device and handle here and
        # seeds its randomness from the request's seed (CONF-ADAPTER-007/009).
        return response(request_id, OP_RESET, b"")
    name = OP_NAMES.get(op, f"field {op}")
    return error(request_id, ERROR_UNSUPPORTED, f"{IMPLEMENTATION} is a starter template: {name} is not implemented")


# --- framing -------------------------------------------------------------

def read_exact(stream, size):
    chunks = bytearray()
    while len(chunks) < size:
        chunk = stream.read(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def main():
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    log("ready")
    while True:
        header = read_exact(stdin, 4)
        if header is None:
            return 0  # stdin closed: exit (CONF-ADAPTER-008)
        (length,) = struct.unpack(">I", header)  # big-endian (CONF-ADAPTER-001)
        if length > MAX_FRAME:
            log(f"frame of {length} bytes exceeds the limit")
            return 1
        body = read_exact(stdin, length)
        if body is None:
            return 0
        out = handle(body)
        stdout.write(struct.pack(">I", len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
