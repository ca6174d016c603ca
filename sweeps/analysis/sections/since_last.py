""""Since the last report": what a scheduled rerun changed, from the previous ``answer.json``."""

from __future__ import annotations

from ..answer import OUTCOMES, Changes, changes
from ..summary import fmt
from ._markdown import join

HEADING = "## Since the last report\n"


def since_last_section(old: dict | None, new: dict) -> str:
    """New trials by outcome, changed verdicts, estimates outside their previous interval, a
    changed environment; one line when there is no previous answer."""
    if old is None:
        return HEADING + "\nNo previous answer (`answer.json`): this is the family's first report.\n"
    c = changes(old, new)
    blocks = [HEADING, _trials(c)]
    if c.verdicts:
        blocks.append("Verdicts that changed:\n\n"
                      + "\n".join(f"- **{k}**: {was} → **{now}**" for k, was, now in c.verdicts))
    else:
        blocks.append("No verdict changed.")
    if c.moved:
        blocks.append("Estimates outside their previous 95% interval:\n\n" + "\n".join(
            f"- {k}: {_num(was)} [{_num(lo, False)}, {_num(hi, False)}] → {_num(now)}"
            for k, was, (lo, hi), now in c.moved))
    if c.environment:
        blocks.append("Environment changed:\n\n"
                      + "\n".join(f"- `{k}`: {was or '–'} → {now or '–'}" for k, was, now in c.environment))
    return join(*blocks)


def _trials(c: Changes) -> str:
    if not c.new_trials:
        return "No new trials."
    return "New trials: " + ", ".join(f"{c.new_trials[k]} {k}" for k in OUTCOMES if k in c.new_trials) + "."


def _num(x, signed: bool = True) -> str:
    return fmt(x, signed) if isinstance(x, (int, float)) else "–"
