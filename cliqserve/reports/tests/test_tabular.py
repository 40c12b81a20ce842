from decimal import Decimal

from cliqserve.reports.tabular import Table, csv_lines, number, text


def test_text_that_a_spreadsheet_would_evaluate_is_escaped_and_numbers_never_are() -> None:
    table = Table(
        columns=[text("name"), number("amount")],
        rows=[
            ['=HYPERLINK("x")', Decimal("-12.50")],
            ["+1", Decimal("0.00")],
            ["-2", 3],
            ["@SUM(A1)", None],
            ["\tTab", Decimal("1E+2")],
            ["\rCR", 1],
            ["Plain - dash", 1],
        ],
    )
    assert "".join(csv_lines(table)).split("\r\n") == [
        "name,amount",
        '"\'=HYPERLINK(""x"")",-12.50',
        "'+1,0.00",
        "'-2,3",
        "'@SUM(A1),",
        "'\tTab,100",
        '"\'\rCR",1',
        "Plain - dash,1",
        "",
    ]


def test_localized_numbers_keep_their_decimals_and_leave_blanks_alone() -> None:
    table = Table(
        columns=[text("name"), number("amount")],
        rows=[["a", Decimal("1234.50")], ["b", 3], ["c", None], ["d", ""], ["e", True], ["f", "n/a"]],
    )

    lines = "".join(csv_lines(table, locale="fr")).split("\r\n")
    english = "".join(csv_lines(table, locale="en")).split("\r\n")

    # The comma is the decimal sign in French, so cells are separated by semicolons.
    assert lines == ["name;amount", "a;1234,50", "b;3", "c;", "d;", "e;True", "f;n/a", ""]
    assert english[1:3] == ["a,1234.50", "b,3"]
