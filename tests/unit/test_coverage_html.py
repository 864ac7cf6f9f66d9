"""The council's coverage page: self-contained, every figure, change since the previous period, national figure."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from tests.unit.test_coverage_figures import family_frame, individual_frame
from tfnis.coverage import CoverageReport, coverage_report, render_html, suppress


def a_report() -> CoverageReport:
    families = family_frame(*({"housing_status": "NOT_KNOWN" if i % 4 else "OTHER"} for i in range(20)))
    people = individual_frame(*({"ethnicity": "WBRI" if i % 2 else "NOBT", "age": i} for i in range(30)))
    return coverage_report(families, people)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_page_loads_nothing_from_outside():
    page = render_html(a_report())
    parser = _Tags()
    parser.feed(page)
    assert not [t for t, a in parser.tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, a in parser.tags if "src" in a or (a.get("href") or "").startswith(("http", "//"))]
    assert "@import" not in page and "url(" not in page


def test_page_shows_every_figure_id():
    report = a_report()
    page = render_html(report)
    assert all(f"<code>{f.id}</code>" in page for f in report.figures)


def test_page_charts_percent_provided_per_item():
    page = render_html(a_report())
    chart = re.search(r"<svg.*?</svg>", page, re.S)
    assert chart is not None
    assert "Housing status: data provided (not NOT_KNOWN): 25.0%" in chart.group(0)
    assert "Ethnic group: data provided (not REFU/NOBT): 50.0%" in chart.group(0)


def test_page_shows_change_since_previous_period_and_national_figure():
    report = a_report()
    housing = report.figure("housing_status_provided")
    earlier = replace(housing, numerator=2, percent=10.0)
    previous = CoverageReport(report.spec_version, report.la_code, "2023-09-30", (earlier,))
    page = render_html(report, previous, {"housing_status_provided": 61.4})
    row = re.search(r"<tr><td>Housing status.*?</tr>", page, re.S).group(0)
    assert "+15.0 pts" in row
    assert "61.4%" in row
    assert "Change since 2023-09-30" in page


def test_page_without_previous_or_national_shows_dashes():
    page = render_html(a_report())
    row = re.search(r"<tr><td>Housing status.*?</tr>", page, re.S).group(0)
    assert row.count("<td class=n>–</td>") == 2


def test_suppressed_figures_say_so_without_numbers():
    report = a_report()
    suppressed = CoverageReport(report.spec_version, report.la_code, report.period_end, tuple(suppress(report.figures)))
    page = render_html(suppressed)
    row = re.search(r"<tr><td>Housing status.*?</tr>", page, re.S).group(0)
    assert "suppressed" in row and "5 / 20" not in row and "25.0%" not in row


def test_text_is_escaped():
    report = a_report()
    odd = CoverageReport(report.spec_version, "<script>x</script>", report.period_end, report.figures)
    page = render_html(odd)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_page_is_readable_in_print():
    page = render_html(a_report())
    assert "@media print" in page and "print-color-adjust:exact" in page
    assert re.search(r"25\.0%</td>", page)  # the number is printed beside each bar, not only drawn


def test_national_figures_without_a_percent_are_left_out():
    page = render_html(a_report(), national={"housing_status_provided": None, "ethnicity_provided": 48.0})
    row = re.search(r"<tr><td>Housing status.*?</tr>", page, re.S).group(0)
    assert row.endswith("<td class=n>–</td></tr>")
    assert "National: 48.0%" in page


def _previous(report: CoverageReport, figure_id: str, percent: float) -> CoverageReport:
    earlier = replace(report.figure(figure_id), percent=percent)
    return CoverageReport(report.spec_version, report.la_code, "2023-09-30", (earlier,))


def _change_cell(page: str, figure_id: str) -> str:
    row = re.search(rf"<tr><td>[^<]*<br><code>{figure_id}</code>.*?</tr>", page, re.S).group(0)
    return re.findall(r"<td class=n>(.*?)</td>", row)[2]


def test_a_drop_in_people_with_neither_nino_nor_upn_is_an_improvement_not_red():
    report = a_report()
    now = report.figure("no_nino_or_upn").percent
    page = render_html(report, _previous(report, "no_nino_or_upn", now + 10))
    assert _change_cell(page, "no_nino_or_upn") == '<span class="better">-10.0 pts</span>'


def test_a_drop_in_data_provided_is_red():
    report = a_report()
    page = render_html(report, _previous(report, "housing_status_provided", 60.0))
    assert _change_cell(page, "housing_status_provided") == '<span class="worse">-35.0 pts</span>'


def test_a_change_in_how_common_a_problem_is_is_neither_good_nor_bad():
    report = a_report()
    hp = next(f for f in report.figures if f.id.startswith("hp_") and f.percent is not None)
    page = render_html(report, _previous(report, hp.id, hp.percent + 5))
    assert 'class="neutral"' in _change_cell(page, hp.id)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_national_marker_has_at_least_3_to_1_contrast_with_the_bar_and_its_track():
    page = render_html(a_report(), national={"housing_status_provided": 20.0})
    marker = re.search(r'<line [^>]*stroke="(#[0-9a-f]{6})"', page).group(1)
    bar, track = "#1d70b8", "#e8eaeb"
    assert f'fill="{bar}"' in page and f'fill="{track}"' in page
    assert min(_contrast(marker, bar), _contrast(marker, track), _contrast(marker, "#ffffff")) >= 3
