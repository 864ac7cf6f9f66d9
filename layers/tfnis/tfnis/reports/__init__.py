"""The pages councils read — the validation report and the coverage report — rendered from Jinja2 templates
(autoescaped) that share one layout and one stylesheet, inlined so each page stands alone (no external assets).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("tfnis.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["thousands"] = lambda n: f"{n:,}"
    return environment


def render_page(template: str, **context: Any) -> str:
    """One page from templates/<template> with the shared layout and stylesheet."""
    return _environment().get_template(template).render(**context)
