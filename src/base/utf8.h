// SPDX-License-Identifier: Apache-2.0
// UTF-8 validation for inputs (where is the first bad byte) and outputs (JSON and HTML must be
// valid UTF-8 whatever bytes a machine name or an op name brought in).
// Valid means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace trainscope {

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 if s[i] does not
// start one.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Offset of the first byte that does not start a valid UTF-8 sequence; npos when `s` is valid.
size_t FirstInvalidUtf8(std::string_view s);

// Appends `s` to `out` with every byte that does not start a valid sequence written as the text
// "\xnn" (lowercase hex), so the output is valid UTF-8 and the byte can still be read off it.
// Returns the number of bytes so escaped.
size_t AppendUtf8Escaped(std::string& out, std::string_view s);

// `s` for a terminal line or a log: valid UTF-8 kept, control bytes (a NUL would cut a C string
// short, an escape sequence would drive the terminal) and invalid bytes written as "\xnn".
std::string PrintableText(std::string_view s);

// `s` with every byte outside printable ASCII written as "\xnn": for quoting raw bytes of a
// binary input (a bad magic, a stray byte) where a multi-byte character cannot be assumed.
std::string PrintableAscii(std::string_view s);

}  // namespace trainscope
