// The moderators' page: label an upload, see the evidence, manage banks.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "medialabel.key";
  let imageFile = null;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }

  // --- API key -------------------------------------------------------
  function key() { return sessionStorage.getItem(KEY) || ""; }
  function showKey() { $("keystate").textContent = key() ? "(set for this tab)" : "(none)"; }
  $("keyform").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const k = $("key").value.trim();
    if (k) sessionStorage.setItem(KEY, k);
    $("key").value = "";
    showKey();
  });
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); showKey(); });
  showKey();

  async function api(method, path, body) {
    const headers = {};
    if (key()) headers["Authorization"] = "Bearer " + key();
    if (body && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const resp = await fetch(path, { method, headers, body });
    if (!resp.ok) {
      let msg = resp.status + " " + resp.statusText;
      try { const p = await resp.json(); msg = p.title + ": " + p.detail; } catch (_) { /* not a problem document */ }
      if (resp.status === 401) msg += " — enter an API key above.";
      throw new Error(msg);
    }
    return resp;
  }

  async function thumbnailURL(bank, entry) {
    const resp = await api("GET", `/v1/banks/${encodeURIComponent(bank)}/entries/${encodeURIComponent(entry)}/thumbnail`);
    return URL.createObjectURL(await resp.blob());
  }

  function showError(box, err) {
    box.textContent = err ? String(err.message || err) : "";
    box.hidden = !err;
  }

  // --- image input: choose, drop, paste --------------------------------
  function setImage(file) {
    imageFile = file;
    const img = $("preview");
    if (img.src) URL.revokeObjectURL(img.src);
    if (file) {
      img.src = URL.createObjectURL(file);
      img.alt = "The image to check: " + (file.name || "pasted image");
      img.hidden = false;
      $("clearimg").hidden = false;
    } else {
      img.removeAttribute("src");
      img.hidden = true;
      $("clearimg").hidden = true;
      $("image").value = "";
    }
  }
  $("image").addEventListener("change", () => setImage($("image").files[0] || null));
  $("clearimg").addEventListener("click", () => { setImage(null); $("image").focus(); });
  const drop = $("drop");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    const f = ev.dataTransfer.files[0];
    if (f) setImage(f);
  });
  document.addEventListener("paste", (ev) => {
    for (const item of ev.clipboardData.items) {
      if (item.kind === "file" && item.type.startsWith("image/")) {
        setImage(item.getAsFile());
        ev.preventDefault();
        return;
      }
    }
  });

  // --- labelling -------------------------------------------------------
  const labelNames = {
    propaganda_meme: "Propaganda meme",
    dehumanizing_language: "Dehumanizing language",
    offensive_language: "Offensive language",
  };

  // highlight returns the caption with the evidence spans (UTF-8 byte
  // offsets) marked.
  function highlight(text, evidence) {
    const bytes = new TextEncoder().encode(text);
    const dec = new TextDecoder();
    const out = el("p", { class: "captiontext", lang: "zh" });
    let at = 0;
    const spans = (evidence || []).filter((e) => e.end > e.start).sort((a, b) => a.start - b.start);
    for (const e of spans) {
      if (e.start < at || e.end > bytes.length) continue;
      out.append(dec.decode(bytes.slice(at, e.start)));
      out.append(el("mark", { title: "weight " + e.weight.toFixed(2), text: dec.decode(bytes.slice(e.start, e.end)) }));
      at = e.end;
    }
    out.append(dec.decode(bytes.slice(at)));
    return out;
  }

  function facts(pairs) {
    const dl = el("dl", { class: "facts" });
    for (const [k, v] of pairs) if (v !== undefined && v !== "") dl.append(el("dt", { text: k }), el("dd", {}, v));
    return dl;
  }

  function copyButton(text, what) {
    const b = el("button", { type: "button", text: "Copy", "aria-label": "Copy " + what });
    b.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(text); b.textContent = "Copied"; }
      catch (_) { b.textContent = "Copy failed"; }
      setTimeout(() => { b.textContent = "Copy"; }, 1500);
    });
    return b;
  }

  function render(res, caption, previewSrc) {
    const out = $("result");
    out.replaceChildren();
    const labels = res.labels || [];
    const verdict = labels.length
      ? "Flagged: " + [...new Set(labels.map((l) => labelNames[l.name] || l.name))].join(", ")
      : "No labels: nothing matched and the caption scored low";
    out.append(el("p", { class: "verdict " + (labels.length ? "flag" : "clear"), id: "verdict", tabindex: "-1", text: verdict }));

    for (const l of labels) {
      const card = el("article", { class: "card label", "data-label": l.name });
      card.append(el("h3", { text: labelNames[l.name] || l.name }));
      if (l.source === "image") {
        const pair = el("div", { class: "pair" });
        if (previewSrc) pair.append(el("figure", {}, el("img", { src: previewSrc, alt: "The upload" }), el("figcaption", { text: "Upload" })));
        const fig = el("figure", {}, el("figcaption", { text: "Bank entry " + l.bank + "/" + l.entry }));
        pair.append(fig);
        thumbnailURL(l.bank, l.entry).then((u) => {
          fig.prepend(el("img", { src: u, alt: "Bank entry " + l.label }));
        }).catch(() => fig.prepend(el("p", { class: "muted", text: "(no thumbnail)" })));
        card.append(pair, facts([
          ["Bank", l.bank], ["Entry label", l.label], ["Signal", l.signal],
          ["Distance", String(l.distance)], ["Transform", l.transform || "none"], ["Region", l.region],
        ]));
      } else {
        const score = l.score || 0;
        card.append(facts([["Score", el("span", {}, el("meter", { min: "0", max: "1", low: "0.3", high: "0.5", optimum: "0", value: String(score), "aria-label": "score" }), " " + score.toFixed(2))]]));
        card.append(highlight(caption, l.evidence));
        if ((l.evidence || []).length) card.append(el("p", { class: "muted small", text: "Highlighted: the spans that raised the score." }));
      }
      out.append(card);
    }

    if (res.caption && !labels.some((l) => l.source === "caption")) {
      out.append(el("article", { class: "card" }, el("h3", { text: "Caption" }),
        facts([["Dehumanizing", res.caption.dehumanizing.toFixed(2)], ["Offensive", res.caption.offensive.toFixed(2)], ["Label", res.caption.label]]),
        highlight(caption, res.caption.evidence)));
    }

    if (res.image) {
      const t = el("table", { class: "hash" }, el("caption", { class: "muted", text: `${res.image.format}, ${res.image.width}×${res.image.height}` }));
      const body = el("tbody");
      for (const s of ["pdq", "phash", "dhash", "ahash", "md5", "sha256"]) {
        if (!res.image[s]) continue;
        const text = s + ":" + res.image[s];
        body.append(el("tr", {}, el("th", { scope: "row", text: s + (s === "pdq" ? ` (quality ${res.image.pdq_quality})` : "") }),
          el("td", {}, el("code", { text: res.image[s] })), el("td", {}, copyButton(text, s + " hash"))));
      }
      t.append(body);
      out.append(el("article", { class: "card" }, el("h3", { text: "Hashes" }), t));
    }
  }

  $("labelform").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const caption = $("caption").value;
    if (!imageFile && !caption.trim()) {
      showError($("error"), new Error("Choose an image or type a caption."));
      return;
    }
    const fd = new FormData();
    if (imageFile) fd.append("image", imageFile, imageFile.name || "pasted");
    if (caption.trim()) fd.append("caption", caption);
    $("go").disabled = true;
    $("busy").hidden = false;
    showError($("error"), null);
    try {
      const res = await (await api("POST", "/v1/label", fd)).json();
      render(res, caption, imageFile ? $("preview").src : null);
      $("verdict").focus?.();
    } catch (err) {
      $("result").replaceChildren();
      showError($("error"), err);
    } finally {
      $("go").disabled = false;
      $("busy").hidden = true;
    }
  });

  // --- banks -------------------------------------------------------------
  // loadBanks lists the banks and shows the entries of show (default: the
  // bank already chosen).
  async function loadBanks(show) {
    showError($("bankerror"), null);
    try {
      const res = await (await api("GET", "/v1/banks")).json();
      const pick = $("bankpick");
      const cur = typeof show === "string" ? show : pick.value;
      pick.replaceChildren(el("option", { value: "", text: res.banks.length ? "— choose —" : "(no banks yet)" }));
      for (const b of res.banks) pick.append(el("option", { value: b.name, text: `${b.name} (${b.entries})` }));
      pick.disabled = !res.banks.length;
      if (cur && res.banks.some((b) => b.name === cur)) { pick.value = cur; await loadEntries(cur); }
      else $("entries").replaceChildren();
    } catch (err) { showError($("bankerror"), err); }
  }

  async function loadEntries(bank) {
    const box = $("entries");
    box.replaceChildren();
    if (!bank) return;
    try {
      const res = await (await api("GET", `/v1/banks/${encodeURIComponent(bank)}/entries?limit=200`)).json();
      const body = el("tbody");
      for (const e of res.entries) {
        const thumb = el("td");
        thumbnailURL(bank, e.id).then((u) => thumb.append(el("img", { class: "thumb", src: u, alt: e.label }))).catch(() => {});
        const del = el("button", { type: "button", text: "Remove", "aria-label": "Remove entry " + e.id });
        del.addEventListener("click", async () => {
          if (!confirm(`Remove entry ${e.id} (${e.label}) from ${bank}?`)) return;
          try { await api("DELETE", `/v1/banks/${encodeURIComponent(bank)}/entries/${encodeURIComponent(e.id)}`); loadBanks(); }
          catch (err) { showError($("bankerror"), err); }
        });
        body.append(el("tr", {}, thumb, el("td", {}, el("code", { text: e.id })), el("td", { text: e.label }),
          el("td", { text: e.note || "" }), el("td", { text: new Date(e.created).toLocaleString() }), el("td", {}, del)));
      }
      const head = el("thead", {}, el("tr", {}, ...["Picture", "Id", "Label", "Note", "Added", ""].map((h) => el("th", { scope: "col", text: h }))));
      box.append(el("table", {}, el("caption", { class: "muted", text: `${res.entries.length} ${res.entries.length === 1 ? "entry" : "entries"} in ${bank}` + (res.next ? " (first page)" : "") }), head, body));
    } catch (err) { showError($("bankerror"), err); }
  }

  $("loadbanks").addEventListener("click", () => loadBanks());
  $("bankpick").addEventListener("change", () => loadEntries($("bankpick").value));
  $("addform").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const bank = $("addbank").value.trim();
    const fd = new FormData();
    fd.append("label", $("addlabel").value);
    if ($("addnote").value.trim()) fd.append("note", $("addnote").value);
    const f = $("addimage").files[0];
    if (f) fd.append("image", f, f.name);
    else if ($("addhash").value.trim()) fd.append("hash", $("addhash").value.trim());
    showError($("bankerror"), null);
    try {
      const e = await (await api("POST", `/v1/banks/${encodeURIComponent(bank)}/entries`, fd)).json();
      $("addform").reset();
      await loadBanks(bank);
      $("entries").prepend(el("p", { class: "muted", text: `Added ${e.id} to ${bank}.` }));
    } catch (err) { showError($("bankerror"), err); }
  });
})();
