"""Update to 18.0.1.3.0: cheaper indexes for the cards an import writes (each index is written once per card).

- ``haoka_swap_suspected``: the flag is set only on the few cards an upstream activated with another number;
  the others leave it empty (NULL), and the full index held an entry for each of them, for nothing a search
  reads. The field now declares ``index="btree_not_null"``; Odoo does not rebuild an index whose definition
  changed, so the full one is dropped here, before the models are loaded, and Odoo creates the partial one
  (``WHERE haoka_swap_suspected IS NOT NULL``), which the search of the flagged cards still uses.
- ``puk_hash``: the b-tree of the PUK search hashes (``stock_lot__puk_hash_index``: 64 hex digits, random,
  so each card imported wrote into a random page of it) is dropped; ``stock.lot.init()`` creates a hash
  index instead (``stock_lot_haoka_puk_hash``), which serves the search by PUK (an exact value).
- ``haoka_upstream_event``: the indexes of the source alone and of the signature alone are dropped; the webhook's
  replay check reads ``haoka_upstream_event_signature_idx`` (source, signature), created by the model's
  ``init()``, and the unique (source, event id) index serves the searches by source.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """SELECT 1 FROM pg_indexes WHERE indexname = 'stock_lot__haoka_swap_suspected_index'
                                        AND indexdef NOT LIKE '%%WHERE%%'"""
    )
    if cr.fetchone():
        cr.execute("DROP INDEX stock_lot__haoka_swap_suspected_index")
    cr.execute("DROP INDEX IF EXISTS stock_lot__puk_hash_index")
    cr.execute("DROP INDEX IF EXISTS haoka_upstream_event__source_id_index, "
               "haoka_upstream_event__signature_digest_index")
