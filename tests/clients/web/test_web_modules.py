"""The web app's pure ES modules, run in the browser they are written for.

No Node.js needed: the page imports each module from the server and the
results come back as JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from .conftest import WebServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(web_server: WebServer, browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{web_server.url}/favicon.svg")  # same origin, no app running
    yield page
    context.close()


def run(page: Page, module: str, body: str) -> Any:
    """Import `module` as `m` and return the value of `body` (a JS expression)."""
    script = f"async () => {{ const m = await import('/js/{module}'); return {body}; }}"
    return page.evaluate(script)


def test_money_is_parsed_and_formatted_as_integer_minor_units(page: Page) -> None:
    parsed = run(
        page,
        "lib/money.js",
        "['125.50', '125.5', '125', '1,250.05', ' 7 ', '0.1', '-1', '1.234', 'abc', '']"
        ".map(m.parseMoney)",
    )
    assert parsed == [12550, 12550, 12500, 125005, 700, 10, None, None, None, None]
    formatted = run(page, "lib/money.js", "[0, 5, 12550, 123456789, null].map(m.formatMoney)")
    assert formatted == ["0.00", "0.05", "125.50", "1,234,567.89", "—"]
    assert run(page, "lib/money.js", "m.moneyInputValue(100005)") == "1000.05"


def test_minimum_bid_is_the_servers_and_never_recomputed(page: Page) -> None:
    result = run(
        page,
        "state/auction-model.js",
        "[m.minimumBid({starting_bid: 1000, current_bid: null, minimum_bid: 1000}),"
        " m.minimumBid({starting_bid: 1000, current_bid: 1500, min_increment: 250,"
        " minimum_bid: 1999}),"
        " m.minimumBid({starting_bid: 1000, current_bid: 1500, min_increment: 250}),"
        " m.applyEvent({id: 1, minimum_bid: 1000}, {event: 'bid_placed', seq: 2,"
        "   data: {amount: 1000, minimum_bid: 1100}}).minimum_bid,"
        " m.applyEvent({id: 1, units_left: 2}, {event: 'unit_sold', seq: 3,"
        "   data: {round: 1, units_left: 1, minimum_bid: 1000}}).minimum_bid]",
    )
    assert result == [1000, 1999, None, 1100, 1000]


def test_standing_says_leading_outbid_won_or_lost(page: Page) -> None:
    result = run(
        page,
        "state/auction-model.js",
        """[
          m.standing({status: 'open', leader: '#1'}, '#1', true),
          m.standing({status: 'open', leader: '#2'}, '#1', true),
          m.standing({status: 'open', leader: '#2'}, '#1', false),
          m.standing({status: 'closed', winner: '#1'}, '#1', true),
          m.standing({status: 'closed', winner: '#2'}, '#1', true),
          m.standing({status: 'closed', winner: '#2', sales: [{winner: '#1'}]}, '#1', true),
        ]""",
    )
    assert result == ["leading", "outbid", None, "won", "lost", "won"]


def test_events_fold_into_the_auction_shown(page: Page) -> None:
    result = run(
        page,
        "state/auction-model.js",
        """(() => {
          let a = {id: 1, status: 'open', current_bid: null, leader: null, bid_count: 0, seq: 3,
                   quantity: 2, units_left: 2, round: 1};
          a = m.applyEvent(a, {event: 'bid_placed', seq: 4,
            data: {amount: 1000, bidder: '#7', current_bid: 1000, leader: '#7', ends_at: 'E1'}});
          a = m.applyEvent(a, {event: 'auction_extended', seq: 5, data: {ends_at: 'E2'}});
          a = m.applyEvent(a, {event: 'unit_sold', seq: 6,
            data: {round: 1, winner: '#7', price: 1000, units_left: 1}});
          const afterSale = {...a};
          a = m.applyEvent(a, {event: 'auction_closed', seq: 7,
            data: {winner: null, price: null, reason: 'no_bids'}});
          return {afterSale, a};
        })()""",
    )
    sale = result["afterSale"]
    assert sale["bid_count"] == 1 and sale["ends_at"] == "E2" and sale["seq"] == 6
    assert sale["round"] == 2 and sale["current_bid"] is None and sale["units_left"] == 1
    assert sale["sales"] == [{"round": 1, "winner": "#7", "price": 1000}]
    assert result["a"]["status"] == "closed" and result["a"]["close_reason"] == "no_bids"


def test_backoff_grows_with_jitter_up_to_a_cap(page: Page) -> None:
    delays = run(
        page,
        "net/backoff.js",
        "(() => { const g = m.backoff({initialMs: 100, factor: 2, maxMs: 1000, random: () => 0.5});"
        " return Array.from({length: 6}, () => g.next().value); })()",
    )
    assert delays == [100, 200, 400, 800, 1000, 1000]


def test_routes_are_hash_based(page: Page) -> None:
    routes = run(
        page,
        "router.js",
        "['', '#/', '#/auction/42', '#/my-bids', '#/admin', '#/admin/auction/7', '#/nope']"
        ".map(h => { const r = m.resolve(h); return [r.name, r.id]; })",
    )
    assert routes == [
        ["list", None],
        ["list", None],
        ["auction", 42],
        ["myBids", None],
        ["admin", None],
        ["adminAuction", 7],
        ["notFound", None],
    ]


def test_analytics_count_sales_bidders_and_revenue(page: Page) -> None:
    result = run(
        page,
        "lib/analytics.js",
        """(() => {
          const auctions = [
            {id: 1, name: 'Lamp', status: 'closed', starting_bid: 1000, winner: '#2', price: 1500},
            {id: 2, name: 'Vase, blue', status: 'closed', starting_bid: 500, winner: null},
            {id: 3, name: 'Clock', status: 'open', starting_bid: 2000},
          ];
          const bids = new Map([
            [1, [{seq: 3, amount: 1500, bidder: '#2', at: '2026-11-21T10:00:05.000Z'},
                 {seq: 2, amount: 1000, bidder: '#3', at: '2026-11-21T10:00:01.000Z'}]],
            [3, [{seq: 2, amount: 2000, bidder: '#3', at: '2026-11-21T10:00:09.000Z'}]],
          ]);
          const a = m.computeAnalytics(auctions, bids);
          const rows = m.analyticsCsvRows(auctions, bids);
          return {a, rows};
        })()""",
    )
    stats = result["a"]
    assert stats["totalBids"] == 3 and stats["uniqueBidders"] == 2
    assert stats["sellThrough"] == 0.5 and stats["revenue"] == 1500
    assert stats["avgFinal"] == 1500 and stats["avgStarting"] == 1000
    assert sum(bucket["value"] for bucket in stats["bidsOverTime"]) == 3
    assert result["rows"][1][:4] == [1, "Lamp", "closed", "10.00"]
    assert result["rows"][1][-2:] == ["#2", "15.00"]
    csv = run(page, "lib/csv.js", "m.toCsv([['a', 'b,c'], ['say \"hi\"', 1]])")
    assert csv == 'a,"b,c"\r\n"say ""hi""",1\r\n'


