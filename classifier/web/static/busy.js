// While a form's request runs (a backlog upload can take a while to send), its button is disabled and says so.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
        button.textContent = form.dataset.busy;
      }
      const status = form.querySelector("[data-busy-status]");
      if (status) {
        status.textContent = form.dataset.busyStatus;
      }
    });
  }
});
