// The Requests page's live list: asks the feed for entries after the newest shown, once a second,
// and puts them on top. Text only (textContent), never markup from the log.
(function () {
  "use strict";
  const list = document.getElementById("requests");
  if (!list) return;
  let newest = Number(list.dataset.newest || 0);
  const feed = list.dataset.feed;
  if (!feed) return;

  function entryElement(entry) {
    const item = document.createElement("li");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = entry.summary;
    if (entry.failed) summary.className = "failed";
    const detail = document.createElement("pre");
    detail.textContent = entry.detail;
    details.append(summary, detail);
    item.append(details);
    return item;
  }

  async function poll() {
    try {
      const separator = feed.includes("?") ? "&" : "?";
      const answer = await fetch(feed + separator + "after=" + newest, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) {
        const page = await answer.json();
        for (const entry of page.data) {
          list.prepend(entryElement(entry));
          newest = Math.max(newest, entry.seq);
        }
      }
    } catch (error) {
      // The server restarting or gone for a moment: the next poll tries again.
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();

// The Upload page: a file up to one part's size goes in one request (as POST /v1/files), a larger
// one through the Uploads API in parts. File.slice hands the browser a range of the file on disk,
// so the page never holds the file; XMLHttpRequest because fetch reports no upload progress.
(function () {
  "use strict";
  const form = document.getElementById("upload");
  if (!form) return;
  const drop = document.getElementById("drop");
  const input = document.getElementById("upload-file");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const partBytes = Number(form.dataset.partBytes);
  const csrf = form.dataset.csrf;

  drop.addEventListener("dragover", function (event) {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) input.files = event.dataTransfer.files;
  });

  // One request to the dashboard's view of the API; resolves with its JSON, or rejects with the
  // API's own error message.
  function send(url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      const request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("X-CSRF-Token", csrf);
      if (typeof body === "string") request.setRequestHeader("Content-Type", "application/json");
      if (onProgress) request.upload.onprogress = function (event) { onProgress(event.loaded); };
      request.onload = function () {
        let answer = null;
        try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
        if (request.status >= 200 && request.status < 300 && answer) resolve(answer);
        else reject(new Error((answer && answer.error && answer.error.message) || "HTTP " + request.status));
      };
      request.onerror = function () { reject(new Error("the connection failed")); };
      request.send(body);
    });
  }

  function inOneRequest(file, purpose, seconds, query, show) {
    const body = new FormData();
    body.append("purpose", purpose);
    if (seconds) {
      body.append("expires_after[anchor]", "created_at");
      body.append("expires_after[seconds]", seconds);
    }
    body.append("file", file);
    return send("/ui/api/files" + query, body, show);
  }

  async function inParts(file, purpose, seconds, query, show) {
    const create = { filename: file.name, purpose: purpose, bytes: file.size, mime_type: file.type || "application/octet-stream" };
    if (seconds) create.expires_after = { anchor: "created_at", seconds: Number(seconds) };
    const upload = await send("/ui/api/uploads" + query, JSON.stringify(create));
    const base = "/ui/api/uploads/" + encodeURIComponent(upload.id);
    const partIDs = [];
    try {
      for (let start = 0; start < file.size; start += partBytes) {
        const body = new FormData();
        body.append("data", file.slice(start, start + partBytes), file.name);
        const part = await send(base + "/parts" + query, body, function (sent) { show(start + sent); });
        partIDs.push(part.id);
      }
      const done = await send(base + "/complete" + query, JSON.stringify({ part_ids: partIDs }));
      return done.file;
    } catch (error) {
      // Leave no open Upload behind; its parts go with it.
      send(base + "/cancel" + query, "{}").catch(function () {});
      throw error;
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const file = input.files[0];
    if (!file) return;
    const tenant = form.elements.tenant.value;
    const purpose = form.elements.purpose.value;
    const seconds = form.elements.expires_after_seconds.value;
    const query = "?tenant=" + encodeURIComponent(tenant);
    const button = form.querySelector("button[type=submit]");
    const show = function (sent) { progress.value = file.size ? Math.min(sent / file.size, 1) : 1; };
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.className = "";
    status.textContent = "Uploading " + file.name + "…";
    try {
      const made = file.size <= partBytes
        ? await inOneRequest(file, purpose, seconds, query, show)
        : await inParts(file, purpose, seconds, query, show);
      progress.value = 1;
      const link = document.createElement("a");
      link.href = "/ui/files/" + encodeURIComponent(made.id) + query;
      link.textContent = made.id;
      status.textContent = "Stored " + file.name + " as ";
      status.append(link, ".");
    } catch (error) {
      status.className = "error";
      status.textContent = "Not stored: " + error.message;
    } finally {
      button.disabled = false;
    }
  });
})();
