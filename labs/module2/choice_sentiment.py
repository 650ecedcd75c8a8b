"""Module 2 lab: pick one answer from a fixed list (``structured_outputs.choice``).

Run: ``python labs/module2/choice_sentiment.py``

Classifies the sentiment of each ``ticket.MESSAGES`` entry as exactly one of ``SENTIMENTS``.
The request key is ``choice`` (singular) and takes a list of strings; the reply is one of them,
verbatim. Prints one line per message; exits 1 if a reply is not in the list.
"""
import ticket
import workshop

SENTIMENTS = ["positive", "neutral", "negative"]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    failures = 0
    for message in ticket.MESSAGES:
        # --8<-- [start:request]
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": "Classify the sentiment of the customer's message."},
                      {"role": "user", "content": message}],
            temperature=0,
            max_tokens=5,
            extra_body={"structured_outputs": {"choice": SENTIMENTS}},
        )
        sentiment = response.choices[0].message.content
        # --8<-- [end:request]
        failures += sentiment not in SENTIMENTS
        print(f"{sentiment:8} | in the list: {sentiment in SENTIMENTS} | {message[:40]}...")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of {len(ticket.MESSAGES)} answers are not one of {SENTIMENTS}: the server did "
            "not apply the choice constraint.\n  fix: restart the workshop server (python scripts/server.py restart, the CPU profile); Module 2, section 5 "
            "'Choice: sentiment labels'")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
