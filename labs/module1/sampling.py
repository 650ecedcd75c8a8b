"""Module 1 lab: what the sampling parameters do (temperature, seed, top_p, max_tokens, stop).

Run: ``python labs/module1/sampling.py``

Sends small requests and prints one line per experiment, each a fact you can check:
temperature 0 repeats itself; the same ``seed`` repeats a random sample; a higher temperature
gives more different replies (8 samples with seeds 0 to 7 at 0.2 and at 1.0, the first 6 tokens
of each, counted); ``max_tokens`` cuts the
reply (``finish_reason == "length"``); a ``stop`` string ends it early (``"stop"``) and is not
included in the text. The printed booleans are computed from the replies, never typed.
"""
import workshop

QUESTION = [{"role": "user", "content": "Name three colours."}]


def main() -> None:
    client = workshop.client()
    model = workshop.model(client)

    def ask(**params):
        response = client.chat.completions.create(model=model, messages=QUESTION, **params)
        return response.choices[0]

    # --8<-- [start:temperature]
    a, b = ask(temperature=0, max_tokens=40), ask(temperature=0, max_tokens=40)
    print("temperature=0, same reply twice:", a.message.content == b.message.content)
    # --8<-- [end:temperature]
    # --8<-- [start:seed]
    replies = {ask(temperature=1.0, top_p=0.95, seed=7, max_tokens=40).message.content for _ in range(2)}
    print("temperature=1.0 with seed=7, same reply twice:", len(replies) == 1)
    # --8<-- [end:seed]
    # --8<-- [start:spread]
    different = {}
    for temperature in (0.2, 1.0):
        starts = {ask(temperature=temperature, seed=seed, max_tokens=6).message.content
                  for seed in range(8)}
        different[temperature] = len(starts)
        print(f"temperature={temperature}: {len(starts)} different replies of 8")
    print("more variety at 1.0 than at 0.2:", different[1.0] > different[0.2])
    # --8<-- [end:spread]
    # --8<-- [start:max_tokens]
    short = ask(temperature=0, max_tokens=5)
    print("max_tokens=5 -> finish_reason:", short.finish_reason)
    # --8<-- [end:max_tokens]
    # --8<-- [start:stop]
    stopped = ask(temperature=0, max_tokens=40, stop=[","])
    print("stop=[','] -> finish_reason:", stopped.finish_reason,
          "| comma in text:", "," in stopped.message.content)
    # --8<-- [end:stop]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
