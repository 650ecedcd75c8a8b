"""Module 1 lab: ACME's support assistant: a system prompt and a multi-turn conversation.

Run: ``python labs/module1/support_assistant.py``

The server keeps no conversation state: the client sends the whole history (system prompt,
earlier user and assistant turns) with every request. Prints each turn and the number of
messages sent, which grows by two per turn.
"""
import workshop

SYSTEM_PROMPT = (
    "You are the customer support assistant of ACME Corp, a maker of garden tools. "
    "Answer in at most two sentences, politely, and never invent order details."
)


def main() -> None:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:conversation]
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for question in ["Hello! My rake arrived with a broken handle.",
                     "What should I do next?"]:
        messages.append({"role": "user", "content": question})
        response = client.chat.completions.create(
            model=model, messages=messages, temperature=0, max_tokens=80)
        reply = response.choices[0].message.content
        messages.append({"role": "assistant", "content": reply})  # keep the history
        print(f"customer: {question}\nassistant: {reply}\n(messages sent: {len(messages) - 1})\n")
    # --8<-- [end:conversation]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
