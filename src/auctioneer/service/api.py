"""The actions of docs/protocol.md, one table, with every permission checked here.

Every gateway (WebSocket, TCP, HTTP) parses a request into a typed message and
calls `Api.handle`; none of them checks a permission or a rule itself. Results
come back already encoded (JSON bytes) so a write's reply is the very bytes
stored for idempotent retries.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from auctioneer.engine import commands as cmd
from auctioneer.engine.errors import AuctionError, InvalidCommand
from auctioneer.engine.events import BidPlaced
from auctioneer.engine.state import Auction
from auctioneer.service.actor import Work
from auctioneer.service.auction_view import people_in
from auctioneer.service.auctions import AuctionService
from auctioneer.service.budgets import SaleBudgets
from auctioneer.service.emails import EmailService
from auctioneer.service.errors import Forbidden, NotFound, RateLimited, Unauthorized
from auctioneer.service.house import House
from auctioneer.service.house_api import HouseActions
from auctioneer.service.images import Photos
from auctioneer.service.invoices import InvoiceService, purchase_id
from auctioneer.service.media import MediaStore
from auctioneer.service.media_gc import MediaCollector
from auctioneer.service.ports import UserRecord, WatchRecords
from auctioneer.service.replies import first_reply
from auctioneer.service.sales import SaleLots
from auctioneer.service.settings import Settings
from auctioneer.service.shared_limits import BidLimit
from auctioneer.service.subscriptions import Subscriptions
from auctioneer.service.throttle import Window
from auctioneer.service.users import Caller, UserService
from auctioneer.service.watchlist import WatchActions
from auctioneer.wire import codec
from auctioneer.wire import messages as m
from auctioneer.wire.timefmt import format_time, parse_time
from auctioneer.wire.topics import auction_topic
from auctioneer.wire.views import auction_object, bid_object, public_view, user_object

__all__ = ["Api"]

Handler = Callable[[Caller, Any, str | None], Awaitable[bytes]]
LATEST_BIDS = 50


class Api:
    """Runs one typed request for one caller and returns the encoded result."""

    def __init__(
        self,
        auctions: AuctionService,
        users: UserService,
        settings: Settings,
        *,
        media: MediaStore | None = None,
        media_gc: MediaCollector | None = None,
        house: House | None = None,
        bid_window: Window | None = None,
        budgets: SaleBudgets | None = None,
    ) -> None:
        """`bid_window`: where bids are counted when every process must share the
        count (Redis, service/shared_limits.py); this process alone without it."""
        self.auctions = auctions
        self.users = users
        self.store = auctions.store
        self.clock = auctions.clock
        self._bids = BidLimit(settings.bid_rate, settings.bid_burst, bid_window)
        self._metrics_token = settings.metrics_token
        self.sales = SaleLots(auctions)
        self.subscriptions = Subscriptions(auctions, self.store, self.visible_auction)
        self._creates_in_flight: dict[tuple[int, str], asyncio.Task[bytes]] = {}
        # The addresses this server announced on start-up ("http", "tcp"), for
        # `ping`: a client learns that they are one server (one login).
        self.doors: dict[str, str] = {}
        media = media or MediaStore(Path(settings.media or "auctioneer-media"))
        self.photos = Photos(self, media, media_gc)
        self._table: dict[str, Handler] = {
            "register": self._register,
            "login": self._login,
            "auth": self._auth,
            "logout": self._logout,
            "change_password": self._change_password,
            "logout_everywhere": self._logout_everywhere,
            "ping": self._ping,
            "get_auctions": self._get_auctions,
            "get_auction": self._get_auction,
            "get_bids": self._get_bids,
            "get_log": self._get_log,
            "create_auction": self._create_auction,
            "create_sale": self._create_sale,
            "update_auction": self._update_auction,
            "remove_images": self.photos.remove,
            "reorder_images": self.photos.reorder,
            "close_auction": self._admin_command(cmd.CloseAuction),
            "cancel_auction": self._admin_command(cmd.CancelAuction),
            "delete_auction": self._delete_auction,
            "place_bid": self._place_bid,
            "start_auto_bid": self._start_auto_bid,
            "stop_auto_bid": self._stop_auto_bid,
            "buy_now": self._buy_now,
            "get_purchases": self._get_purchases,
            "get_notices": self._get_notices,
        }
        self.house = house or House.from_settings(settings)
        self.invoices = InvoiceService(self.store, self.clock, self.house)
        self.emails = EmailService(self.store, self.clock)
        self._table.update(HouseActions(self.house, self.invoices, self.emails).table())
        records = cast(WatchRecords, self.store)  # each store also keeps the watchlist
        self.watchlist = WatchActions(records, self.clock, self.visible_auction, self._views)
        self._table.update(self.watchlist.table())
        # Made before the service starts by the composition root, so a lot that
        # opens at start-up (its previous lot closed while the server was down)
        # gets its budgets too.
        self.budgets = budgets or SaleBudgets(auctions)
        self._table.update(self.budgets.table())

    def metrics_text(self, caller: Caller) -> bytes:
        """The server's metrics (service/metrics.py), for admins only.

        Raises:
            Unauthorized, Forbidden: not an admin.
        """
        _require_admin(caller)
        return self.auctions.metrics.render()

    def metrics_for_scraper(self, token: str) -> bytes:
        """The same metrics for a scraper holding the `--metrics-token`.

        Raises:
            NotFound: no token was configured (the route does not exist).
            Unauthorized: a missing or wrong token.
        """
        expected = self._metrics_token
        if not expected:
            raise NotFound()
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise Unauthorized("Send Authorization: Bearer <the metrics token>")
        return self.auctions.metrics.render()

    async def handle(
        self, caller: Caller, action: str, request: m.Request, request_id: str | None = None
    ) -> bytes:
        """Run `request` for `caller`.

        Raises:
            AuctionError: any wire error (rules, permissions, validation).
        """
        handler = self._table.get(action)
        if handler is None:
            raise InvalidCommand(f"{action} is not available on this transport")
        metrics = self.auctions.metrics
        started = time.perf_counter()
        outcome = "internal"
        try:
            result = await handler(caller, request, request_id)
            outcome = "ok"
            return result
        except AuctionError as e:
            outcome = e.code
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            metrics.commands.record(action, outcome, time.perf_counter() - started)

    # -- visibility ------------------------------------------------------------
    async def visible_auction(
        self, caller: Caller, auction_id: int, *, fresh: bool = False
    ) -> Auction:
        """The auction if `caller` may see it: admins see all, others public and not deleted.

        `fresh`: for a read the client sees, also when another process owns
        the auction (its read copy is checked against the log first).

        Raises:
            NotFound: no such auction, or hidden from this caller.
        """
        state = await self.auctions.state(auction_id, fresh=fresh)
        if state is None or state.spec is None:
            raise NotFound()
        if not caller.is_admin and (not state.spec.public or state.deleted):
            raise NotFound()
        return state

    async def view(self, caller: Caller, state: Auction) -> dict[str, Any]:
        names = await self.users.names(people_in([state])) if caller.is_admin else {}
        log_hash = await self.auctions.log_hash(state)
        admin_object = auction_object(state, names=names, log_hash=log_hash)
        if not caller.is_admin:
            return public_view(admin_object)
        counts = await self.watchlist.counts([state.id])
        return {
            **admin_object,
            "watchers": self.watchers(state.id),
            "watchlist_count": counts.get(state.id, 0),
        }

    async def _views(self, caller: Caller, auction_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The auctions as `caller` sees them, in the order given (the watchlist)."""
        views = []
        for auction_id in auction_ids:
            state = await self.auctions.state(auction_id)
            if state is not None and state.spec is not None:
                views.append(await self.view(caller, state))
        return views

    # -- accounts ----------------------------------------------------------------
    async def _register(self, caller: Caller, req: m.Register, rid: str | None) -> bytes:
        user = await self.users.register(req.username, req.password, address=caller.address)
        if req.email is not None:
            await self.emails.set_email(user, req.email)
        return codec.encode({"user": _user(user)})

    async def _login(self, caller: Caller, req: m.Login, rid: str | None) -> bytes:
        token, user = await self.users.login(caller, req.username, req.password)
        return codec.encode({"token": token, "user": _user(user)})

    async def _auth(self, caller: Caller, req: m.Auth, rid: str | None) -> bytes:
        user = await self.users.auth(caller, req.token)
        return codec.encode({"user": _user(user)})

    async def _logout(self, caller: Caller, req: m.Logout, rid: str | None) -> bytes:
        await self.users.logout(caller)
        return codec.encode({})

    async def _change_password(
        self, caller: Caller, req: m.ChangePassword, rid: str | None
    ) -> bytes:
        await self.users.change_password(caller, req.old_password, req.new_password)
        return codec.encode({})

    async def _logout_everywhere(
        self, caller: Caller, req: m.LogoutEverywhere, rid: str | None
    ) -> bytes:
        await self.users.logout_everywhere(caller)
        return codec.encode({})

    async def _ping(self, caller: Caller, req: m.Ping, rid: str | None) -> bytes:
        result: dict[str, Any] = {"server_time": format_time(self.clock.now_ms())}
        if self.doors:
            result["doors"] = self.doors
        return codec.encode(result)

    # -- reads ---------------------------------------------------------------------
    async def _get_auctions(self, caller: Caller, req: m.GetAuctions, rid: str | None) -> bytes:
        rows = await self.store.auction_rows(
            statuses=req.status, sale_id=req.sale_id, include_private=caller.is_admin
        )
        if not caller.is_admin:
            rows = [public_view(row) for row in rows]
        else:
            counts = await self.watchlist.counts([row["id"] for row in rows])
            rows = [
                {
                    **row,
                    "watchers": self.watchers(row["id"]),
                    "watchlist_count": counts.get(row["id"], 0),
                }
                for row in rows
            ]
        return codec.encode({"auctions": rows})

    def watchers(self, auction_id: int) -> int:
        """Connections following `auction:ID` on this server process (admins only)."""
        return len(self.auctions.hub.subscribers(auction_topic(auction_id)))

    async def _get_auction(self, caller: Caller, req: m.GetAuction, rid: str | None) -> bytes:
        state = await self.visible_auction(caller, req.auction_id, fresh=True)
        bids = await self._bid_objects(caller, req.auction_id, None, LATEST_BIDS)
        return codec.encode({"auction": await self.view(caller, state), "bids": bids})

    async def _get_log(self, caller: Caller, req: m.GetLog, rid: str | None) -> bytes:
        """The whole public log with its hashes, for whoever may see the auction."""
        state = await self.visible_auction(caller, req.auction_id)
        frames = await self.auctions.frames(req.auction_id, 0, state.seq)
        log_hash = await self.auctions.log_hash(state)
        head = codec.encode(
            {"auction_id": state.id, "log_hash": None if log_hash is None else log_hash.hex()}
        )
        return head[:-1] + b',"events":[' + b",".join(f.data for f in frames) + b"]}"

    async def _get_bids(self, caller: Caller, req: m.GetBids, rid: str | None) -> bytes:
        await self.visible_auction(caller, req.auction_id)
        bids = await self._bid_objects(caller, req.auction_id, req.before_seq, req.limit)
        return codec.encode({"bids": bids})

    async def _bid_objects(
        self, caller: Caller, auction_id: int, before_seq: int | None, limit: int
    ) -> list[dict[str, Any]]:
        events = await self.store.bids(auction_id, before_seq=before_seq, limit=limit)
        bids = [e for e in events if isinstance(e, BidPlaced)]
        if not caller.is_admin:
            return [bid_object(e) for e in bids]
        names = await self.users.names({e.bidder_id for e in bids})
        return [bid_object(e, names=names) for e in bids]

    async def _get_purchases(self, caller: Caller, req: m.GetPurchases, rid: str | None) -> bytes:
        user = _require_user(caller)
        records = await self.store.purchases(None if caller.is_admin else user.id)
        names = await self.users.names({r.user_id for r in records}) if caller.is_admin else {}
        purchases = []
        for r in records:
            state = await self.auctions.state(r.auction_id)
            item: dict[str, Any] = {
                "id": purchase_id(r.auction_id, r.round),
                "auction_id": r.auction_id,
                "name": state.spec.name if state and state.spec else None,
                "round": r.round,
                "price": r.price,
                "buy_now": r.buy_now,
                "at": format_time(r.at),
            }
            if caller.is_admin:
                item["username"] = names.get(r.user_id)
            purchases.append(item)
        return codec.encode({"purchases": purchases})

    async def _get_notices(self, caller: Caller, req: m.GetNotices, rid: str | None) -> bytes:
        user = _require_user(caller)
        notices = await self.store.notices(user.id, req.since)
        return codec.encode(
            {
                "notices": [
                    {"seq": n.seq, "event": n.kind, "at": format_time(n.at), "data": n.data}
                    for n in notices
                ]
            }
        )

    # -- admin writes ----------------------------------------------------------------
    async def _create_auction(self, caller: Caller, req: m.CreateAuction, rid: str | None) -> bytes:
        user = _require_admin(caller)
        spec = _spec(req)
        work = Work(cmd.CreateAuction(spec=spec), user_id=user.id, admin=True, request_id=rid)
        # Each create takes a new auction id, so two tries of one request id
        # would meet on no auction's writer: the first one runs, the others wait for it.
        return await self._once(
            user, rid, lambda: self.auctions.create(cmd.CreateAuction(spec=spec), work)
        )

    async def _create_sale(self, caller: Caller, req: m.CreateSale, rid: str | None) -> bytes:
        user = _require_admin(caller)
        return await self._once(user, rid, lambda: self._new_sale(user, req, rid))

    async def _once(
        self, user: UserRecord, rid: str | None, run: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """Run a write that creates (a new id each time) once per request id.

        A retry while the first call still works gets its reply; a retry after
        it gets the stored first reply (or refusal).
        """
        if rid is None:
            return await run()
        key = (user.id, rid)
        running = self._creates_in_flight.get(key)
        if running is not None:  # a retry while the first call still works: same reply
            return await asyncio.shield(running)
        if first := await self.auctions.stored_reply(key, admin=True):
            return first_reply(first)  # or the refusal, if a refused write used the id first

        async def first_call() -> bytes:
            return await run()

        task = asyncio.get_running_loop().create_task(first_call())
        self._creates_in_flight[key] = task
        task.add_done_callback(lambda _: self._creates_in_flight.pop(key, None))
        return await asyncio.shield(task)

    async def _new_sale(self, user: UserRecord, req: m.CreateSale, rid: str | None) -> bytes:
        specs = [_spec(lot) for lot in req.lots]
        specs = [
            replace(spec, pass_after_s=req.pass_after_s) if spec.pass_after_s is None else spec
            for spec in specs
        ]
        sale_starts = _time(req.starts_at, "starts_at")
        if sale_starts is not None:
            specs[0] = _with_start(specs[0], sale_starts)
        # Checked before the sale takes an id: a refused sale uses up no id.
        self.sales.validate(cmd.CreateAuction(spec=spec) for spec in specs)
        (sale_id,) = await self.store.allocate_ids("sale", 1)
        commands = []
        for index, spec in enumerate(specs):
            commands.append(
                cmd.CreateAuction(
                    spec=spec, sale_id=sale_id, lot=index + 1, waits_for_previous=index > 0
                )
            )

        def reply(views: list[dict[str, Any]]) -> bytes:
            sale = {
                "id": sale_id,
                "name": req.name,
                "lots": [v["id"] for v in views],
                "starts_at": views[0]["starts_at"],
            }
            return codec.encode({"sale": sale, "auctions": views})

        key = (user.id, rid) if rid is not None else None
        return await self.sales.create(commands, key=key, reply=reply)

    async def _update_auction(self, caller: Caller, req: m.UpdateAuction, rid: str | None) -> bytes:
        user = _require_admin(caller)
        await self.visible_auction(caller, req.auction_id)
        command = cmd.UpdateAuction(public=req.public, name=req.name, description=req.description)
        work = Work(command, user_id=user.id, admin=True, request_id=rid)
        return await self.auctions.submit(req.auction_id, work)

    async def _delete_auction(self, caller: Caller, req: Any, rid: str | None) -> bytes:
        shown = await self.visible_auction(caller, req.auction_id) if caller.is_admin else None
        reply = await self._admin_command(cmd.DeleteAuction, result="empty")(caller, req, rid)
        if shown is not None:
            self.photos.forget(shown.images)  # deleted (durably): it shows nothing now
        return reply

    def _admin_command(self, kind: type[Any], result: str = "auction") -> Handler:
        async def run(caller: Caller, req: Any, rid: str | None) -> bytes:
            user = _require_admin(caller)
            await self.visible_auction(caller, req.auction_id)
            work = Work(kind(), user_id=user.id, admin=True, request_id=rid, result=result)
            return await self.auctions.submit(req.auction_id, work)

        return run

    # -- bidder writes ----------------------------------------------------------------
    async def _bidder_write(
        self,
        caller: Caller,
        auction_id: int,
        command: Any,
        rid: str | None,
        result: str = "auction",
    ) -> bytes:
        user = _require_user(caller)
        await self.visible_auction(caller, auction_id)
        work = Work(command, user_id=user.id, admin=caller.is_admin, request_id=rid, result=result)
        return await self.auctions.submit(auction_id, work)

    async def _place_bid(self, caller: Caller, req: m.PlaceBid, rid: str | None) -> bytes:
        user = _require_user(caller)
        wait = await self._bids.take(user.id, self.clock.now_ms() / 1000)
        if wait > 0:
            raise RateLimited("Too many bids; slow down", wait)
        command = cmd.PlaceBid(bidder_id=user.id, paddle=user.paddle, amount=req.amount)
        return await self._bidder_write(caller, req.auction_id, command, rid)

    async def _start_auto_bid(self, caller: Caller, req: m.StartAutoBid, rid: str | None) -> bytes:
        user = _require_user(caller)
        command = cmd.StartAutoBid(bidder_id=user.id, paddle=user.paddle, max_amount=req.max_amount)
        return await self._bidder_write(caller, req.auction_id, command, rid)

    async def _stop_auto_bid(self, caller: Caller, req: m.StopAutoBid, rid: str | None) -> bytes:
        user = _require_user(caller)
        command = cmd.StopAutoBid(bidder_id=user.id)
        return await self._bidder_write(caller, req.auction_id, command, rid, result="empty")

    async def _buy_now(self, caller: Caller, req: m.BuyNow, rid: str | None) -> bytes:
        user = _require_user(caller)
        command = cmd.BuyNow(bidder_id=user.id, paddle=user.paddle)
        return await self._bidder_write(caller, req.auction_id, command, rid)


def _require_user(caller: Caller) -> UserRecord:
    if caller.user is None:
        raise Unauthorized()
    return caller.user


def _require_admin(caller: Caller) -> UserRecord:
    user = _require_user(caller)
    if user.role != "admin":
        raise Forbidden()
    return user


def _user(user: UserRecord) -> dict[str, Any]:
    return user_object(user_id=user.id, username=user.username, role=user.role, paddle=user.paddle)


def _time(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise InvalidCommand(f"{field} must be an ISO-8601 time", field=field) from None


def _spec(req: m.AuctionFields) -> cmd.AuctionSpec:
    return cmd.AuctionSpec(
        name=req.name,
        description=req.description,
        starting_bid=req.starting_bid,
        min_increment=req.min_increment,
        reserve=req.reserve,
        buy_now=req.buy_now,
        quantity=req.quantity,
        starts_at=_time(req.starts_at, "starts_at"),
        ends_at=_time(req.ends_at, "ends_at"),
        duration_s=req.duration_s,
        countdown_s=req.countdown_s,
        soft_close_s=req.soft_close_s,
        pass_after_s=req.pass_after_s,
        public=req.public,
        increments=tuple((b.from_, b.increment) for b in req.increments or ()),
        max_end=_time(req.max_end, "max_end"),
        max_extension_s=req.max_extension_s,
    )


def _with_start(spec: cmd.AuctionSpec, starts_at: int) -> cmd.AuctionSpec:
    return replace(spec, starts_at=starts_at)
