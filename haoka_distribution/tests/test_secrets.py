"""PUK/PIN: encrypted at rest, masked, revealed only to managers, every reveal logged."""

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from odoo.exceptions import AccessError, ValidationError

from ..tools import secrets
from .common import HaokaCase


class TestSecrets(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls.env["stock.lot"].create(
            {
                "name": "89860099999999999995",
                "product_id": cls.product.id,
                "msisdn": "13800009999",
                "puk": "83726154",
                "pin": "4096",
            }
        )

    def _raw_row(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT row_to_json(l)::text FROM stock_lot l WHERE id = %s", (self.card.id,))
        return self.env.cr.fetchone()[0]

    def test_not_in_clear_in_the_table(self):
        row = self._raw_row()
        self.assertNotIn("83726154", row)
        self.assertNotIn("4096", row)
        self.env.cr.execute("SELECT puk_cipher, pin_cipher, puk_hash FROM stock_lot WHERE id = %s", (self.card.id,))
        puk_cipher, pin_cipher, puk_hash = self.env.cr.fetchone()
        self.assertTrue(puk_cipher and pin_cipher and puk_hash)
        # nothing of the secret in the chatter's tracking values either
        self.env.cr.execute(
            "SELECT count(*) FROM mail_tracking_value WHERE old_value_char LIKE '%%83726154%%' "
            "OR new_value_char LIKE '%%83726154%%'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_masked_for_everyone(self):
        for user in (self.staff, self.manager, self.finance):
            card = self.card.with_user(user)
            self.assertEqual(card.puk, "********")
            self.assertEqual(card.pin, "****")
            values = card.read(["puk", "pin"])[0]
            self.assertEqual((values["puk"], values["pin"]), ("********", "****"))

    def test_manager_reveals_and_it_is_logged(self):
        messages_before = self.card.message_ids
        action = self.card.with_user(self.manager).action_haoka_reveal_secrets()
        self.assertIn("83726154", action["params"]["message"])
        self.assertIn("4096", action["params"]["message"])
        log = self.card.message_ids - messages_before
        self.assertEqual(len(log), 1)
        self.assertEqual(log.author_id, self.manager.partner_id)
        self.assertIn("Manager Li", log.body)
        self.assertTrue(log.date)
        self.assertNotIn("83726154", log.body)

    def test_staff_and_finance_cannot_reveal(self):
        for user in (self.staff, self.finance):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.card.with_user(user).action_haoka_reveal_secrets()
                with self.assertRaises(AccessError):
                    self.card.with_user(user).read(["puk_cipher"])
                with self.assertRaises(AccessError):
                    self.card.with_user(user)._haoka_read_secrets()
                with self.assertRaises(AccessError):
                    self.env["stock.lot"].with_user(user).search([("puk", "=", "83726154")])

    def test_manager_finds_card_by_exact_puk(self):
        Lot = self.env["stock.lot"].with_user(self.manager)
        self.assertEqual(Lot.search([("puk", "=", "83726154")]), self.card)
        self.assertFalse(Lot.search([("puk", "=", "83726155")]))

    def test_staff_can_enter_but_not_read_back(self):
        card = self.create_card(5, "13800000005").with_user(self.staff)
        card.write({"puk": "11223344", "pin": "5678"})
        self.assertEqual(card.puk, "********")
        self.assertEqual(card.sudo()._haoka_read_secrets()[card.id], {"puk": "11223344", "pin": "5678"})
        card.write({"puk": "********"})  # the mask coming back from a form changes nothing
        self.assertEqual(card.sudo()._haoka_read_secrets()[card.id]["puk"], "11223344")

    def test_invalid_secrets(self):
        with self.assertRaisesRegex(ValidationError, "PUK"):
            self.card.puk = "1234"
        with self.assertRaisesRegex(ValidationError, "PIN"):
            self.card.pin = "12"

    def test_batch_decryption_gives_what_decrypt_gives(self):
        """decrypt_many (the export's batch, the key ring read once) returns decrypt's result for every
        token: digits of one or several AES blocks, no token, another scheme, another key's or an altered
        token (False) and text that is not digits."""
        nonce = os.urandom(12)
        foreign = "g1:" + base64.b64encode(nonce + AESGCM(os.urandom(32)).encrypt(nonce, b"12345678", None)).decode()
        raw = bytearray(base64.b64decode(secrets.encrypt("83726154")[3:]))
        raw[12] ^= 0x7F  # the first byte of the clear text becomes a non-digit
        altered = "g1:" + base64.b64encode(bytes(raw)).decode()
        tokens = [
            secrets.encrypt("83726154"), secrets.encrypt("4096"), False, None, "", "x1:abc",
            secrets.encrypt("0123456789012345678901234567890123"), foreign, altered, secrets.encrypt("PUK 1"),
            secrets.encrypt("00000000"),
        ]
        expected = [secrets.decrypt(token) for token in tokens]
        self.assertEqual(expected, [
            "83726154", "4096", False, False, False, False, "0123456789012345678901234567890123", False, False,
            "PUK 1", "00000000",
        ])
        self.assertEqual(secrets.decrypt_many(tokens), expected)
        self.assertEqual(secrets.decrypt_many([]), [])
        self.assertEqual(secrets.decrypt_many([False, "x1:abc"]), [False, False])
