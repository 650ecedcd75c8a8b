"""Module 2 lab: constrain a reply to a regular expression (``structured_outputs.regex``).

Run: ``python labs/module2/regex_ids.py``

Asks for an ACME ticket ID (``ACME-[A-Z]{4}-[0-9]{4}``) and a US support phone number
(``\\+1-[0-9]{3}-[0-9]{3}-[0-9]{4}``), each constrained by its pattern, and checks every reply with
Python's ``re.fullmatch``. The server matches the whole reply, so patterns carry no ``^``/``$``.
Prints one line per pattern; exits 1 if a reply does not match.
"""
import re

import workshop

# --8<-- [start:patterns]
PATTERNS = {
    "ticket ID": (r"ACME-[A-Z]{4}-[0-9]{4}", "Create a ticket ID for a broken rake handle."),
    "phone": (r"\+1-[0-9]{3}-[0-9]{3}-[0-9]{4}", "What is ACME's support phone number?"),
}
# --8<-- [end:patterns]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    failures = 0
    for name, (pattern, question) in PATTERNS.items():
        # --8<-- [start:request]
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": question}],
            temperature=0,
            max_tokens=20,
            extra_body={"structured_outputs": {"regex": pattern}},
        )
        text = response.choices[0].message.content
        matches = re.fullmatch(pattern, text) is not None
        # --8<-- [end:request]
        failures += not matches
        print(f"{name:9} | {text!r} | re.fullmatch: {matches}")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of {len(PATTERNS)} answers do not match their pattern (re.fullmatch: False "
            "above): the server did not apply the regex.\n  fix: restart the workshop server (python scripts/server.py restart, the CPU profile); Module 2, "
            "section 4 'Regex: ticket IDs and phone numbers'")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
