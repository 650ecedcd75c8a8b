// ACME support chat: posts to /api/chat and reads the Server-Sent Events it streams back.
// fetch() is used instead of EventSource because the request is a POST with a JSON body.
"use strict";
// The page's words in both workshop languages: ?lang=zh or ?lang=en, else the browser's language.
const WORDS = {
  en: {
    title: "ACME support chat",
    intro: "Answers stream from vLLM. Lookups run at once; anything that writes waits for you.",
    placeholder: "Ask ACME support, e.g. Where is my order ACME-1042?",
    temperature: "Temperature", tool: "Tool", auto: "the model decides", required: "must use a tool",
    get_order_status: "look up an order", get_customer: "look up a customer",
    create_ticket: "open a ticket", issue_refund: "issue a refund", none: "no tools",
    send: "Send", stop: "Stop", approve: "Approve", deny: "Deny",
    proposed: "proposed", waiting: "waiting for you", approved: "approved", denied: "denied",
    done: "done", failed: "not done", stopped: " [stopped]", read: "read", write: "write",
  },
  zh: {
    title: "ACME 客服聊天",
    intro: "回答由 vLLM 流式生成。查询类操作立即执行；任何写操作都要等你批准。",
    placeholder: "向 ACME 客服提问，例如：我的订单 ACME-1042 到哪儿了？",
    temperature: "温度", tool: "工具", auto: "由模型决定", required: "必须调用工具",
    get_order_status: "查询订单", get_customer: "查询客户",
    create_ticket: "创建工单", issue_refund: "办理退款", none: "不用工具",
    send: "发送", stop: "停止", approve: "批准", deny: "拒绝",
    proposed: "已提议", waiting: "等待你的决定", approved: "已批准", denied: "已拒绝",
    done: "已执行", failed: "未执行", stopped: " [已停止]", read: "读", write: "写",
  },
};
const asked = new URLSearchParams(location.search).get("lang") || navigator.language || "en";
const lang = asked.toLowerCase().startsWith("zh") ? "zh" : "en";
const t = (key) => WORDS[lang][key] ?? WORDS.en[key] ?? key;
document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
  el.placeholder = t(el.dataset.i18nPlaceholder);
});

const history = document.getElementById("history");
const form = document.getElementById("ask");
const promptBox = document.getElementById("prompt");
const slider = document.getElementById("temperature");
const sliderValue = document.getElementById("temperature-value");
const toolChoice = document.getElementById("tool-choice");
const sendButton = document.getElementById("send");
const stopButton = document.getElementById("stop");
const conversation = [];  // {role, content} of earlier turns, sent with every question
let controller = null;

slider.addEventListener("input", () => { sliderValue.value = slider.value; });

function add(kind, text) {
  const div = document.createElement("div");
  div.className = "turn " + kind;
  div.textContent = text;
  history.appendChild(div);
  return div;
}

function setState(div, state) {
  // data-state keeps the language-independent name (the tests read it); the text is translated.
  div.dataset.state = state;
  div.querySelector(".state").textContent = t(state);
}

function card(data) {
  const div = document.createElement("div");
  div.className = "card";
  div.dataset.callId = data.id;
  div.innerHTML = "<span class=state></span> <strong></strong><code></code>";
  div.querySelector("strong").textContent = data.name + " (" + t(data.kind) + ")";
  div.querySelector("code").textContent = data.arguments;
  setState(div, "proposed");
  history.appendChild(div);
  return div;
}

function askApproval(div, data) {
  setState(div, "waiting");
  for (const decision of ["approve", "deny"]) {
    const button = document.createElement("button");
    button.textContent = t(decision);
    button.className = decision;
    button.addEventListener("click", async () => {
      div.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      await fetch("/api/approvals/" + encodeURIComponent(data.id), {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({decision}),
      });
      setState(div, decision === "approve" ? "approved" : "denied");
    });
    div.appendChild(button);
  }
}

function parseEvents(buffer, onEvent) {
  // SSE: events are separated by a blank line; each has "event:" and "data:" lines.
  const parts = buffer.split(/\r?\n\r?\n/);
  for (const part of parts.slice(0, -1)) {
    let name = "message", data = "";
    for (const line of part.split(/\r?\n/)) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (data) onEvent(name, JSON.parse(data));
  }
  return parts[parts.length - 1];
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const prompt = promptBox.value.trim();
  if (!prompt) return;
  add("user", prompt);
  conversation.push({role: "user", content: prompt});
  promptBox.value = "";
  const reply = add("assistant", "");
  const cards = {};
  controller = new AbortController();
  sendButton.disabled = true;
  stopButton.disabled = false;
  try {
    const response = await fetch("/api/chat", {
      method: "POST", headers: {"Content-Type": "application/json"}, signal: controller.signal,
      body: JSON.stringify({messages: conversation, temperature: Number(slider.value),
                            tool_choice: toolChoice.value}),
    });
    if (!response.ok) {
      const body = await response.json();
      add("error", body.error + (body.fix ? " (" + body.fix + ")" : ""));
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + decoder.decode(value, {stream: true}), (name, data) => {
        if (name === "token") reply.textContent += data.text;
        else if (name === "tool_call") cards[data.id] = card(data);
        else if (name === "approval_needed") askApproval(cards[data.id], data);
        else if (name === "tool_result") {
          const div = cards[data.id];
          setState(div, data.ok ? "done" : "failed");
          div.querySelector("code").textContent += "\n→ " + (data.ok ? JSON.stringify(data.result) : data.error);
        } else if (name === "error") add("error", data.message + " (" + data.fix + ")");
      });
    }
  } catch (err) {
    if (err.name === "AbortError") add("note", t("stopped").trim());
    else add("error", String(err));
  } finally {
    if (reply.textContent) conversation.push({role: "assistant", content: reply.textContent});
    sendButton.disabled = false;
    stopButton.disabled = true;
    controller = null;
  }
});

stopButton.addEventListener("click", () => { if (controller) controller.abort(); });
