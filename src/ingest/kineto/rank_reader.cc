// SPDX-License-Identifier: Apache-2.0
// ReadKinetoRank: one file -> one finished RankTrace.
#include <fmt/core.h>

#include "ingest/kineto/event_parser.h"
#include "ingest/kineto/kineto_reader.h"
#include "ingest/kineto/stream_reader.h"
#include "ingest/kineto/top_level.h"
#include "model/rank_builder.h"

namespace trainscope::ingest::kineto {

Result<model::RankTrace> ReadKinetoRank(ByteSource& source, RankFileInfo* info,
                                        Diagnostics* diagnostics) {
  model::RankTraceBuilder builder(-1, source.path());
  // ~300 bytes per Kineto event: reserving avoids regrowing (and re-touching) big columns.
  if (!source.compressed()) builder.Reserve(source.file_size() / 300);
  EventBatchParser parser(&builder, diagnostics, source.path());
  StreamReader reader(&source, &parser);
  TS_RETURN_IF_ERROR(reader.Run());
  parser.Finish();
  TS_RETURN_IF_ERROR(DecodeTopLevel(source.path(), reader.top_values, info, &reader.top_value_offsets));
  info->events_in_file = reader.event_count;
  for (const model::ProcessGroup& pg : info->pg_config) builder.AddProcessGroup(pg);
  model::RankTrace trace = std::move(builder).Finish(info->base_time_ns, diagnostics);
  trace.rank = info->rank;
  return trace;
}

}  // namespace trainscope::ingest::kineto
