"""Module 2 lab: the per-request ``disable_any_whitespace`` changes nothing in vLLM 0.32.

Run: ``python labs/module2/whitespace.py``

The server accepts ``structured_outputs={"json": ..., "disable_any_whitespace": true}``: the field
exists in ``StructuredOutputsParams`` (``vllm/sampling_params.py``). But no grammar engine reads it.
The xgrammar backend copies the server-wide setting when it starts
(``XgrammarBackend.__post_init__`` in ``vllm/v1/structured_output/backend_xgrammar.py``:
``self.disable_any_whitespace = self.vllm_config.structured_outputs_config.disable_any_whitespace``)
and compiles every JSON Schema with that copy (``compile_grammar``:
``any_whitespace=not self.disable_any_whitespace``); the guidance backend
(``backend_guidance.py``, ``GuidanceBackend.__post_init__``) does the same. Only the server flag
``--structured-outputs-config.disable_any_whitespace true`` (offline: ``structured_outputs_config``,
as in ``offline.py``) makes the JSON compact.

The lab sends the first ticket request of ``json_schema.py`` twice at temperature 0, without and
with the per-request field, and prints one line per reply: the field, the number of whitespace
characters between JSON tokens (``ticket.whitespace_between_tokens``) and the reply; then
``same reply: True`` when the two replies are identical. Exits 1 if they differ (the field took
effect: this lab and the page are out of date), or if the first reply has no whitespace between
tokens (then the comparison could not show the field doing anything, e.g. on a server started
with the flag).
"""
import ticket
import workshop


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    replies = []
    # --8<-- [start:compare]
    for per_request in ({}, {"disable_any_whitespace": True}):
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": ticket.SYSTEM_PROMPT},
                      {"role": "user", "content": ticket.MESSAGES[0]}],
            temperature=0,
            max_tokens=200,
            extra_body={"structured_outputs": {"json": ticket.TICKET_SCHEMA, **per_request}},
        )
        reply = response.choices[0].message.content
        replies.append(reply)
        field = "disable_any_whitespace: true" if per_request else "no per-request field"
        spaces = ticket.whitespace_between_tokens(reply)
        print(f"{field:28} | {spaces} whitespace characters between tokens | {reply}")
    print(f"same reply: {replies[0] == replies[1]}")
    # --8<-- [end:compare]
    if replies[0] != replies[1]:
        raise workshop.WorkshopError(
            "the per-request field changed the reply: this vLLM reads disable_any_whitespace per "
            "request, unlike the one the page describes.\n  fix: compare your vLLM's version "
            "(python -c 'import vllm; print(vllm.__version__)') with the page's; Module 2, section 8")
    if ticket.whitespace_between_tokens(replies[0]) == 0:
        raise workshop.WorkshopError(
            "the reply has no whitespace to remove, so this comparison shows nothing: the server "
            "was started with --structured-outputs-config.disable_any_whitespace.\n  fix: "
            "restart it without that flag: python scripts/server.py restart (the CPU profile)")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
