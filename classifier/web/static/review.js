// Review queue keys: 1-9 toggle the labels, Enter accepts the ticked labels, S skips, F flags.
document.addEventListener("keydown", (event) => {
  const form = document.getElementById("decide");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "checkbox"))) return;
  const key = event.key.toLowerCase();
  const box = form.querySelector(`input[type=checkbox][data-key="${key}"]`);
  if (box) {
    box.checked = !box.checked;
    event.preventDefault();
    return;
  }
  const button = key === "enter" ? document.getElementById("accept") : form.querySelector(`button[data-key="${key}"]`);
  if (button) {
    event.preventDefault();
    form.requestSubmit(button);
  }
});
