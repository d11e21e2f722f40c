// Review queue keys: 1-9 toggle the labels, Enter accepts the ticked labels, S skips, F flags. They act only when
// the shortcuts are on (the checkbox "Keyboard shortcuts", remembered in this browser) and no link, button, list
// or text box has the focus: Enter on a focused button or link does what that button or link says.
const SHORTCUTS_KEY = "tension-review-shortcuts";

document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("shortcuts");
  if (!toggle) return;
  toggle.checked = localStorage.getItem(SHORTCUTS_KEY) !== "off";
  toggle.addEventListener("change", () => localStorage.setItem(SHORTCUTS_KEY, toggle.checked ? "on" : "off"));
});

document.addEventListener("keydown", (event) => {
  const form = document.getElementById("decide");
  const toggle = document.getElementById("shortcuts");
  if (!form || (toggle && !toggle.checked) || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && target.closest && target.closest("a, button, select, summary, textarea, [contenteditable]")) return;
  if (target && target.tagName === "INPUT" && target.type !== "checkbox") return;
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
