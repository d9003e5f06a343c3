"""Deleting lot photos no auction shows any more, without ever deleting one in use.

A photo's files (every size) are deleted when all of these hold:

1. **No auction shows it.** The auctions' rows (every auction not deleted,
   private ones too) are read after the removal; an id another auction
   still shows stays. A deleted auction shows nothing.
2. **The removal is durable.** The collector hears of a removal (an admin
   removed images, or deleted an auction) only after its command's reply,
   which the service sends once the log rows are on disk; and it decides from
   the rows, which only ever follow the log. A crash between the removal and
   the deletion leaves an orphan, never a hole: see 4.
3. **Nobody may be about to attach it.** Uploading a photo that is already
   stored touches its files, and an upload is attached right after it is
   stored, so a file modified less than `grace_s` ago (10 minutes by default,
   `AUCTIONEER_MEDIA_GRACE_S`) is never deleted: it is looked at again when
   it comes of age. This is also what keeps a photo being uploaded through
   another server process sharing the folder.
4. **Orphans are swept.** At start and every `sweep_s` (an hour) the whole
   folder is compared with the rows: unreferenced photos older than the
   grace, and temporary files a crash left mid-save, are deleted.

What is left open: a photo re-uploaded in the very instant between the
collector's last look at its modification time and the unlink (microseconds)
is deleted under the new attachment; its auction then shows a missing image
until it is uploaded again. Old events in the log keep naming the ids of
photos since deleted (a client replaying history gets 404 for their files).

File ages are measured against the wall clock, as the file system stamps
them, not against the service's injectable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from auctioneer.service.media import MediaStore
from auctioneer.service.ports import Projections

__all__ = ["MediaCollector"]

log = logging.getLogger(__name__)


class MediaCollector:
    """Deletes unreferenced photo files; `note` ids after a removal, run it as a task."""

    def __init__(
        self,
        store: Projections,
        media: MediaStore,
        *,
        grace_s: float = 600.0,
        sweep_s: float = 3600.0,
    ) -> None:
        self.store = store
        self.media = media
        self.grace_s = grace_s
        self.sweep_s = sweep_s
        self.deleted = 0  # photos deleted by this process
        self._due: dict[str, float] = {}  # image id -> when (wall clock) to look at it
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def note(self, image_ids: Iterable[str]) -> None:
        """These ids were just removed from an auction (durably): look at them now."""
        now = time.time()
        for image_id in image_ids:
            self._due[image_id] = now
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def collect(self) -> list[str]:
        """Look at every noted id that is due; delete those no auction shows and
        old enough; returns the ids deleted."""
        now = time.time()
        due = [image_id for image_id, at in self._due.items() if at <= now]
        if not due:
            return []
        for image_id in due:
            del self._due[image_id]
        shown = await self._shown()
        deleted = []
        for image_id in due:
            if image_id not in shown and await self._delete_if_old(image_id):
                deleted.append(image_id)
        return deleted

    async def sweep(self) -> list[str]:
        """Compare the whole folder with the rows: delete what no auction shows
        (old enough; younger ones are noted for later) and old temporary files."""
        stored = await asyncio.to_thread(self.media.stored)
        shown = await self._shown()
        deleted = []
        for image_id in stored.keys() - shown:
            if await self._delete_if_old(image_id):
                deleted.append(image_id)
        cutoff = time.time() - self.grace_s
        for path in await asyncio.to_thread(self.media.leftovers, cutoff):
            path.unlink(missing_ok=True)
        return deleted

    async def _delete_if_old(self, image_id: str) -> bool:
        touched = await asyncio.to_thread(self.media.touched_at, image_id)
        if touched is None:
            return False  # already gone (another process, or never stored)
        ready_at = touched + self.grace_s
        if ready_at > time.time():
            self._due[image_id] = ready_at  # perhaps being attached: look again then
            return False
        await asyncio.to_thread(self.media.delete, image_id)
        self.deleted += 1
        return True

    async def _shown(self) -> set[str]:
        """Every image id an auction (not deleted, private or public) shows now."""
        rows = await self.store.auction_rows(include_private=True)
        return {image["id"] for row in rows for image in row.get("images", ())}

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while True:
            self._wake.clear()  # a note from here on wakes the wait below
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self.sweep_s
                    if swept := await self.sweep():
                        log.info("deleted %d unreferenced photos", len(swept))
                await self.collect()
            except Exception:  # the store or the folder may be briefly unavailable
                log.exception("photo collection failed; trying again later")
            wait = next_sweep - loop.time()
            if self._due:
                wait = min(wait, max(0.0, min(self._due.values()) - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))
