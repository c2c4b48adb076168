// SPDX-License-Identifier: Apache-2.0
// Line iteration, the one copy for every line-based reader (metric CSV and Prometheus text,
// op tables, groups files, Minder model and profile files, metric mappings).
//
// A line is the text up to '\n', without the '\n' and without one '\r' before it (CRLF files
// read like LF files). A final line without '\n' is a line too (`terminated` says so); a '\n'
// at the very end does not start an empty line. Each line carries its 1-based number and the
// byte offset of its first byte, so errors can say "file:line" or "byte N". A UTF-8 byte order
// mark (EF BB BF) at the start of the text is skipped (line 1 then starts at byte 3), as editors
// on Windows write one.
//
//   LineReader lines(text);
//   while (std::optional<TextLine> line = lines.Next()) {
//     if (line->text.empty()) continue;
//     ... InvalidArgumentError("{}:{}: ...", origin, line->number) ...
//   }
//
// ForEachLine(ByteSource&, fn) does the same over a stream read in 1 MiB chunks (files too big
// to hold, gzip). Ownership: LineReader views a buffer the caller keeps alive; the lines view
// it too. Thread safety: none; one reader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_source.h"
#include "base/status.h"

namespace trainscope {

struct TextLine {
  std::string_view text;   // without the line end
  int64_t number = 0;      // 1-based
  size_t offset = 0;       // byte offset of the line's first byte in the buffer
  bool terminated = true;  // false for a last line without '\n'
};

class LineReader {
 public:
  // Reads `buffer` from byte `offset`; the line there gets number `first_number`.
  // Reading from the text's start (offset 0, line 1), a byte order mark is skipped.
  explicit LineReader(std::string_view buffer, size_t offset = 0, int64_t first_number = 1)
      : buffer_(buffer), pos_(offset), next_number_(first_number) {
    if (offset == 0 && first_number == 1 && buffer.starts_with(kUtf8Bom)) pos_ = kUtf8Bom.size();
  }

  static constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

  // The next line, or nullopt past the end.
  std::optional<TextLine> Next() {
    if (pos_ >= buffer_.size()) return std::nullopt;
    TextLine line;
    line.offset = pos_;
    line.number = next_number_++;
    const size_t nl = buffer_.find('\n', pos_);
    line.terminated = nl != std::string_view::npos;
    const size_t end = line.terminated ? nl : buffer_.size();
    line.text = buffer_.substr(pos_, end - pos_);
    if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
    pos_ = line.terminated ? nl + 1 : buffer_.size();
    return line;
  }

  // Byte offset of the next line (the buffer's size at the end), and the text from there.
  size_t position() const { return pos_; }
  std::string_view rest() const { return buffer_.substr(pos_); }
  bool done() const { return pos_ >= buffer_.size(); }

 private:
  std::string_view buffer_;
  size_t pos_;
  int64_t next_number_;
};

// Calls `on_line(std::string_view line)` -> Status for each line of `source`, read in chunks,
// with the line ends of LineReader; stops at the first error and returns it (or a read error).
// A line longer than a chunk is carried over whole.
template <typename OnLine>
Status ForEachLine(ByteSource& source, OnLine&& on_line) {
  std::string carry;  // the unfinished line of the previous chunk(s), then a whole chunk
  std::vector<char> chunk(size_t{1} << 20);
  bool bom_checked = false;
  while (true) {
    TS_ASSIGN_OR_RETURN(size_t got, source.Read(chunk.data(), chunk.size()));
    if (got == 0) break;
    carry.append(chunk.data(), got);
    if (!bom_checked && carry.size() >= LineReader::kUtf8Bom.size()) {  // the stream's start
      if (std::string_view(carry).starts_with(LineReader::kUtf8Bom))
        carry.erase(0, LineReader::kUtf8Bom.size());
      bom_checked = true;
    }
    // Line 2: not the text's start (no byte order mark check); these line numbers are not used.
    LineReader lines(carry, 0, 2);
    size_t consumed = 0;
    while (std::optional<TextLine> line = lines.Next()) {
      if (!line->terminated) break;  // may continue in the next chunk
      TS_RETURN_IF_ERROR(on_line(line->text));
      consumed = lines.position();
    }
    carry.erase(0, consumed);
  }
  if (!carry.empty()) {
    std::string_view last = carry;
    if (last.back() == '\r') last.remove_suffix(1);
    TS_RETURN_IF_ERROR(on_line(last));
  }
  return OkStatus();
}

}  // namespace trainscope
