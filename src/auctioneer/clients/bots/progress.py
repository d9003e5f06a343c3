"""The bots' Rich view: live counters while they run, a summary when they stop.

Why apart from the runner: the runner only counts; this module only draws the
`Tally`, so the summary is tested on a captured console and the runner is
used headless by the tests and the benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from auctioneer.clients.bots.runner import BotConfig, Tally, new_tally, run_bots
from auctioneer.clients.cli.parsing import plural
from auctioneer.clients.cli.render import price_text
from auctioneer.clients.money import format_amount

__all__ = ["render_tally", "run_with_progress"]


def render_tally(tally: Tally, *, title: str = "Bots") -> RenderableType:
    """Counters, rejections by reason, and each lot's state with the leading bot's name."""
    connected = sum(1 for b in tally.bots if b.connected)
    counts = Table(box=box.SIMPLE_HEAD, title=title)
    for name in ("Bots", "Online", "Sent", "Accepted", "Rejected", "Won"):
        counts.add_column(name, justify="right")
    rejected = tally.rejected
    counts.add_row(
        str(len(tally.bots)),
        str(connected),
        str(tally.sent),
        str(tally.accepted),
        str(sum(rejected.values())),
        str(tally.won),
    )
    parts: list[RenderableType] = [counts]
    if rejected:
        reasons = Table(box=box.SIMPLE_HEAD, title="Rejected by reason")
        reasons.add_column("Code")
        reasons.add_column("Count", justify="right")
        for code, n in rejected.most_common():
            reasons.add_row(code, str(n))
        parts.append(reasons)
    if tally.lots:
        lots = Table(box=box.SIMPLE_HEAD, title="Lots")
        for name in ("ID", "Name", "Status", "Price", "Leader / winner", "Bot", "Its max"):
            lots.add_column(name, justify="right" if name in ("ID", "Price", "Its max") else "left")
        for aid, a in sorted(tally.lots.items()):
            who = a.get("winner") if a.get("status") == "closed" else a.get("leader")
            bot = tally.bot_by_paddle(who)
            lots.add_row(
                str(aid),
                str(a.get("name", "")),
                str(a.get("status", "")),
                price_text(a),
                str(who or "-"),
                bot.name if bot else "",
                format_amount(bot.maxima.get(aid)) if bot and aid in bot.maxima else "",
            )
        parts.append(lots)
    errors = [b for b in tally.bots if b.error]
    if errors:
        parts.append(
            Text(
                f"{plural(len(errors), 'bot')} stopped on an error, e.g.: {errors[0].error}", "red"
            )
        )
    return Group(*parts)


async def run_with_progress(
    config: BotConfig, console: Console, *, show_live: bool = True
) -> Tally:
    """Run the bots with a live view on `console` (a terminal), then print the summary."""
    stop = asyncio.Event()
    tally = new_tally(config)
    task = asyncio.create_task(run_bots(config, stop=stop, tally=tally))
    live = Live(
        get_renderable=lambda: render_tally(tally),
        console=console,
        refresh_per_second=4,
        transient=True,
    )
    try:
        with live if show_live and console.is_terminal else contextlib.nullcontext():
            while not task.done():
                await asyncio.wait({task}, timeout=0.25)
    except asyncio.CancelledError:
        pass  # Ctrl-C: stop the bots after their current action, then sum up
    finally:
        stop.set()
    await task
    if show_live:
        console.print(render_tally(tally, title="Bots: summary"))
    return tally
