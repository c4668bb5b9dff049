// While a source is Syncing, refresh the Data Sources table every 2 s until none is.
(function () {
  const box = document.getElementById("sources");
  if (!box) return;
  async function poll() {
    if (!box.querySelector("[data-syncing]")) return;
    try {
      const response = await fetch(box.dataset.poll, { credentials: "same-origin" });
      if (response.redirected) {
        window.location.reload(); // signed out meanwhile: show the sign-in page
        return;
      }
      if (response.ok) box.innerHTML = await response.text();
    } catch (error) {
      // the server restarted or the network blinked: try again at the next tick
    }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