def test_server_clock_prefers_the_ping_with_the_shortest_round_trip(page: Page) -> None:
    offsets = run(
        page,
        "net/clock.js",
        """(() => {
          const c = new m.ServerClock();
          c.observe('1970-01-01T00:00:10.000Z', 4000);          // rough: +6 s
          const rough = c.offsetMs;
          c.observePing('1970-01-01T00:00:10.000Z', 1000, 1200); // rtt 200: 10000 - 1100
          const first = c.offsetMs;
          c.observePing('1970-01-01T00:00:20.000Z', 5000, 5900); // rtt 900: ignored
          const kept = c.offsetMs;
          return [rough, first, kept];
        })()""",
    )
    assert offsets == [6000, 8900, 8900]


def test_countdown_turns_urgent_and_marks_extensions(page: Page) -> None:
    states = run(
        page,
        "ui/countdown.js",
        """(() => {
          const el = document.createElementNS('http://www.w3.org/1999/xhtml', 'span');
          const now = Date.now();
          const read = () => [el.textContent, el.classList.contains('urgent'),
                              el.classList.contains('extended')];
          m.setCountdown(el, {deadlineMs: now + 65_000, status: 'open'});
          const calm = read();
          m.setCountdown(el, {deadlineMs: now + 5_000, status: 'open'});
          const urgent = read();
          m.setCountdown(el, {deadlineMs: now + 9_000, status: 'open'});
          const extended = read();
          m.setCountdown(el, {deadlineMs: null, status: 'open', countdownS: 10});
          const waiting = read();
          m.setCountdown(el, {deadlineMs: now + 5_000, status: 'closed'});
          const ended = read();
          return [calm, urgent, extended, waiting, ended];
        })()""",
    )
    calm, urgent, extended, waiting, ended = states
    assert calm == ["1:05", False, False]
    assert urgent == ["0:05", True, False]
    assert extended == ["0:09 (extended)", True, True]
    assert waiting[0].startswith("10 s after the first bid")
    assert ended[0].startswith("Ended") and ended[1] is False


# A stand-in WebSocket: records what the page sends and answers like a server.
FAKE_SOCKET = """
  class FakeSocket {
    static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
    static all = [];
    constructor(url) {
      this.url = url; this.readyState = 0; this.sent = []; this.handlers = {};
      FakeSocket.all.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.push({event: 'welcome', data: {protocol: 1, server_time: new Date().toISOString()}});
      }, 0);
    }
    addEventListener(type, fn) { (this.handlers[type] ??= []).push(fn); }
    fire(type, e = {}) { for (const fn of this.handlers[type] || []) fn(e); }
    push(obj) { this.fire('message', {data: JSON.stringify(obj)}); }
    send(text) {
      const msg = JSON.parse(text);
      this.sent.push(msg);
      const answer = window.answer(msg);
      if (answer !== undefined) {
        setTimeout(() => this.push({id: msg.id, ok: true, result: answer}), 0);
      }
    }
    close() { if (this.readyState !== 3) { this.readyState = 3; this.fire('close'); } }
  }
  window.WebSocket = FakeSocket;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (test) => { for (let i = 0; i < 200 && !test(); i++) await sleep(10); };
"""


