// SPDX-License-Identifier: Apache-2.0
#include "model/gpu_datasheet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace trainscope::model {
namespace {

TEST(GpuDatasheet, KeysAreUniqueAndFound) {
  std::set<std::string> keys;
  for (const GpuDatasheet& row : GpuDatasheets()) {
    EXPECT_TRUE(keys.insert(row.key).second) << row.key;
    EXPECT_EQ(FindGpuDatasheet(row.key), &row);
    EXPECT_GT(row.sms, 0) << row.key;
    EXPECT_GT(row.peak_flops, 0) << row.key;
    EXPECT_GT(row.hbm_bytes, 0) << row.key;
  }
  EXPECT_EQ(FindGpuDatasheet("b300"), nullptr);
  EXPECT_EQ(FindGpuDatasheet("a100"), nullptr);  // the variant is part of the key
}

// Per-GPU figures from the system datasheets, divided by hand: DGX B200 (8 GPUs, 1,440 GB at
// 64 TB/s), GB300 NVL72 (72 GPUs, 20.1 TB at 576 TB/s; 360 PFLOP/s sparse bf16 = 2 x dense).
TEST(GpuDatasheet, SystemFiguresPerGpu) {
  const GpuDatasheet* b200 = FindGpuDatasheet("b200");
  ASSERT_NE(b200, nullptr);
  EXPECT_DOUBLE_EQ(b200->hbm_bytes, 1440e9 / 8);
  EXPECT_DOUBLE_EQ(b200->hbm_bw, 64e12 / 8);
  const GpuDatasheet* gb300 = FindGpuDatasheet("gb300");
  ASSERT_NE(gb300, nullptr);
  EXPECT_NEAR(gb300->hbm_bytes, 20.1e12 / 72, 0.5e9);
  EXPECT_DOUBLE_EQ(gb300->hbm_bw, 576e12 / 72);
  EXPECT_DOUBLE_EQ(gb300->peak_flops, 360e15 / 72 / 2);
  // The NVLink parts' link is half the both-ways figure; the A100 PCIe card's is PCIe 4.0 x16.
  EXPECT_DOUBLE_EQ(FindGpuDatasheet("h100")->link_bw, 900e9 / 2);
  EXPECT_TRUE(FindGpuDatasheet("a100-pcie")->pcie);
  EXPECT_FALSE(FindGpuDatasheet("a100-sxm")->has_fp8);
}

}  // namespace
}  // namespace trainscope::model
