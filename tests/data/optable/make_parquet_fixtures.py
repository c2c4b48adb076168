#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the small Parquet fixtures of the op-table Parquet reader, byte by byte (no pyarrow).

Usage: make_parquet_fixtures.py [OUT_DIR]   (default: this script's folder)

The footer and page headers are Thrift compact protocol, written by the tiny writer below after
apache/parquet-format's parquet.thrift; values are PLAIN or dictionary-encoded (RLE /
bit-packed hybrid indices, Encodings.md); pages are UNCOMPRESSED, GZIP (zlib) or SNAPPY (a
literal-only snappy stream, which every snappy decoder reads). Each fixture is described in
README.md; the error fixtures are good files with one field made wrong. Output is deterministic.
"""
import math
import os
import struct
import sys
import zlib

# parquet.thrift enums
BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY = 0, 1, 2, 3, 4, 5, 6
REQUIRED, OPTIONAL = 0, 1
PLAIN, PLAIN_DICTIONARY, RLE, DELTA_BINARY_PACKED, RLE_DICTIONARY = 0, 2, 3, 5, 8
UNCOMPRESSED, SNAPPY, GZIP, ZSTD = 0, 1, 2, 6
DATA_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = 0, 2, 3
# Thrift compact wire types
T_TRUE, T_FALSE, T_I32, T_I64, T_BINARY, T_LIST, T_STRUCT = 1, 2, 5, 6, 8, 9, 12


class Thrift:
    """Thrift compact protocol writer (structs, i32, i64, binary, bool, lists)."""

    def __init__(self):
        self.out = bytearray()
        self.last = [0]

    def varint(self, v):
        while True:
            byte = v & 0x7F
            v >>= 7
            if v:
                self.out.append(byte | 0x80)
            else:
                self.out.append(byte)
                return

    @staticmethod
    def zigzag(v):
        return v << 1 if v >= 0 else ((-v) << 1) - 1

    def field(self, fid, wire):
        delta = fid - self.last[-1]
        if 0 < delta <= 15:
            self.out.append((delta << 4) | wire)
        else:  # long form: type byte, then the id as a zigzag varint
            self.out.append(wire)
            self.varint(self.zigzag(fid))
        self.last[-1] = fid

    def i32(self, fid, v):
        self.field(fid, T_I32)
        self.varint(self.zigzag(v))

    def i64(self, fid, v):
        self.field(fid, T_I64)
        self.varint(self.zigzag(v))

    def binary(self, fid, data):
        data = data.encode() if isinstance(data, str) else data
        self.field(fid, T_BINARY)
        self.varint(len(data))
        self.out += data

    def boolean(self, fid, v):
        self.field(fid, T_TRUE if v else T_FALSE)

    def begin(self, fid=None):  # a struct field (fid) or a struct list element (None)
        if fid is not None:
            self.field(fid, T_STRUCT)
        self.last.append(0)

    def end(self):
        self.out.append(0)
        self.last.pop()

    def list_header(self, fid, wire, n):
        self.field(fid, T_LIST)
        if n < 15:
            self.out.append((n << 4) | wire)
        else:
            self.out.append(0xF0 | wire)
            self.varint(n)


def uleb(v):
    t = Thrift()
    t.varint(v)
    return bytes(t.out)


def hybrid(values, bit_width):
    """RLE / bit-packed hybrid: an RLE run when all values are equal, else bit-packed groups."""
    if not values:
        return b""
    nbytes = (bit_width + 7) // 8
    if len(set(values)) == 1:
        return uleb(len(values) << 1) + values[0].to_bytes(nbytes, "little")
    groups = (len(values) + 7) // 8
    bits = 0
    for i, v in enumerate(values):
        bits |= v << (i * bit_width)
    return uleb((groups << 1) | 1) + bits.to_bytes(groups * bit_width, "little")


def plain(ptype, values):
    if ptype == INT32:
        return b"".join(struct.pack("<i", v) for v in values)
    if ptype == INT64:
        return b"".join(struct.pack("<q", v) for v in values)
    if ptype == FLOAT:
        return b"".join(struct.pack("<f", v) for v in values)
    if ptype == DOUBLE:
        return b"".join(struct.pack("<d", v) for v in values)
    if ptype == BYTE_ARRAY:
        return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)
    if ptype == BOOLEAN:
        bits = sum(1 << i for i, v in enumerate(values) if v)
        return bits.to_bytes((len(values) + 7) // 8, "little")
    raise ValueError(ptype)


def snappy_literal(data):
    """A valid snappy stream holding `data` as literals only."""
    out = bytearray(uleb(len(data)))
    for start in range(0, len(data), 65536):
        chunk = data[start:start + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + n.to_bytes(2, "little")
        out += chunk
    return bytes(out)


def compress(codec, data):
    if codec == UNCOMPRESSED:
        return data
    if codec == GZIP:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper, as parquet-mr/pyarrow write
        return c.compress(data) + c.flush()
    if codec == SNAPPY:
        return snappy_literal(data)
    return data  # other codecs: the bytes are never read (the reader refuses the codec first)


def page_header(ptype, uncompressed, compressed, body_fields):
    t = Thrift()
    t.begin()
    t.i32(1, ptype)
    t.i32(2, uncompressed)
    t.i32(3, compressed)
    body_fields(t)
    t.end()
    return bytes(t.out)


# The op table the good fixtures hold (values exact in float32, like the artifact's).
ROWS = [
    # dp_rank, stage, rank, step, optype, start_ts, duration, seq_id, mc, mb_id, gmc
    (0, 0, 0, 1, "forward-compute", 0.5, 0.25, 0, 0, 0, 0),
    (0, 1, 1, 1, "forward-compute", 0.75, 0.25, 0, 0, 0, 0),
    (1, 0, 2, 1, "backward-compute", 1.0, 0.125, 1, -1, 1, -1),
    (1, 1, 3, 1, "optimizer", 1.5, 0.0625, 0, -1, -1, -1),
    (0, 0, 0, 2, "forward-compute", 0.5, 0.25, 0, 0, 0, 0),
]
NAMES = ["dp_rank", "stage", "rank", "step", "optype", "start_ts", "duration", "seq_id", "mc",
         "mb_id", "gmc"]


def op_columns(time_type=FLOAT, repetition=OPTIONAL, dictionary=True):
    types = [INT32, INT32, INT32, INT64, BYTE_ARRAY, time_type, time_type, INT32, INT32, INT32,
             INT32]
    return [dict(name=n, type=t, repetition=repetition, dictionary=dictionary,
                 values=[row[i] for row in ROWS]) for i, (n, t) in enumerate(zip(NAMES, types))]


def write_chunk(out, col, rows, codec, version, page_rows, fault):
    """Appends one column chunk's pages to `out`; returns its ColumnMetaData fields."""
    values = col["values"][rows[0]:rows[1]]
    optional = col["repetition"] == OPTIONAL
    start = len(out)
    dict_offset = None
    encodings = {PLAIN, RLE}
    if col["dictionary"]:
        dictionary = []
        for v in values:
            if v is not None and v not in dictionary:
                dictionary.append(v)
        body = plain(col["type"], dictionary)
        comp = compress(codec, body)
        dict_offset = len(out)
        out += page_header(DICTIONARY_PAGE, len(body), len(comp), lambda t: (
            t.begin(7), t.i32(1, len(dictionary)), t.i32(2, PLAIN), t.end()))
        out += comp
        encodings.add(RLE_DICTIONARY)
    data_offset = len(out)
    for first in range(0, len(values), page_rows):
        page = values[first:first + page_rows]
        present = [v for v in page if v is not None]
        levels = hybrid([0 if v is None else 1 for v in page], 1) if optional else b""
        if col["dictionary"]:
            index = [dictionary.index(v) for v in present]
            if fault.get("dict_index") == col["name"]:
                index[-1] = len(dictionary) + 5
            width = max(1, max(len(dictionary) - 1, *index).bit_length())
            encoded = bytes([width]) + hybrid(index, width)
            encoding = RLE_DICTIONARY
        else:
            encoded = plain(col["type"], present)
            encoding = PLAIN
        if fault.get("encoding_of") == col["name"]:
            encoding = fault["encoding"]
        num_values = len(page) + (fault.get("extra_values", 0) if fault.get("values_of") ==
                                  col["name"] else 0)
        if version == 1:
            body = (struct.pack("<I", len(levels)) + levels if optional else b"") + encoded
            comp = compress(codec, body)
            header = page_header(DATA_PAGE, len(body), len(comp), lambda t: (
                t.begin(5), t.i32(1, num_values), t.i32(2, encoding), t.i32(3, RLE),
                t.i32(4, RLE), t.end()))
        else:
            comp_values = compress(codec, encoded)
            comp = levels + comp_values
            header = page_header(DATA_PAGE_V2, len(levels) + len(encoded), len(comp),
                                 lambda t: (t.begin(8), t.i32(1, num_values),
                                            t.i32(2, len(page) - len(present)),
                                            t.i32(3, len(page)), t.i32(4, encoding),
                                            t.i32(5, len(levels)), t.i32(6, 0),
                                            t.boolean(7, codec != UNCOMPRESSED), t.end()))
        if fault.get("page_size_of") == col["name"]:  # compressed_page_size past the chunk
            header = page_header(DATA_PAGE, len(comp), len(comp) + 1000, lambda t: (
                t.begin(5), t.i32(1, num_values), t.i32(2, encoding), t.i32(3, RLE),
                t.i32(4, RLE), t.end()))
        out += header + comp
    return dict(encodings=sorted(encodings), num_values=len(values), start=start,
                size=len(out) - start, data_offset=data_offset, dict_offset=dict_offset)


