"""``accumulate --dask``: a book's city blocks simulated on the workers, their losses folded there.

What runs where:

- the client reads the book and the catalog, prices each city's own claims
  (``BookModel.attritional``: one batch prediction of the bundle over the
  book) and draws the run's shared part (``book_setup``: each event's
  occurrences per year from (seed, event id), the footprints, the policy
  keys); these are shipped to every worker once (``scatter``);
- each block of cities is one task (``simulate_block``); its draws are keyed
  by (seed, event, occurrence, policy) and (seed, policy), so a block's
  losses are the same on whichever worker draws them;
- the blocks' losses are added on the cluster in block order (a chain of
  ``add_losses`` tasks, started as soon as each block is done), the float
  additions one process does in the same order: the year loss table, and
  every figure, equal the single-process run's bit for bit;
- the client gathers the sum, and writes the folder as without ``--dask``.

Memory per worker: one block's dense (cities x years) buffer (32 MB) plus
the shared setup (the years' occurrences: 8 bytes each) and the running
sum's per-policy records.
"""

from __future__ import annotations

from models.accumulation.block_losses import add_losses, no_losses
from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog
from models.accumulation.run import BookRun
from models.accumulation.simulation import (
    book_setup,
    city_blocks,
    simulate_block,
    year_loss_table,
)
from models.underwriting.book_model import BookModel
from training.distributed.cluster import COLLECTIVE_TIMEOUT_S, dask_client, gather_all


def analyse_on_cluster(
    address: str,
    model: BookModel,
    book: Book,
    catalog: EventCatalog,
    years: int,
    seed: int,
    attritional: bool,
    timeout_s: float = COLLECTIVE_TIMEOUT_S,
) -> BookRun:
    """``model.analyse(book, catalog, years, seed, attritional)``, its blocks on the cluster."""
    own = model.attritional(book, catalog) if attritional else None
    setup = book_setup(book, catalog, years, seed)
    with dask_client(address) as client:
        shared = [
            client.scatter(part, broadcast=True, hash=False) for part in (setup, book, catalog)
        ]
        own_ref = None if own is None else client.scatter(own, broadcast=True, hash=False)
        total = client.submit(no_losses, years, setup.total_occurrences, pure=False)
        for start, stop in city_blocks(len(book), years):
            block = client.submit(simulate_block, *shared, own_ref, start, stop, pure=False)
            total = client.submit(add_losses, total, block, pure=False)
        [losses] = gather_all(client, [total], address, timeout_s)
    return BookRun(book, catalog, year_loss_table(setup, book, catalog, losses))
