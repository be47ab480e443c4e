"""The one CSV reader the template uses (command line and dashboard uploads alike)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.parse import CsvError, read_csv_text


def test_reads_commas_quotes_and_a_multiline_value():
    text = 'id,name,notes\nP1,"Smith, Jones & Co","line one\nline two"\nP2,Two,\n'
    header, rows = read_csv_text(text)
    assert header == ["id", "name", "notes"]
    assert rows == [["P1", "Smith, Jones & Co", "line one\nline two"], ["P2", "Two", ""]]


@pytest.mark.parametrize("delim, word", [(";", "semicolons"), ("\t", "tabs")])
def test_semicolon_or_tab_header_is_refused_saying_which(delim, word):
    text = delim.join(["id", "name", "sector"]) + "\n" + delim.join(["P1", "One", "vcse"]) + "\n"
    with pytest.raises(CsvError) as e:
        read_csv_text(text)
    assert word in str(e.value) and e.value.row == 1 and e.value.check == "delimiter"


def test_unterminated_quote_names_the_row_it_opened_in():
    text = 'id,name,sector\nC1,Council,public\nP1,"Provider One,vcse\nP2,Provider Two,vcse\n'
    with pytest.raises(CsvError) as e:
        read_csv_text(text)
    assert e.value.row == 3 and "never closed" in str(e.value) and e.value.check == "quote"


def test_a_quote_closed_rows_later_is_refused():
    # the quote opened in row 3 closes in the middle of row 4: the name would swallow row 4
    text = 'id,name,sector\nC1,Council,public\nP1,"Provider One,vcse\nP2,Provider" Two,vcse\nP3,Three,vcse\n'
    with pytest.raises(CsvError) as e:
        read_csv_text(text)
    assert e.value.row == 3 and e.value.check in ("quote", "ragged")


def test_ragged_rows_are_refused_with_their_row():
    with pytest.raises(CsvError) as e:
        read_csv_text("id,name\nP1,One\nP2,Two,extra\n")
    assert e.value.row == 3 and "3 values but the header has 2 columns" in str(e.value)
    with pytest.raises(CsvError) as e:
        read_csv_text("id,name,sector\nP1,One,vcse\nP2,Two\n")
    assert e.value.row == 3 and "2 values but the header has 3 columns" in str(e.value)


def test_blank_trailing_cells_and_blank_lines_are_fine():
    header, rows = read_csv_text("id,name\nP1,One,,\n\nP2,Two\n")
    assert [r[:2] for r in rows if r] == [["P1", "One"], ["P2", "Two"]]


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=2, max_value=5).flatmap(
    lambda w: st.lists(st.lists(cell, min_size=w, max_size=w), min_size=1, max_size=8)))
def test_any_comma_separated_table_round_trips(rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["h%d" % i for i in range(len(rows[0]))], *rows])
    header, back = read_csv_text(buf.getvalue())
    assert header == ["h%d" % i for i in range(len(rows[0]))]
    assert [r for r in back if r not in ([], [""])] == [r for r in rows if r not in ([], [""])] or \
        all(all(c == "" for c in r) for r in rows)
