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
