// Case pages (loaded as a file: the CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  // The record form shows the fields of the chosen step: reload it for another step.
  const kind = document.querySelector("#record-form #id_kind");
  if (kind) {
    kind.addEventListener("change", () => {
      const params = new URLSearchParams(window.location.search);
      params.set("kind", kind.value);
      window.location.search = params.toString();
    });
  }
  // An item marked 空项 has no deduction.
  document.querySelectorAll(".item-form .na-input").forEach((box) => {
    box.addEventListener("change", () => {
      const deducted = box.closest(".item-form").querySelector(".deducted-input");
      if (deducted) {
        deducted.disabled = box.checked;
        if (box.checked) deducted.value = "0";
      }
    });
  });
});
