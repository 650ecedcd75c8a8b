"""The served model answers a factual question correctly at temperature 0.

This is the one test that reads the model's words, on purpose: with ``--dtype bfloat16`` on
CPUs without native bf16, vLLM served this model but answered nonsense, while float32 answered
"The capital of France is Paris." (shared notes, November 2026). Every other test checks
structure only.
"""
import workshop


def test_capital_of_france(vllm_server):
    client = workshop.client()
    reply = client.chat.completions.create(
        model=workshop.model(client),
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        temperature=0, max_tokens=32, seed=0)
    text = reply.choices[0].message.content
    assert "paris" in text.lower(), f"wrong answer, check --dtype: {text!r}"
