"""The comparison the study exists for: did support change families' outcomes? A difference-in-differences
estimate per progress measure, with family and period fixed effects and standard errors clustered by family,
an event study by months since support started, and output-checked tables and report (docs/impact.md).

Reads the research panel (extract/families/, extract/individuals/); never imports boto3 (the CLI fetches a
stack's extract through tfnis.storage).
"""

from tfnis.impact.estimate import MEASURES, Estimate, NotEstimable, estimate
from tfnis.impact.panel import ExtractUnreadable, Panel, read_panel

__all__ = ["MEASURES", "Estimate", "ExtractUnreadable", "NotEstimable", "Panel", "estimate", "read_panel"]
