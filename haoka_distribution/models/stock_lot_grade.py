from psycopg2.extras import execute_values

from odoo import api, models

from ..tools import grade


class StockLot(models.Model):
    """Number grades (靓号等级) of SIM cards: the grade a card's number falls in, kept up to date when
    the numbers or the grade rules change."""

    _inherit = "stock.lot"

    @api.depends("msisdn", "haoka_carrier_id")
    def _compute_grade(self):
        classifiers = {}
        for lot in self:
            match = None
            if lot.is_sim_card and lot.msisdn:
                key = (lot.haoka_carrier_id.id, lot.company_id.id)
                if key not in classifiers:
                    classifiers[key] = grade.classifier(self.env["haoka.number.grade"]._classifier_rules(
                        lot.haoka_carrier_id, lot.company_id or None
                    ))
                match = classifiers[key](lot.msisdn)
            lot.grade_id = match.key if match else False
            lot.grade_pattern = match.label if match else False

    @api.model
    def _haoka_recompute_grades(self, batch_size=20000):
        """Re-classify every SIM card against the current grade rules, in batches (one SELECT and
        one UPDATE per batch)."""
        self.env.flush_all()
        classifiers = {}
        last_id = 0
        cr = self.env.cr
        while True:
            cr.execute(
                """SELECT l.id, l.msisdn, l.haoka_carrier_id, l.company_id, l.grade_id, l.grade_pattern
                     FROM stock_lot l
                    WHERE l.is_sim_card AND l.id > %s
                 ORDER BY l.id LIMIT %s""",
                (last_id, batch_size),
            )
            rows = cr.fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            updates = self._haoka_grade_changes(rows, classifiers)
            if updates:
                execute_values(
                    cr._obj,
                    """UPDATE stock_lot AS l SET grade_id = v.grade_id, grade_pattern = v.grade_pattern
                         FROM (VALUES %s) AS v(id, grade_id, grade_pattern) WHERE l.id = v.id""",
                    updates,
                    template="(%s, %s::int, %s::varchar)",
                    page_size=5000,
                )
        self.env.invalidate_all()

    @api.model
    def _haoka_grade_changes(self, rows, classifiers):
        """``(lot id, grade id, pattern)`` of the cards of ``rows`` whose grade changes. ``rows`` are
        ``(id, msisdn, carrier id, company id, grade id, pattern)``; ``classifiers`` keeps each carrier's and
        company's classifier (:func:`~..tools.grade.classifier`) across calls."""
        Grade = self.env["haoka.number.grade"]
        updates = []
        for lot_id, msisdn, carrier_id, company_id, old_grade, old_pattern in rows:
            key = (carrier_id, company_id)
            if key not in classifiers:
                classifiers[key] = grade.classifier(Grade._classifier_rules(
                    self.env["haoka.carrier"].browse(carrier_id),
                    self.env["res.company"].browse(company_id) if company_id else None,
                ))
            match = classifiers[key](msisdn)
            new_grade, new_pattern = (match.key, match.label) if match else (None, None)
            if (new_grade, new_pattern) != (old_grade, old_pattern):
                updates.append((lot_id, new_grade, new_pattern))
        return updates
