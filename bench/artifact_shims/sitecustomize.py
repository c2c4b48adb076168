# SPDX-License-Identifier: Apache-2.0
# Loaded by Python at start-up when this folder is on PYTHONPATH (bench/artifact_pipeline.py puts it
# there). Debian 12 has no pyarrow, so the authors' scripts cannot read or write Parquet; their
# DataFrames go through pickle instead, at the same paths. Pickle round-trips a DataFrame at least
# as fast as pyarrow's Parquet, so this favours the baseline, never trainscope.
import pandas as _pd


def _read_parquet(path, *args, **kwargs):
    return _pd.read_pickle(path)


def _to_parquet(self, path, *args, **kwargs):
    self.to_pickle(path)


_pd.read_parquet = _read_parquet
_pd.DataFrame.to_parquet = _to_parquet