def test_session_resumes_by_seq_drops_duplicates_and_resends_unanswered_writes(
    page: Page,
) -> None:
    trace = page.evaluate(
        "async () => {"
        + FAKE_SOCKET
        + """
          localStorage.setItem('auctioneer.token', 'tok-1');
          window.answer = (msg) => ({
            auth: {user: {id: 3, username: 'ann', role: 'bidder', paddle: 7}},
            subscribe: {topic: msg.topic, seq: 0},
            unsubscribe: {},
            ping: {server_time: new Date().toISOString()},
          })[msg.action];
          const {Session} = await import('/js/net/session.js');
          const session = new Session('ws://fake/ws');
          session.start();
          await until(() => session.status === 'online');
          const got = [];
          session.subscribe('auction:1', {since: 5, onEvent: (e) => got.push(e.seq)});
          const first = FakeSocket.all[0];
          await until(() => first.sent.some((m) => m.action === 'subscribe'));
          const ev = (seq) => ({event: 'bid_placed', topic: 'auction:1', seq, data: {}});
          first.push(ev(6)); first.push(ev(6)); first.push(ev(8));
          await until(() => first.sent.filter((m) => m.action === 'subscribe').length === 2);
          const resync = first.sent
            .filter((m) => m.topic === 'auction:1')
            .map((m) => [m.action, m.since ?? null]);
          first.push(ev(7)); first.push(ev(8));
          const bid = session.request('place_bid', {auction_id: 1, amount: 1000});
          await until(() => first.sent.some((m) => m.action === 'place_bid'));
          const bidId = first.sent.find((m) => m.action === 'place_bid').id;
          first.close();
          const down = session.status;
          await until(() => FakeSocket.all.length === 2 && session.status === 'online');
          const second = FakeSocket.all[1];
          await until(() => second.sent.some((m) => m.action === 'place_bid'));
          const again = second.sent.map((m) => [m.action, m.token ?? m.since ?? m.id ?? null]);
          second.push({id: bidId, ok: true, result: {auction: {id: 1}}});
          const reply = await bid;
          return {user: session.user.username, got, resync, down, again, bidId, reply};
        }"""
    )
    assert trace["user"] == "ann"
    assert trace["got"] == [6, 7, 8]
    assert trace["resync"] == [["subscribe", 5], ["unsubscribe", None], ["subscribe", 6]]
    assert trace["down"] == "reconnecting"
    actions = [action for action, _ in trace["again"]]
    assert actions[0] == "auth" and trace["again"][0][1] == "tok-1"
    assert ["subscribe", 8] in trace["again"]
    assert ["place_bid", trace["bidId"]] in trace["again"]
    assert actions.index("place_bid") > actions.index("subscribe")
    assert trace["reply"] == {"auction": {"id": 1}}
    page.reload()  # the next test gets the real WebSocket back


def test_a_photo_edit_folds_in_and_the_cover_is_the_first_photo(page: Page) -> None:
    images = [{"id": "a", "thumb": "/media/a-thumb.jpg", "large": "/media/a-large.jpg"}]
    result = page.evaluate(
        """async (images) => {
            const model = await import('/js/state/auction-model.js');
            const pic = await import('/js/ui/picture.js');
            const a = model.applyEvent({id: 1, name: 'Lamp', images: []},
                {event: 'auction_updated', seq: 5, data: {auction_id: 1, images}});
            return [a.images, pic.coverUrl(a, 'small'), pic.coverUrl(a), pic.coverUrl({images: []}),
                    pic.picture(a, {size: 'small'}).getAttribute('src'),
                    pic.picture({name: 'Old lamp'}).className];
        }""",
        images,
    )
    assert result == [
        images,
        "/media/a-thumb.jpg",
        "/media/a-large.jpg",
        None,
        "/media/a-thumb.jpg",
        "picture placeholder large",
    ]


def test_a_live_lot_with_no_bid_counts_down_to_its_pass(page: Page) -> None:
    result = run(
        page,
        "state/auction-model.js",
        "[m.passesAt({status: 'open', ends_at: null, passes_at: '2026-11-21T10:01:00.000Z'}),"
        " m.passesAt({status: 'open', ends_at: '2026-11-21T10:02:00.000Z',"
        "   passes_at: '2026-11-21T10:01:00.000Z'}),"
        " m.passesAt({status: 'closed', ends_at: null, passes_at: null})]",
    )
    assert result == [epoch_ms("2026-11-21T10:01:00.000Z"), None, None]
    text = page.evaluate(
        """async () => {
          const c = await import('/js/ui/countdown.js');
          const el = document.createElementNS('http://www.w3.org/1999/xhtml', 'span');
          c.setCountdown(el, {deadlineMs: null, status: 'open', countdownS: 10,
                              passesMs: Date.now() + 45_000});
          return el.textContent;
        }"""
    )
    assert text.startswith("No bid yet: passes in")


def epoch_ms(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
