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
  // Each item is answered 符合, 扣分 or 空项: only 扣分 takes points, which cannot exceed the
  // item's own; a deduction, 空项 or failed veto needs its reason, flagged on leaving the field.
  const needsReason = (form) => {
    const verdict = form.querySelector(".verdict-input:checked");
    const veto = form.querySelector('input[name="veto_failed"]');
    return (verdict && verdict.value !== "conform") || (veto && veto.checked);
  };
  const checkReason = (form) => {
    const reason = form.querySelector(".reason-input");
    if (reason) reason.classList.toggle("is-invalid", needsReason(form) && !reason.value.trim());
  };
  document.querySelectorAll(".item-form").forEach((form) => {
    const deducted = form.querySelector(".deducted-input");
    form.querySelectorAll(".verdict-input").forEach((radio) => {
      radio.addEventListener("change", () => {
        if (!deducted) return;
        deducted.disabled = radio.value !== "deduct";
        if (radio.value === "deduct") {
          deducted.focus();
        } else {
          deducted.value = "";
          deducted.setCustomValidity("");
          deducted.classList.remove("is-invalid");
        }
      });
    });
    if (deducted) {
      deducted.addEventListener("input", () => {
        const points = parseFloat(deducted.dataset.points);
        const value = parseFloat(deducted.value);
        const over = !Number.isNaN(value) && value > points;
        deducted.setCustomValidity(over ? `第${deducted.dataset.code}项最多扣 ${points} 分` : "");
        deducted.classList.toggle("is-invalid", over);
        if (over) deducted.reportValidity();
      });
    }
    const reason = form.querySelector(".reason-input");
    if (reason) {
      reason.addEventListener("blur", () => checkReason(form));
      reason.addEventListener("input", () => {
        if (reason.value.trim()) reason.classList.remove("is-invalid");
      });
    }
  });
});