def parquet_file(columns, row_groups, codec=SNAPPY, version=1, page_rows=1 << 30, fault=None):
    fault = fault or {}
    out = bytearray(b"PAR1")
    groups = []
    first = 0
    for n in row_groups:
        chunks = [write_chunk(out, c, (first, first + n), codec, version, page_rows, fault)
                  for c in columns]
        groups.append((n, chunks))
        first += n
    t = Thrift()
    t.begin()
    t.i32(1, 2)  # version
    schema = [("schema", None)] + [(c["name"], c) for c in columns]
    if fault.get("nested"):
        schema.append(("group", "group"))
    t.list_header(2, T_STRUCT, len(schema))
    for i, (name, c) in enumerate(schema):
        t.begin()
        if i == 0:
            t.binary(4, name)
            t.i32(5, len(schema) - 1)
        elif c == "group":
            t.i32(3, OPTIONAL)
            t.binary(4, name)
            t.i32(5, 1)
        else:
            t.i32(1, c["type"])
            t.i32(3, c["repetition"])
            t.binary(4, name)
            if c["type"] == BYTE_ARRAY:  # converted_type UTF8 + logicalType STRING, as pyarrow
                t.i32(6, 0)
                t.begin(10)
                t.begin(1)
                t.end()
                t.end()
        t.end()
    t.i64(3, sum(row_groups))
    t.list_header(4, T_STRUCT, len(groups))
    for n, chunks in groups:
        t.begin()
        t.list_header(1, T_STRUCT, len(chunks))
        for c, chunk in zip(columns, chunks):
            t.begin()
            t.i64(2, chunk["start"])
            t.begin(3)
            t.i32(1, c["type"])
            t.list_header(2, T_I32, len(chunk["encodings"]))
            for e in chunk["encodings"]:
                t.varint(t.zigzag(e))
            t.list_header(3, T_BINARY, 1)
            t.varint(len(c["name"]))
            t.out += c["name"].encode()
            t.i32(4, fault.get("codec", codec))
            t.i64(5, chunk["num_values"])
            t.i64(6, chunk["size"])
            t.i64(7, chunk["size"])
            t.i64(9, chunk["data_offset"])
            if chunk["dict_offset"] is not None:
                t.i64(11, chunk["dict_offset"])
            t.begin(12)  # statistics: skipped by the reader
            t.i64(3, 0)
            t.end()
            t.end()
            t.end()
        t.i64(2, 0)  # total_byte_size
        t.i64(3, n)
        t.end()
    t.list_header(5, T_STRUCT, 1)  # key_value_metadata, as pandas writes: skipped
    t.begin()
    t.binary(1, "pandas")
    t.binary(2, '{"index_columns": []}')
    t.end()
    t.binary(6, "trainscope make_parquet_fixtures.py")
    t.i32(40, 7)  # an unknown field with a long-form id: skipped
    t.end()
    footer = bytes(t.out)
    out += footer + struct.pack("<I", len(footer)) + b"PAR1"
    return bytes(out)


