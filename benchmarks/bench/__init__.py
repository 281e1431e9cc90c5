"""`rag bench`: how build and question costs grow with the corpus, beside a plain LangChain script.

Every measurement is a worker function run in a freshly spawned process, so that peak memory (RSS)
belongs to that step alone; cold start is a real process start. Results are kept
in `<work>/results.json`, one entry per (system, size, step), so each size can be run on its own
(the largest in the background) and the table printed from all of them with `rag bench --report`.
Stores are built under `<work>` (default: the cache folder), never inside the project.
"""

from .corpus import SIZES
from .report import table
from .runner import BenchConfig, Results, run_bench

__all__ = ["SIZES", "BenchConfig", "Results", "run_bench", "table"]
