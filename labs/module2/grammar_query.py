"""Module 2 lab: constrain a reply to a grammar (``structured_outputs.grammar``), then parse it.

Run: ``python labs/module2/grammar_query.py``

``QUERY_GRAMMAR`` is a small SQL-like query language over ACME's tickets table (up to three
columns and two conditions), written in Lark's EBNF syntax. vLLM accepts Lark grammars (rules ``name: ...``) and GBNF grammars (``name ::= ...``)
and tells them apart by the ``::=``. The lab asks two questions, constrains each reply with the
grammar, and parses the reply with the ``lark`` library and the very same grammar string: a reply
that does not parse, or was cut off (``finish_reason == "length"``), fails the lab (exit 1).
"""
from lark import Lark, Tree

import workshop

# --8<-- [start:grammar]
QUERY_GRAMMAR = r"""
start: "SELECT " column (", " column)? (", " column)? " FROM tickets WHERE " condition (" AND " condition)? ";"
column: "id" | "ticket_type" | "priority" | "summary"
condition: "ticket_type = '" TICKET_TYPE "'" | "priority = '" PRIORITY "'"
TICKET_TYPE: "billing" | "shipping" | "product" | "account"
PRIORITY: "low" | "medium" | "high" | "urgent"
"""
# --8<-- [end:grammar]

SYSTEM_PROMPT = ("Write one query over the ACME tickets table. Example: for 'summaries of "
                 "low priority tickets' write: SELECT summary FROM tickets WHERE priority = 'low';")
QUESTIONS = ["List the id and summary of urgent tickets.",
             "Show the id and priority of shipping tickets with high priority."]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    parser = Lark(QUERY_GRAMMAR)
    failures = 0
    for question in QUESTIONS:
        # --8<-- [start:request]
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": SYSTEM_PROMPT},
                      {"role": "user", "content": question}],
            temperature=0,
            max_tokens=60,
            extra_body={"structured_outputs": {"grammar": QUERY_GRAMMAR}},
        )
        choice = response.choices[0]
        query = choice.message.content
        # --8<-- [end:request]
        print(f"query:      {query}")
        if choice.finish_reason == "length":
            failures += 1
            print("NOT PARSED: cut off at max_tokens (finish_reason='length')")
            continue
        # --8<-- [start:parse]
        tree = parser.parse(query)  # raises lark.exceptions.LarkError if it does not parse
        columns = len(list(tree.find_data("column")))
        conditions = [f"{t.type}={t}" for node in tree.find_data("condition") for t in node.children]
        # --8<-- [end:parse]
        assert isinstance(tree, Tree)
        print(f"parsed:     {columns} column(s), conditions {conditions}")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of {len(QUESTIONS)} queries were cut off at max_tokens=60 before the grammar "
            "could close them.\n  fix: raise max_tokens in the request, or ask shorter questions; "
            "Module 2, section 6 'Grammar: a small query language'")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
