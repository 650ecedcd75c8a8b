"""API guide lab: an image and a question in one chat request (an image as a base64 data URL).

Run::

    python labs/api/multimodal.py                  # build the request and let vLLM validate it
    python labs/api/multimodal.py --image photo.jpg   # your own picture (PNG, JPEG, WebP, GIF)
    python labs/api/multimodal.py --send           # send it (needs a model that accepts images)

Without ``--send`` nothing is sent: the request is checked by the installed vLLM's own code, the
code its server runs on every chat request (vLLM 0.32):

1. ``ChatCompletionRequest.model_validate`` (``vllm/entrypoints/openai/chat_completion/
   protocol.py``): the request body;
2. ``MM_PARSER_MAP["image_url"]`` (``vllm/renderers/chat_utils.py``): the content part, from
   which the server takes the URL;
3. ``MediaConnector().fetch_image`` (``vllm/multimodal/media/connector.py``): decodes the data
   URL into the image the model would see (RGB).

With ``--send`` it posts the request to the server (``VLLM_BASE_URL``, ``VLLM_API_KEY``,
``VLLM_MODEL``) and prints the reply, without the local check: the server runs the same code,
and this Python needs no vLLM (nor its import's wait, and torch's unloading at exit, 2 to 11 s
on the 2-core machine). The workshop's CPU model reads text only; the server says so (HTTP 400
"... is not a multimodal model") and the lab exits 1 with the fix.

The default picture is drawn here: a parcel label, 360 x 120 pixels, with an ACME order ID.
Exit status 1 with ``error: ... fix: ...`` for an unreadable image, a request vLLM rejects, or
a server that refuses images.
"""
import argparse
import base64
import io
import mimetypes
import os
from pathlib import Path

import workshop

QUESTION = "This label is on my parcel. What is the order ID?"


def label_png() -> bytes:
    """A 360 x 120 PNG of a parcel label reading 'ACME-1042' (drawn with Pillow)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 355, 115), outline="black", width=3)
    draw.text((20, 20), "ACME Corp - parcel", fill="black", font_size=22)
    draw.text((20, 60), "Order ACME-1042", fill="black", font_size=30)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --8<-- [start:build]
def data_url(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<data>``: the whole image inside the request, no file server needed."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def build_request(model: str, url: str, question: str = QUESTION) -> dict:
    """A Chat Completions body whose user message holds text and an image, in that order."""
    return {
        "model": model,
        "messages": [{
            "role": "user",
            "content": [
                {"type": "text", "text": question},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }],
        "max_tokens": 64,
        "temperature": 0,
    }
# --8<-- [end:build]


# --8<-- [start:validate]
def validate(body: dict) -> str:
    """Check ``body`` with vLLM's own request model, content-part parser and image loader.

    Returns a one-line description of the decoded image; raises ValueError (pydantic's
    ValidationError is one) when vLLM would reject the request.
    """
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")  # vLLM's import-time notices
    # 48 s on a busy 2-core machine: a line every 15 s says it is still importing.
    with workshop.waiting("importing vLLM's request model and image loader"):
        from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest
        from vllm.multimodal.media import MediaConnector
        from vllm.renderers.chat_utils import MM_PARSER_MAP

    request = ChatCompletionRequest.model_validate(body)
    [part] = [p for p in request.messages[0]["content"] if p["type"] == "image_url"]
    url = MM_PARSER_MAP["image_url"](part)
    image = MediaConnector().fetch_image(url)
    return f"{image.width} x {image.height} {image.mode}"
# --8<-- [end:validate]


def server_refusal() -> str | None:
    """Whether the server's model takes images: ``None`` when it answers a one-token request with
    the label, else why not, from the server's own answer (for the page's conditional skip).

    Raises WorkshopError when no server answers (see ``workshop.model``).
    """
    import openai

    client = workshop.client()
    model = workshop.model(client)
    body = {**build_request(model, data_url(label_png(), "image/png")), "max_tokens": 1}
    try:
        client.chat.completions.create(**body)
    except openai.BadRequestError as exc:
        return (f"the server's model {model} does not take images (HTTP {exc.status_code}: "
                f"{exc.message.split(' - ', 1)[-1]}); serve a vision model to run this block")
    return None


def main() -> int:
    parser = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, help="a picture to send instead of the drawn label")
    parser.add_argument("--send", action="store_true", help="send the request to the server")
    args = parser.parse_args()
    if args.image:
        mime = mimetypes.guess_type(args.image.name)[0] or ""
        if not args.image.is_file() or not mime.startswith("image/"):
            raise workshop.WorkshopError(f"{args.image} is not an image file.\n  fix: give a "
                                         ".png, .jpg, .webp or .gif file that exists")
        data = args.image.read_bytes()
    else:
        data, mime = label_png(), "image/png"
    client = workshop.client() if args.send else None
    model = workshop.model(client) if args.send else os.environ.get("VLLM_MODEL", "any-model")
    body = build_request(model, data_url(data, mime))
    described = (f"image: {mime}, {len(data)} bytes -> data URL of "
                 f"{len(body['messages'][0]['content'][1]['image_url']['url'])} characters")
    if args.send:
        # No validate() first: the server runs the same three steps on the request, and importing
        # vLLM here (torch with it) added its wait before the answer and 2 to 11 s after it, at
        # exit, while Python unloads torch (measured on the 2-core machine, idle to busy).
        print(described)
        # --8<-- [start:send]
        response = client.chat.completions.create(**body)
        print("reply:", response.choices[0].message.content)
        # --8<-- [end:send]
        return 0
    try:
        decoded = validate(body)
    except ValueError as exc:
        raise workshop.WorkshopError(f"vLLM rejects this request: {str(exc).splitlines()[0]}\n"
                                     "  fix: check the image file and the message shape "
                                     "(build_request)") from exc
    print(described)
    print(f"vLLM accepts the request: ChatCompletionRequest valid, image decoded as {decoded}")
    return 0


def _explain_refusal(exc: BaseException) -> str | None:
    """The learner's message for a server whose model refuses images, else ``None``."""
    import openai

    if isinstance(exc, openai.BadRequestError) and "multimodal" in str(exc.message):
        return (f"the server refused the image: {exc.message.split(' - ', 1)[-1]}\n  fix: serve a "
                "model that accepts images (on a GPU, e.g. vllm serve Qwen/Qwen2.5-VL-3B-Instruct) "
                "and point VLLM_BASE_URL at it; without --send the request is only validated")
    return None


if __name__ == "__main__":
    _explain = workshop.explain
    workshop.explain = lambda exc: _explain_refusal(exc) or _explain(exc)
    workshop.run(main)
