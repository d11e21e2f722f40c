// The backlog progress page: asks the server how far the job is every few seconds and updates the counts and the
// bar in place (a reload every second restarted screen readers and moved the focus). When the job has ended the
// page is loaded again, to show the download links or the error. Without scripts, the page reloads itself.
document.addEventListener("DOMContentLoaded", () => {
  const card = document.getElementById("progress");
  if (!card || !card.dataset.statusUrl) return;
  const message = document.getElementById("progress-message");
  const bar = document.getElementById("progress-bar");
  const poll = async () => {
    let status;
    try {
      const answer = await fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!answer.ok) {
        window.location.reload();
        return;
      }
      status = await answer.json();
    } catch (error) {
      setTimeout(poll, 5000);  // the server is restarting or the network dropped: try again
      return;
    }
    if (status.state !== "queued" && status.state !== "running") {
      window.location.reload();
      return;
    }
    if (status.rows_total !== null && message) {
      message.textContent = `${status.rows_done} of about ${status.rows_total} rows labelled.`;
      if (bar) {
        bar.max = Math.max(status.rows_total, 1);
        bar.value = status.rows_done;
        bar.setAttribute("aria-label", `Labelled ${status.rows_done} of about ${status.rows_total} rows`);
      }
    }
    setTimeout(poll, 3000);
  };
  setTimeout(poll, 1000);
});