def with_nulls():
    cols = op_columns()
    cols[4]["values"] = list(cols[4]["values"])
    cols[4]["values"][3] = None  # optype of row 3 is null
    return cols


def extra_columns():
    cols = op_columns(time_type=DOUBLE, repetition=REQUIRED, dictionary=False)
    cols.insert(0, dict(name="__index_level_0__", type=INT64, repetition=REQUIRED,
                        dictionary=False, values=list(range(len(ROWS)))))
    cols.append(dict(name="is_comm", type=BOOLEAN, repetition=REQUIRED, dictionary=False,
                     values=[False, False, True, False, True]))
    return cols


FIXTURES = {
    # Good files: the same 5-row op table in each.
    "ok_plain_required_v1.parquet":
        lambda: parquet_file(extra_columns(), [5], codec=UNCOMPRESSED),
    "ok_dict_snappy_v1.parquet": lambda: parquet_file(op_columns(), [3, 2], codec=SNAPPY),
    "ok_mixed_gzip_v2.parquet": lambda: parquet_file(
        [dict(c, dictionary=(i % 2 == 0)) for i, c in enumerate(op_columns(time_type=DOUBLE))],
        [2, 3], codec=GZIP, version=2, page_rows=2),
    "null_optype.parquet": lambda: parquet_file(with_nulls(), [5], codec=UNCOMPRESSED),
    # Error files.
    "err_zstd_codec.parquet": lambda: parquet_file(op_columns(), [5], fault={"codec": ZSTD}),
    "err_delta_encoding.parquet": lambda: parquet_file(
        op_columns(dictionary=False), [5], fault={"encoding_of": "step",
                                                  "encoding": DELTA_BINARY_PACKED}),
    "err_dict_index.parquet": lambda: parquet_file(op_columns(), [5],
                                                   fault={"dict_index": "optype"}),
    "err_more_values.parquet": lambda: parquet_file(op_columns(), [3, 2], fault={
        "values_of": "rank", "extra_values": 4}),
    "err_page_beyond_chunk.parquet": lambda: parquet_file(op_columns(), [5], codec=UNCOMPRESSED,
                                                          fault={"page_size_of": "duration"}),
    "err_nested.parquet": lambda: parquet_file(op_columns(), [5], fault={"nested": True}),
}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, make in FIXTURES.items():
        data = make()
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
