"""A scenario's shares (fields from 0 to 1) are checked by one helper for every section:
each out-of-range field is named with its section, whichever place it has in the list."""

from __future__ import annotations

import pytest

from unmask.simulate.scenario import ScenarioError, parse_scenario


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("population", "lurker_share", 1.5),
        ("population", "media_rate", -0.1),  # the last of its section's shares
        ("negatives.breaking_news", "share_rate", 2.0),
        ("negatives.marketing_agency", "link_rate", 1.01),
        ("negatives.newsroom", "follows_colleagues", -1.0),
    ],
)
def test_a_share_out_of_range_is_named_with_its_section(section, field, value) -> None:
    text = f'extends = "small"\n[{section}]\n{field} = {value}\n'
    with pytest.raises(ScenarioError, match=rf"^{section}\.{field}: must be between 0 and 1"):
        parse_scenario(text, "checks-test")


def test_shares_at_the_bounds_are_kept() -> None:
    text = 'extends = "small"\n[population]\nlurker_share = 0.0\nmedia_rate = 1.0\n'
    sc = parse_scenario(text, "checks-test")
    assert (sc.population.lurker_share, sc.population.media_rate) == (0.0, 1.0)
