// Small progressive enhancements; every page works without this file.
const isTyping = () => ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)
  || document.activeElement.isContentEditable;

// The quick log: links marked data-quick-log open the form in the modal instead of a new page.
function openQuickLog(url) {
  const modal = document.getElementById("quick-log");
  if (!modal || !window.htmx || !window.bootstrap) {
    window.location.href = url;
    return;
  }
  htmx.ajax("GET", url, { target: "#quick-log-body", swap: "innerHTML" });
  bootstrap.Modal.getOrCreateInstance(modal).show();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-quick-log]");
  if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    event.preventDefault();
    openQuickLog(link.href);
  }
});

document.addEventListener("keydown", (event) => {
  if (isTyping() || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  // "/" focuses the page's search box, as in most list-heavy tools.
  if (event.key === "/") {
    const search = document.querySelector("[data-search-box]");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  }
  // "l" logs an interaction from anywhere; on a client page, with that client chosen.
  if (event.key === "l" || event.key === "L") {
    const link = document.querySelector("[data-quick-log=primary]") || document.querySelector("[data-quick-log]");
    if (link) {
      event.preventDefault();
      openQuickLog(link.href);
    }
  }
});

// In the quick log, put the cursor where typing starts: the first field with an error, else the
// first empty one (with the client chosen already, that is the topic). Runs when the modal has
// finished opening (Bootstrap focuses the dialog itself then) and after each swap of the form.
function focusQuickLog() {
  const modal = document.getElementById("quick-log");
  const form = document.getElementById("quick-log-form");
  if (!modal || !form || !modal.classList.contains("show")) {
    return;
  }
  const fields = [...form.querySelectorAll("select, input:not([type=hidden]), textarea")];
  const field = form.querySelector(".is-invalid") || fields.find((el) => !el.value);
  if (field) {
    field.focus();
  }
}
document.addEventListener("htmx:afterSettle", focusQuickLog);
document.addEventListener("shown.bs.modal", focusQuickLog);

// Bulk actions: a heading checkbox (data-check-all="<form id>") ticks or clears every row's
// checkbox that belongs to that form. The list works without it, one tick at a time.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-check-all]");
  if (!all) {
    return;
  }
  const boxes = document.querySelectorAll(`input[type=checkbox][form="${all.dataset.checkAll}"]`);
  boxes.forEach((box) => {
    box.checked = all.checked;
  });
});

// Logging an interaction: choosing a meeting (or an event) preselects "Two-way" as its
// direction, and choosing another kind puts a preselected "Two-way" back to the default. The
// server applies the same default when no direction is sent.
document.addEventListener("change", (event) => {
  const kind = event.target;
  if (!kind.matches || !kind.matches("select[name=kind]") || !kind.form) {
    return;
  }
  const direction = kind.form.querySelector("select[data-two-way-kinds]");
  if (!direction) {
    return;
  }
  const twoWay = direction.dataset.twoWayKinds.split(" ").includes(kind.value);
  if (twoWay && direction.value === "") {
    direction.value = "two_way";
  } else if (!twoWay && direction.value === "two_way") {
    direction.value = "";
  }
});
