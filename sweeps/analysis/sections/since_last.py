""""Since the last report": what a scheduled rerun changed, from the previous ``answer.json``."""

from __future__ import annotations

from ..answer import OUTCOMES, Changes, changes
from ..summary import fmt

HEADING = "## Since the last report\n"


def since_last_section(old: dict | None, new: dict) -> str:
    """New trials by outcome, changed verdicts, estimates outside their previous interval, a
    changed environment; one line when there is no previous answer."""
    if old is None:
        return HEADING + "\nNo previous answer (`answer.json`): this is the family's first report.\n"
    c = changes(old, new)
    lines = [HEADING, _trials(c)]
    if c.verdicts:
        lines += ["Verdicts that changed:"] + [f"- **{k}**: {was} → **{now}**" for k, was, now in c.verdicts]
    else:
        lines.append("No verdict changed.")
    if c.moved:
        lines += ["Estimates outside their previous 95% interval:"]
        lines += [f"- {k}: {_num(was)} [{_num(lo, False)}, {_num(hi, False)}] → {_num(now)}" for k, was, (lo, hi), now in c.moved]
    if c.environment:
        lines += ["Environment changed:"] + [f"- `{k}`: {was or '–'} → {now or '–'}" for k, was, now in c.environment]
    return "\n".join(lines[:1] + [""] + lines[1:]) + "\n"


def _trials(c: Changes) -> str:
    if not c.new_trials:
        return "No new trials."
    return "New trials: " + ", ".join(f"{c.new_trials[k]} {k}" for k in OUTCOMES if k in c.new_trials) + "."


def _num(x, signed: bool = True) -> str:
    return fmt(x, signed) if isinstance(x, (int, float)) else "–"
