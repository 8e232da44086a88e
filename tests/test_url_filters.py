"""The shared filters' URL form: parsing, warnings and fallbacks, defaults left out of the URL."""
import datetime as dt

from dashboard.filters.url import Defaults, Filters, as_of_range, default_as_of, parse_filters, query_string, to_params

D = dt.date
DEF = Defaults(
    year=2023, as_of=D(2023, 12, 31), unit_codes=["410402", "410423", "410481"], years=[2022, 2023],
    year_ranges={2022: (D(2022, 1, 1), D(2022, 12, 31)), 2023: (D(2023, 1, 1), D(2023, 12, 31))},
    latest_by_year={2023: D(2023, 12, 31)},
)


def test_empty_url_means_defaults():
    f, warnings = parse_filters({}, DEF)
    assert f == Filters((), 2023, D(2023, 12, 31), "zh") and warnings == []
    assert f.units is None
    assert to_params(f, DEF) == {} and query_string(f, DEF) == ""


def test_counties_comma_separated_and_repeated_keys_deduplicated():
    f, warnings = parse_filters({"county": ["410423,410481", "410423"]}, DEF)
    assert f.counties == ("410423", "410481") and warnings == []
    assert to_params(f, DEF) == {"county": "410423,410481"}


def test_unknown_county_warns_and_keeps_the_known_ones():
    f, warnings = parse_filters({"county": ["999999,410423"]}, DEF)
    assert f.counties == ("410423",)
    assert warnings == [("warn_unknown_county", {"value": "999999"})]


def test_malformed_date_and_year_fall_back_with_warnings():
    f, warnings = parse_filters({"as_of": ["2023-13-45"], "year": ["20x3"], "lang": ["fr"]}, DEF)
    assert (f.year, f.as_of, f.lang) == (2023, D(2023, 12, 31), "zh")
    assert [w[0] for w in warnings] == ["warn_bad_lang", "warn_bad_year", "warn_bad_date"]
    f, warnings = parse_filters({"as_of": ["2023-6-30"]}, DEF)  # not YYYY-MM-DD
    assert f.as_of == D(2023, 12, 31) and warnings[0][0] == "warn_bad_date"


def test_other_year_defaults_to_its_end_when_it_has_no_reports():
    f, _ = parse_filters({"year": ["2022"]}, DEF)
    assert f.as_of == D(2022, 12, 31)
    assert to_params(f, DEF) == {"year": "2022"}  # its default date stays out of the URL


def test_the_period_axis_stays_in_the_plan_year_when_reports_came_later():
    """A correction to 2023 recorded on 3 Jan 2024 (issue: two dates): 2023 still opens at D = 31
    Dec 2023 (K = now counts the correction); the picker offers the year only."""
    d = Defaults(**{**DEF.__dict__, "latest_by_year": {2023: D(2024, 1, 3)}, "today": D(2024, 1, 9)})
    assert default_as_of(2023, d) == D(2023, 12, 31)
    assert as_of_range(2023, d) == (D(2023, 1, 1), D(2023, 12, 31))
    assert as_of_range(2022, d) == (D(2022, 1, 1), D(2022, 12, 31))
    f, warnings = parse_filters({}, d)
    assert (f.as_of, f.known, warnings) == (D(2023, 12, 31), None, [])
    # an old link "2023 as of 5 Jan 2024" opens as D = 31 Dec 2023, K = 5 Jan 2024: what it showed
    f, warnings = parse_filters({"as_of": ["2024-01-05"]}, d)
    assert (f.as_of, f.known, warnings) == (D(2023, 12, 31), D(2024, 1, 5), [])
    assert to_params(f, d) == {"known": "2024-01-05"}


def test_known_in_the_link():
    d = Defaults(**{**DEF.__dict__, "today": D(2024, 1, 9)})
    f, warnings = parse_filters({"as_of": ["2023-06-30"], "known": ["2023-06-30"]}, d)
    assert (f.as_of, f.known, warnings) == (D(2023, 6, 30), D(2023, 6, 30), [])
    assert query_string(f, d) == "?as_of=2023-06-30&known=2023-06-30"
    again, _ = parse_filters({k: [v] for k, v in to_params(f, d).items()}, d)
    assert again == f
    # a knowledge date after today is now; a malformed one is refused
    f, warnings = parse_filters({"known": ["2024-01-10"]}, d)
    assert f.known is None and warnings == [("warn_known_future", {"value": "2024-01-10"})]
    f, warnings = parse_filters({"known": ["2024-1-5"]}, d)
    assert f.known is None and warnings == [("warn_bad_date", {"value": "2024-1-5"})]
    # no known=: K is now
    f, _ = parse_filters({"as_of": ["2023-06-30"]}, d)
    assert f.known is None and to_params(f, d) == {"as_of": "2023-06-30"}


def test_round_trip_with_extra_page_params():
    f = Filters(("410481",), 2023, D(2023, 6, 30), "en")
    assert query_string(f, DEF, {"target": "T07"}) == "?county=410481&as_of=2023-06-30&lang=en&target=T07"
    again, warnings = parse_filters({k: [v] for k, v in to_params(f, DEF).items()}, DEF)
    assert again == f and warnings == []


def test_date_outside_the_plan_year_falls_back_with_a_warning():
    for raw in ("2030-01-01", "2020-01-01"):
        f, warnings = parse_filters({"as_of": [raw]}, DEF)
        assert f.as_of == D(2023, 12, 31)
        assert warnings == [("warn_date_out_of_range",
                             {"value": raw, "start": "2023-01-01", "end": "2023-12-31"})]
    f, warnings = parse_filters({"year": ["2022"], "as_of": ["2023-06-30"]}, DEF)
    assert (f.year, f.as_of) == (2022, D(2022, 12, 31)) and warnings[0][0] == "warn_date_out_of_range"
