"""A CSV's bytes are hashed and scanned in one pass, on two threads: the hash is the file's
sha256 whatever the blocks, and the scan's findings (blank lines, long lines) do not depend on
where the blocks end."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.data.files import MAX_LINE_BYTES, CsvScanner, sha256_of
from kaohe.data.header_rows import SEARCH_ROWS
from kaohe.data.readers import _hash_and_scan, prepare
from kaohe.data.schemas import load_schema
from kaohe.data.total_lines import TotalLines
from kaohe.errors import DataError

BLOCK = 1 << 20


def test_the_hash_taken_while_scanning_is_the_files_sha256(tmp_path):
    path = tmp_path / "persons.csv"
    line = b"130224,130224198301010008,1302240000001,36,\xe7\x94\xb7,true,true,false,2019\n"
    path.write_bytes(b"unit,person_id,household_id,age,sex,a,b,c,period\n" + line * 40_000)
    assert path.stat().st_size > 2 * BLOCK  # several blocks, hashed in order
    digest, _ = _hash_and_scan(path, CsvScanner(path), TotalLines())
    assert digest == sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_long_line_found_by_the_scanning_thread_is_the_error(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 300_000 + b"x" * (MAX_LINE_BYTES + 10) + b"\n")
    with pytest.raises(DataError, match="line 300002"):
        _hash_and_scan(path, CsvScanner(path))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([b"1,2\n", b"1,2\r\n", b"\n", b"\r\n", b'"x",y\n']), max_size=12),
    st.integers(min_value=2, max_value=9),  # a block holds at least the 2 bytes carried over
)
def test_a_blank_line_is_found_wherever_the_blocks_end(tmp_path_factory, lines, block):
    content = b"a,b\n" + b"".join(lines)
    scanner = CsvScanner(tmp_path_factory.mktemp("scan") / "f.csv")
    for start in range(0, len(content), block):
        scanner.feed(content[start : start + block])
    assert scanner.blank == (b"\n\n" in content or b"\n\r\n" in content)
    assert scanner.quote_count == content.count(b'"')
    assert scanner.lines == content.count(b"\n")


def _findings(path, header: str, rows: int) -> None:
    lines = [f"52011{i % 10},档案不全,{i},2019\n" for i in range(rows)]
    path.write_text(header + "".join(lines) + '合 计,,"1,002",\n', encoding="utf-8")


def test_an_offices_file_beyond_one_block_has_its_totals_row_found(tmp_path):
    """The head read from the first block says "an office's": the 合计 finder sees every block."""
    path = tmp_path / "问题清单.csv"
    _findings(path, "2019年审计发现问题清单\n区划代码,问题类别,问题数量（件）,考核年度\n", 80_000)
    assert path.stat().st_size > 2 * BLOCK
    columns = load_schema("findings").model.columns
    found = prepare(path, tmp_path, columns=columns, source="findings")
    assert (found.office, found.header_row, found.totals) == (True, 2, (80_003,))
    assert found.total_rows == (80_001,)


def test_a_file_with_our_ids_on_line_1_is_not_searched_for_totals(tmp_path):
    path = tmp_path / "findings.csv"
    header = ",".join(load_schema("findings").model.columns) + "\n"
    _findings(path, header, 80_000)
    scan = _hash_and_scan(path, CsvScanner(path), TotalLines(), lambda head: False)[1]
    assert scan.head[0] == header and len(scan.head) == SEARCH_ROWS and not scan.totals_fed
    found = prepare(path, tmp_path, columns=load_schema("findings").model.columns)
    assert (found.office, found.header_row, found.totals) == (False, 1, ())
