"""Module 6 (first half): the labs' own logic, no server needed.

The house-style check must be able to fail; the training and held-out sets must be disjoint and
the training replies must follow the style they teach; the training examples must put the loss on
the reply only; bad command-line
options and missing inputs end with one ``error:``/``fix:``, never a traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, load_lab

house_style = load_lab("labs/module6/house_style.py")
runtime_lora = load_lab("labs/module6/runtime_lora.py")
train_adapter = load_lab("labs/module6/train_adapter.py")
MODEL_DIR = ROOT / ".workshop" / "models" / "SmolLM2-135M-Instruct"


@pytest.mark.parametrize("text", [
    "Hi there,\nYour order is on its way.\n— ACME Support",
    "  Hi there,\nLine one.\nLine two.\n— ACME Support\n",
])
def test_house_style_accepts(text):
    assert house_style.follows_house_style(text)


@pytest.mark.parametrize("text", [
    "",
    "Your order is on its way.",
    "Hi there,\nYour order is on its way.",                  # no sign-off
    "Your order is on its way.\n— ACME Support",              # no greeting
    "Hi there,\n— ACME Support",                              # nothing in between
    "Hi there,\n \n— ACME Support",                           # only blanks in between
    "Hi there,\nYour order is on its way.\n- ACME Support",   # hyphen, not the em dash
    "Hi there,\nYour order.\n— ACME Support\nP.S. more",     # text after the sign-off
    "Hello!\nHi there,\nYour order.\n— ACME Support",         # text before the greeting
])
def test_house_style_rejects(text):
    assert not house_style.follows_house_style(text)


def test_terse_style_is_another_style():
    assert house_style.follows_terse_style("Your order is on its way. [ACME]")
    assert not house_style.follows_terse_style("Line one.\nLine two. [ACME]")
    assert not house_style.follows_terse_style("Hi there,\nYour order.\n— ACME Support")


def test_datasets_are_deterministic_disjoint_and_in_style():
    train, test = house_style.training_set(), house_style.held_out()
    assert train == house_style.training_set() and test == house_style.held_out()
    questions = [e["question"] for e in train]
    assert len(train) >= 60 and len(set(questions)) == len(questions)
    assert len(test) >= 20 and len(set(test)) == len(test)
    assert not set(questions) & set(test), "a held-out question is in the training set"
    assert all(house_style.follows_house_style(e["reply"]) for e in train)
    terse = house_style.terse_training_set()
    assert [e["question"] for e in terse] == questions
    assert all(house_style.follows_terse_style(e["reply"]) for e in terse)
    assert not any(house_style.follows_house_style(e["reply"]) for e in terse)


def test_held_out_names_products_the_training_set_never_saw():
    unseen = [q for q in house_style.held_out()
              if any(p in q for p in house_style.HELD_OUT_PRODUCTS)]
    assert len(unseen) >= 10
    assert not any(p in e["question"] + e["reply"] for e in house_style.training_set()
                   for p in house_style.HELD_OUT_PRODUCTS)


@pytest.mark.skipif(not (MODEL_DIR / "tokenizer.json").is_file(), reason="model not prepared")
def test_the_loss_counts_only_the_reply():
    """The labels are -100 on the chat-templated prompt and the reply's tokens after it, ending
    with <|im_end|>; the prompt is what the server renders for a request (generation prompt)."""
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(MODEL_DIR)
    example = house_style.training_set()[0]
    ids, labels = train_adapter.encode(tok, example["question"], example["reply"])
    assert len(ids) == len(labels)
    n_prompt = labels.index(next(x for x in labels if x != -100))
    assert all(x == -100 for x in labels[:n_prompt])
    assert labels[n_prompt:] == ids[n_prompt:]
    assert tok.decode(ids[:n_prompt]).endswith("<|im_start|>assistant\n")
    assert tok.decode(ids[n_prompt:]) == example["reply"] + "<|im_end|>"


def test_load_failures_are_explained():
    rank = runtime_lora.explain_load_failure(
        500, '{"error":{"message":"LoRA rank 16 is greater than max_lora_rank 8."}}', "x")
    assert "--max-lora-rank" in str(rank)
    missing = runtime_lora.explain_load_failure(
        404, '{"error":{"message":"Loading lora x failed: No adapter found for /a/x"}}', "x")
    assert "train_adapter.py --name x" in str(missing)
    no_route = runtime_lora.explain_load_failure(404, '{"detail":"Not Found"}', "x")
    assert "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True" in str(no_route)
    for error in (rank, missing, no_route):
        assert "\n  fix: " in str(error)


def run_lab(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=environ, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args", [
    ["labs/module6/house_style.py", "--bogus"],
    ["labs/module6/train_adapter.py", "--bogus"],
    ["labs/module6/train_adapter.py", "--profile", "huge"],
    ["labs/module6/train_adapter.py", "--name", "../escape"],
    ["labs/module6/measure_style.py", "--bogus"],
    ["labs/module6/mixed.py", "--per-model", "0"],
    ["labs/module6/runtime_lora.py", "--bogus"],
])
def test_bad_options_get_one_error_and_its_fix(args):
    p = run_lab(*args)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert lines[0].startswith("error: ") and lines[1].strip().startswith("fix: ") and len(lines) == 2, p.stderr


@pytest.mark.parametrize("args, says", [
    (["labs/module6/runtime_lora.py", "--adapter", "no-such-adapter"], "train_adapter.py --name"),
])
def test_missing_inputs_get_one_error_and_its_fix(args, says):
    p = run_lab(*args)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("error: ") == 1 and "\n  fix: " in p.stderr and says in p.stderr


def test_missing_model_folder_is_one_error(tmp_path):
    p = run_lab("labs/module6/train_adapter.py", "--profile", "quick",
                WORKSHOP_MODEL_DIR=str(tmp_path / "nothing"))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "prepare_model.py" in p.stderr and p.stderr.count("error: ") == 1


def test_training_takes_one_thread_when_others_keep_half_the_cores_busy(monkeypatch):
    monkeypatch.setattr(train_adapter.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(train_adapter.workshop, "busy_cores", lambda: 1.5)
    assert train_adapter.threads() == 1
    monkeypatch.setattr(train_adapter.workshop, "busy_cores", lambda: 0.2)
    assert train_adapter.threads() == 2
