// The editor preview refreshes itself: it asks the server each second whether a project file
// has changed (/version), and if so fetches this page again and swaps in its preview.
(function () {
  "use strict";
  const preview = document.getElementById("preview");
  const status = document.getElementById("refresh-status");
  let busy = false;

  async function refresh() {
    if (busy) {
      return;
    }
    busy = true;
    try {
      const answer = await fetch("/version", { cache: "no-store" });
      const version = String((await answer.json()).version);
      if (version !== preview.dataset.version) {
        status.textContent = status.dataset.updating;
        const page = await fetch(window.location.href, { cache: "no-store" });
        const html = new DOMParser().parseFromString(await page.text(), "text/html");
        const fresh = html.getElementById("preview");
        preview.innerHTML = fresh.innerHTML;
        preview.dataset.version = fresh.dataset.version;
        status.textContent = status.dataset.updated;
      }
    } catch (error) {
      // the server is busy or restarting: ask again next time
    } finally {
      busy = false;
    }
  }

  window.setInterval(refresh, 1000);
})();
