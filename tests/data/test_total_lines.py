"""合计 lines found while a file streams past: the same lines whatever the block boundaries,
as the plain reading of every line finds them."""

from __future__ import annotations

import csv

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.data.header_rows import is_total_row
from kaohe.data.total_lines import TotalLines

CELLS = st.sampled_from(
    ["130102", "合计", "合 计", "小计：", "会计", "统计局", "", "7", "全县总计"]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(CELLS, min_size=3, max_size=4), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=64),
)
def test_the_lines_found_do_not_depend_on_the_blocks(tmp_path_factory, rows, block):
    path = tmp_path_factory.mktemp("totals") / "f.csv"
    content = "".join(",".join(row) + "\n" for row in rows).encode("utf-8")
    path.write_bytes(content)
    finder = TotalLines()
    for start in range(0, len(content), block):
        finder.feed(content[start : start + block])
    expected = [n for n, row in enumerate(csv.reader(content.decode().splitlines()), 1)
                if is_total_row(row)]  # fmt: skip
    assert finder.totals(path, ",") == expected
