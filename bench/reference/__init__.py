"""Reference paths the benchmarks compare ours with (Node helpers and their Python side)."""
