"""The pure CSV table: parsing with line numbers, the number index, the search index."""

import io

import pytest

from ctid_csv.table import Format, Table, TableError, from_text, load

BOOK = """firstname,lastname,company,phone,mobile
Zoé,Martin,Acme,+33 6 12 34 56 78,
Jean,Dupont,"Foo, Bar",01 40 00 12 34,0033 7 00 00 00 01
broken,row
"Multi
Line",Name,X,+41 44 668 18 00,
,,,,
Anna,Martin,,06.00.00.00.01,+33 6 12 34 56 78
"""


def book() -> Table:
    return from_text(BOOK, Format(), ["firstname", "lastname", "company"], ["phone", "mobile"])


def names(records: list[dict[str, list[str]]]) -> list[str]:
    return [record["firstname"][0] for record in records]


def test_bad_rows_are_skipped_with_their_line_numbers() -> None:
    table = book()
    assert table.problems == ("line 4: expected 5 fields, got 2",)
    assert table.bad_rows == 1
    assert len(table.rows) == 4  # the multi-line row counts once; the empty one is skipped
    assert table.record(0) == {
        "firstname": ["Zoé"],
        "lastname": ["Martin"],
        "company": ["Acme"],
        "phone": ["+33 6 12 34 56 78"],
    }


def test_reverse_is_an_index_lookup_over_every_reverse_column() -> None:
    table = book()
    assert names(table.reverse(["+33612345678"], 10)) == ["Zoé", "Anna"]
    assert names(table.reverse(["+33612345678"], 1)) == ["Zoé"]
    assert names(table.reverse(["+33700000001"], 10)) == ["Jean"]
    assert names(table.reverse(["0600000001"], 10)) == ["Anna"]
    assert names(table.reverse(["+41446681800"], 10)) == ["Multi Line"]
    assert table.reverse(["+33999999999"], 10) == []


def test_search_is_a_case_insensitive_substring_within_one_field() -> None:
    table = book()
    assert names(table.search("MARTIN", 10)) == ["Zoé", "Anna"]
    assert names(table.search("zoÉ", 10)) == ["Zoé"]
    assert names(table.search("foo, b", 10)) == ["Jean"]
    assert names(table.search("martin", 1)) == ["Zoé"]
    assert table.search("zoémartin", 10) == []  # never across two fields
    assert table.search("%", 10) == table.search("_", 10) == []
    assert table.search("", 10) == []


def test_an_encoding_mismatch_is_a_bad_row_and_the_right_encoding_reads_it() -> None:
    data = "name,phone\nCafé,0612345678\nOk,0612345679\n".encode("latin-1")
    table = load(io.BytesIO(data), Format(), ["name"], ["phone"])
    assert table.problems == (
        "line 2: bytes that are not valid in the file's encoding (set encoding:)",
    )
    assert [row.split("\x1f")[0] for row in table.rows] == ["Ok"]
    table = load(io.BytesIO(data), Format(encoding="latin-1"), ["name"], ["phone"])
    assert table.search("café", 5)[0]["name"] == ["Café"]


def test_a_giant_field_is_a_bad_row_not_a_crash() -> None:
    data = b'name,phone\n"' + b"x" * 200_000 + b'",1\nLast,0612345670\n'
    table = load(io.BytesIO(data), Format(), ["name"], ["phone"])
    assert table.problems == ("line 2: field larger than field limit (131072)",)
    assert table.search("last", 5)[0]["name"] == ["Last"]


def test_max_rows_bounds_a_huge_file() -> None:
    text = "name,phone\n" + "".join(f"n{i},06{i:08d}\n" for i in range(50))
    table = from_text(text, Format(max_rows=10), ["name"], ["phone"])
    assert len(table.rows) == 10
    assert table.problems == ("line 12: max_rows (10) reached, the rest ignored",)


def test_a_bom_delimiters_and_files_without_header() -> None:
    table = from_text("\ufeffname;phone\nA;1\n", Format(delimiter=";"), ["name"], [])
    assert table.columns == ("name", "phone")
    table = from_text("A\t0612345678\n", Format(delimiter="\t", header=False), ["1"], ["2"])
    assert table.columns == ("1", "2")
    assert table.reverse(["0612345678"], 5) == [{"1": ["A"], "2": ["0612345678"]}]
    table = from_text("A,1\n", Format(header=False, columns=["n", "p"]), ["n"], [])
    assert table.search("a", 5) == [{"n": ["A"], "p": ["1"]}]


@pytest.mark.parametrize("header", ["", "name,,phone\n", "name,name\n"])
def test_a_file_without_a_usable_header_is_refused(header: str) -> None:
    with pytest.raises(TableError, match="line 1"):
        from_text(header, Format(), ["name"], [])
