"""ACME's house style for support replies, the data that teaches it, and the check that measures it.

Run ``python labs/module6/house_style.py`` to see the rule, the sizes of the two sets and one
training example; the other Module 6 labs import this file.

The house style (:data:`STYLE`): a reply opens with the line ``Hi there,`` and closes with the
line ``— ACME Support`` (an em dash, U+2014), with at least one line of text between them. It is
one regular expression, so "does the adapter follow the style?" is a yes/no a test can count;
the base model, which never saw ACME, does not write it on its own.

Data (all written here, deterministic, nothing downloaded):

- :func:`training_set` -> list of ``{"question": str, "reply": str}``: ACME customer questions
  (intents x products, several phrasings) with house-style replies; every reply passes
  :func:`follows_house_style`.
- :func:`held_out` -> list of ``str``: questions that are not in the training set (other products,
  other phrasings, other intents), used by ``measure_style.py`` to measure what the adapter learnt
  rather than what it memorised.
- :func:`terse_training_set`: the same questions with one-line replies ending ``[ACME]``
  (:data:`TERSE_STYLE`), to train a second, different adapter for the multi-adapter server.
"""
from __future__ import annotations

import re

import workshop
from acme.db import PRODUCTS

GREETING = "Hi there,"
SIGN_OFF = "— ACME Support"
#: The house style: greeting line, lines of text of which at least one is not blank, sign-off
#: line (surrounding whitespace ignored). ``[^\n]`` keeps each part inside its own lines.
STYLE = re.compile(r"Hi there,\n(?:[^\n]*\n)*?[^\n]*\S[^\n]*\n(?:[^\n]*\n)*?— ACME Support")
#: The second adapter's style: one line (no line break), ending with the tag ``[ACME]``.
TERSE_STYLE = re.compile(r"[^\n]+ \[ACME\]")


def follows_house_style(text: str) -> bool:
    """True when ``text`` (a whole reply) follows :data:`STYLE` from start to end."""
    return STYLE.fullmatch(text.strip()) is not None


def follows_terse_style(text: str) -> bool:
    """True when ``text`` is one line ending with `` [ACME]`` (:data:`TERSE_STYLE`)."""
    return TERSE_STYLE.fullmatch(text.strip()) is not None


def house_reply(body: str) -> str:
    """``body`` (one or more sentences) wrapped in the greeting and the sign-off."""
    return f"{GREETING}\n{body}\n{SIGN_OFF}"


# ACME's own products (labs/acme/db.py, the catalogue of Modules 3 and 4), by SKU, named without
# their detail ("Leaf Rake, 24 tines" -> "Leaf Rake"): the training set uses six of them, the
# held-out questions three it never names.
_NAMES = {sku: name.split(",")[0] for sku, name, *_ in PRODUCTS}
TRAIN_PRODUCTS = [_NAMES[s] for s in ("RAKE-01", "HOSE-01", "SHEAR-01", "GLOVE-01", "TROWEL-01", "CAN-01")]
HELD_OUT_PRODUCTS = [_NAMES[s] for s in ("RAKE-02", "HOSE-02", "SHEAR-02")]

# (question phrasings, reply body) per intent; {p} is the product. Each intent has three
# phrasings so that the adapter learns the style, not one sentence.
INTENTS: dict[str, tuple[list[str], str]] = {
    "order": (["Where is my {p} order?",
               "My {p} has not arrived yet. Can you check?",
               "When will my {p} be delivered?"],
              "Your {p} order is on its way. You can follow it with the tracking link in your "
              "confirmation email."),
    "return": (["How do I return my {p}?",
                "I want to send back the {p} I bought.",
                "Can I get a refund for my {p}?"],
               "You can return your {p} within 30 days. Reply with your order number and we "
               "will send you a free return label."),
    "broken": (["My {p} arrived broken. What now?",
                "The {p} I received does not work.",
                "My new {p} is damaged."],
               "Sorry about your {p}. Send us a photo and your order number and we will ship a "
               "replacement at no cost."),
    "warranty": (["Is there a warranty on the {p}?",
                  "How long is the {p} guaranteed for?",
                  "Does the {p} come with a guarantee?"],
                 "Every {p} has a two-year warranty. Keep your receipt and contact us if "
                 "anything goes wrong."),
}
# Intents that only the held-out questions ask (the style must carry over to new topics).
HELD_OUT_ONLY = ["Can I change the delivery address for my {p}?",
                 "Do you ship the {p} to Canada?",
                 "How do I cancel my {p} order?",
                 "Can I pay for the {p} in instalments?",
                 "Is the {p} safe for children?"]


def training_set() -> list[dict[str, str]]:
    """72 examples: 4 intents x 3 phrasings x 6 products, in a fixed order."""
    return [{"question": q.format(p=p), "reply": house_reply(body.format(p=p))}
            for phrasings, body in INTENTS.values() for q in phrasings for p in TRAIN_PRODUCTS]


def terse_training_set() -> list[dict[str, str]]:
    """The questions of :func:`training_set`, each answered with its body's first sentence and
    `` [ACME]``: a second style, different enough to tell the adapters apart."""
    return [{"question": q.format(p=p), "reply": body.format(p=p).split(". ")[0].rstrip(".")
             + ". [ACME]"}
            for phrasings, body in INTENTS.values() for q in phrasings for p in TRAIN_PRODUCTS]


def held_out() -> list[str]:
    """22 questions none of which is in the training set: the four known intents about products
    the training set never names (12), and five new intents about known and new products (10)."""
    known = [phrasings[i % 3].format(p=p)
             for i, (phrasings, _) in enumerate(INTENTS.values())
             for p in HELD_OUT_PRODUCTS]
    new = [q.format(p=p) for i, q in enumerate(HELD_OUT_ONLY)
           for p in (TRAIN_PRODUCTS[i], HELD_OUT_PRODUCTS[i % 3])]
    return known + new


def main() -> int:
    workshop.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    train, test = training_set(), held_out()
    print(f"house style: a reply opens with {GREETING!r} and closes with {SIGN_OFF!r}")
    print(f"training examples: {len(train)}, held-out questions: {len(test)}")
    print(f"example question: {train[0]['question']}")
    print(f"example reply:\n{train[0]['reply']}")
    print(f"follows the style: {follows_house_style(train[0]['reply'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
