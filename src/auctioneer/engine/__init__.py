"""auctioneer.engine: the auction rules as a pure, deterministic state machine.

`decide(state, command, now) -> events`, `evolve(state, event) -> state`
(also `apply`), `replay`, `next_deadline`, `next_reminder`, `minimum_bid`, `notices`. No I/O,
no clock reads, no imports from the rest of the package.
"""

from __future__ import annotations

from auctioneer.engine.auction import *  # noqa: F403
from auctioneer.engine.auction import __all__ as _auction_all
from auctioneer.engine.bidding import *  # noqa: F403
from auctioneer.engine.bidding import __all__ as _bidding_all
from auctioneer.engine.budget import *  # noqa: F403
from auctioneer.engine.budget import __all__ as _budget_all
from auctioneer.engine.commands import *  # noqa: F403
from auctioneer.engine.commands import __all__ as _commands_all
from auctioneer.engine.errors import *  # noqa: F403
from auctioneer.engine.errors import __all__ as _errors_all
from auctioneer.engine.events import *  # noqa: F403
from auctioneer.engine.events import __all__ as _events_all
from auctioneer.engine.fold import *  # noqa: F403
from auctioneer.engine.fold import __all__ as _fold_all
from auctioneer.engine.images import *  # noqa: F403
from auctioneer.engine.images import __all__ as _images_all
from auctioneer.engine.increments import *  # noqa: F403
from auctioneer.engine.increments import __all__ as _increments_all
from auctioneer.engine.lifecycle import *  # noqa: F403
from auctioneer.engine.lifecycle import __all__ as _lifecycle_all
from auctioneer.engine.money import *  # noqa: F403
from auctioneer.engine.money import __all__ as _money_all
from auctioneer.engine.multiunit import *  # noqa: F403
from auctioneer.engine.multiunit import __all__ as _multiunit_all
from auctioneer.engine.notifications import *  # noqa: F403
from auctioneer.engine.notifications import __all__ as _notifications_all
from auctioneer.engine.proxy import *  # noqa: F403
from auctioneer.engine.proxy import __all__ as _proxy_all
from auctioneer.engine.reminders import *  # noqa: F403
from auctioneer.engine.reminders import __all__ as _reminders_all
from auctioneer.engine.sale import *  # noqa: F403
from auctioneer.engine.sale import __all__ as _sale_all
from auctioneer.engine.softclose import *  # noqa: F403
from auctioneer.engine.softclose import __all__ as _softclose_all
from auctioneer.engine.state import *  # noqa: F403
from auctioneer.engine.state import __all__ as _state_all
from auctioneer.engine.units import *  # noqa: F403
from auctioneer.engine.units import __all__ as _units_all

__all__ = [
    *_auction_all,
    *_bidding_all,
    *_budget_all,
    *_commands_all,
    *_errors_all,
    *_events_all,
    *_fold_all,
    *_images_all,
    *_increments_all,
    *_lifecycle_all,
    *_money_all,
    *_multiunit_all,
    *_notifications_all,
    *_proxy_all,
    *_reminders_all,
    *_sale_all,
    *_softclose_all,
    *_state_all,
    *_units_all,
]
