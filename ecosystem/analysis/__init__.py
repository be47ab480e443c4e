"""The analysis engine: gaps, duplication, fragile dependencies, concentration, scenarios.

Every function takes the ecosystem graph first (a :class:`networkx.MultiDiGraph`
shaped as :data:`ecosystem.model.GRAPH_SCHEMA`), options keyword-only and an
explicit ``as_of`` date, and returns a DataFrame with documented columns in a
deterministic order. The definitions are SPEC §5's; one module per question:

* :mod:`~ecosystem.analysis.coverage` — demand, supply, unmet need per leaf and category
* :mod:`~ecosystem.analysis.duplication` — over-supplied cells and overlapping services
* :mod:`~ecosystem.analysis.fragility` — funding dependency, sole and critical providers,
  funding cliffs, short-term funding, articulation points and bridges
* :mod:`~ecosystem.analysis.concentration` — HHI of providers' shares of supply
* :mod:`~ecosystem.analysis.market` — market shaping: diversity of providers by sector,
  funding security (short-term and multi-year shares), the procurement pipeline against
  gaps and cliffs, and the headline figures over a series of dates
* :mod:`~ecosystem.analysis.unplaced` — organisations and active flows with no place at all
* :mod:`~ecosystem.analysis.scenarios` — what-if on a copy, with a diff

:func:`analyse` runs them all from one pass over the graph; :func:`summary_text`
and :func:`findings` present the result. This package never imports Dash or the
database driver.
"""

from ecosystem.analysis._core import Analysis, analyse, analyse_frames
from ecosystem.analysis._report import findings, summary_text
from ecosystem.analysis._tables import Frames, extract
from ecosystem.analysis.concentration import concentration
from ecosystem.analysis.coverage import coverage
from ecosystem.analysis.duplication import category_digest, duplication, overlap_summary, overlaps
from ecosystem.analysis.fragility import (
    articulation_points,
    bridges,
    critical_providers,
    followed_on,
    funding_cliffs,
    funding_dependency,
    short_term_share,
    sole_providers,
)
from ecosystem.analysis.market import (
    SECTORS,
    diversity,
    funding_security,
    parse_series,
    pipeline,
    series,
)
from ecosystem.analysis.unplaced import unplaced, unplaced_fix, unplaced_sentence
from ecosystem.analysis.scenarios import (
    ScenarioDiff,
    ScenarioError,
    ScenarioOptions,
    ScenarioResult,
    diff_options,
    run_options,
    run_scenario,
)

__all__ = [
    "Analysis", "analyse", "analyse_frames", "summary_text", "findings", "Frames", "extract",
    "coverage", "duplication", "overlaps", "overlap_summary", "category_digest", "funding_dependency", "sole_providers", "critical_providers",
    "funding_cliffs", "followed_on", "short_term_share", "articulation_points", "bridges", "concentration",
    "SECTORS", "diversity", "funding_security", "pipeline", "series", "parse_series",
    "unplaced", "unplaced_fix", "unplaced_sentence", "ScenarioError", "ScenarioOptions", "ScenarioResult", "run_scenario", "run_options",
    "ScenarioDiff", "diff_options",
]
